// Command mpakd serves an OCI registry for MCP bundles: with no flags, one
// binary with embedded storage on 127.0.0.1:5000.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/searchcache"
	"github.com/mpak-oci/mpak/registry/quota"
	"github.com/mpak-oci/mpak/registry/server"
	"github.com/mpak-oci/mpak/registry/stats"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "mpakd:", err)
		stop()
		os.Exit(1)
	}
}

type serveFlags struct {
	addr           string
	data           string
	db             string
	namespace      string
	publicHost     string
	searchCacheTTL time.Duration
	sqlSearch      bool
	syncPrefixes   []string
	syncInterval   time.Duration
	upstream       string
	upstreamUser   string
	hooksSecret    string
	plainHTTP      bool
	acceptRegistry bool
	verbose        bool
	authHtpasswd   string
	authPolicy     string
	authTokenKey   string
	authRealm      string
	oidcIssuer     string
	oidcAudience   string
	oidcJWKS       string
	insecureNoAuth bool

	maxRepoSize         quota.Size
	uploadPurgeAge      time.Duration
	uploadPurgeInterval time.Duration

	scanner scannerFlags

	downloadsPerClient int
	trustedProxies     []string

	logLevel  string
	logFormat string
	accessLog bool
}

func rootCommand() *cobra.Command {
	f := &serveFlags{}
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the registry (the default command)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), f, cmd.ErrOrStderr()) },
	}
	addStoreFlags := func(c *cobra.Command) {
		c.Flags().StringVar(&f.data, "data", "./mpak-data", "directory for registry storage, the SQLite catalog and the download log")
		c.Flags().StringVar(&f.db, "db", "", "catalog database: a postgres:// URL shared by several mpakd (default: SQLite in --data)")
		c.Flags().StringVar(&f.upstream, "upstream", "", "front an existing registry (https://registry.example) instead of the embedded one")
		f.scanner.addTrust(c.Flags())
		c.Flags().StringVar(&f.upstreamUser, "upstream-username", "", "user mpakd reads the upstream as (password from $MPAKD_UPSTREAM_PASSWORD; default: the docker config)")
		c.Flags().BoolVar(&f.plainHTTP, "upstream-plain-http", false, "reach a non-loopback upstream over http://")
	}
	addFlags := func(c *cobra.Command) {
		c.Flags().StringVar(&f.addr, "addr", "127.0.0.1:5000", "address to listen on")
		addStoreFlags(c)
		c.Flags().StringVar(&f.hooksSecret, "hooks-secret", os.Getenv("MPAKD_HOOKS_SECRET"), "shared secret for /hooks/distribution and /hooks/harbor (default $MPAKD_HOOKS_SECRET; empty disables them)")
		c.Flags().StringVar(&f.namespace, "namespace", "", "registry path @scope/name references live under (as in MPAK_REGISTRY=host/namespace)")
		c.Flags().DurationVar(&f.searchCacheTTL, "search-cache-ttl", 0, "cache search pages for this long (they may show download counts that old); 0: no cache, the in-memory search engine answers every query (with --sql-search, "+searchcache.DefaultTTL.String()+" is what the database needs)")
		c.Flags().BoolVar(&f.sqlSearch, "sql-search", false, "answer searches with the database's full-text search instead of mpakd's in-memory search engine")
		c.Flags().StringSliceVar(&f.syncPrefixes, "sync-prefix", nil, "re-read the repositories under this path (repeatable; e.g. acme/mcp) every --sync-interval: those the upstream's _catalog lists, and those already indexed")
		c.Flags().DurationVar(&f.syncInterval, "sync-interval", 10*time.Minute, "how often --sync-prefix repositories are re-read")
		c.Flags().StringVar(&f.publicHost, "public-host", "", "host[:port] clients reach this server at, for printed references (default: the request's Host)")
		c.Flags().StringVar(&f.authHtpasswd, "auth-htpasswd", "", "turn on authentication: users from this bcrypt htpasswd file (re-read on change and SIGHUP)")
		c.Flags().StringVar(&f.authPolicy, "auth-policy", "", "who may read, push and delete where (YAML, re-read on change and SIGHUP; default: anonymous read, users push, nobody deletes)")
		c.Flags().StringVar(&f.authTokenKey, "auth-token-key", "", "ECDSA P-256 key that signs tokens (PEM; created if missing; default: kept in the catalog with a postgres:// --db, so replicas share it, else --data/auth/token.key)")
		c.Flags().StringVar(&f.authRealm, "auth-realm", "", "public URL of the token endpoint for clients (default: /token on the host they used)")
		c.Flags().StringVar(&f.oidcIssuer, "auth-oidc-issuer", defaultOIDCIssuer, "trusted publishing: the issuer of the CI's OIDC tokens, which log in as the password and are mapped to push access by the policy's trustedPublishers")
		c.Flags().StringVar(&f.oidcAudience, "auth-oidc-audience", "", `trusted publishing: the audience CI jobs request their token for (default "mpakd" when the policy has trustedPublishers; without either, trusted publishing is off)`)
		c.Flags().StringVar(&f.oidcJWKS, "auth-oidc-jwks", "", "trusted publishing: the issuer's keys, a JWKS URL or file (default: discovered from the issuer)")
		c.Flags().BoolVar(&f.insecureNoAuth, "insecure-no-auth", false, "serve a non-loopback address without authentication: anyone who reaches it may push")
		f.scanner.addScan(c.Flags())
		c.Flags().IntVar(&f.downloadsPerClient, "downloads-per-client", stats.DefaultMaxPerClient, "downloads of one version one client address adds to the counts per hour (pulls past it are served, not counted); 0: no limit")
		c.Flags().StringArrayVar(&f.trustedProxies, "trusted-proxy", nil, "address or CIDR of a reverse proxy in front of mpakd, whose X-Forwarded-For names the client for download counting (repeatable)")
		c.Flags().Var(&f.maxRepoSize, "max-repo-size", "refuse pushes that would take a repository past this size, such as 500MB or 2GiB (0: no quota; embedded registry only)")
		c.Flags().DurationVar(&f.uploadPurgeAge, "upload-purge-age", 6*time.Hour, "delete unfinished uploads (interrupted pushes) once this old; 0 keeps them")
		c.Flags().DurationVar(&f.uploadPurgeInterval, "upload-purge-interval", time.Hour, "how often unfinished uploads are looked for")
		c.Flags().StringVar(&f.logLevel, "log-level", "info", "least severe log lines written: debug, info, warn or error")
		c.Flags().StringVar(&f.logFormat, "log-format", "text", "log line format on stderr: text (key=value) or json (one object a line)")
		c.Flags().BoolVar(&f.accessLog, "access-log", true, "log every request at info level (method, path, status, bytes, duration, remote, user); answers of 500 and above are logged at error level with their cause either way")
	}
	addFlags(serve)
	root := &cobra.Command{
		Use:           "mpakd",
		Short:         "An OCI registry for MCP bundles",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          serve.RunE,
	}
	addFlags(root)
	reindex := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the catalog from the registry (download counts are kept)",
		Long: "The registry is the source of truth: reindex reads every repository and version tag and records\n" +
			"what the OCI indexes, manifests and configs declare. Run it after restoring the registry or losing the database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReindex(cmd, f) },
	}
	addStoreFlags(reindex)
	reindex.Flags().BoolVar(&f.acceptRegistry, "accept-registry", false,
		"accept what the registry's tags hold now, also for versions whose tag moved since publication (tampered): for an operator who moved them on purpose")
	sync := &cobra.Command{
		Use:   "sync REPOSITORY...",
		Short: "Index the named repositories (for upstreams that do not list their catalog, or after missed events)",
		Long: "sync reads every version tag of the named repositories, indexes the bundles, prunes versions the\n" +
			"registry no longer holds, and says for every tag it did not index why not.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServer(cmd, f, func(srv *server.Server) error {
				reports, err := srv.Sync(cmd.Context(), args)
				printReports(cmd.OutOrStdout(), reports)
				return err
			})
		},
	}
	addStoreFlags(sync)
	fsck := &cobra.Command{
		Use:   "fsck [REPOSITORY...]",
		Short: "Report every difference between the catalog and the registry (exit 1 if there is one)",
		Long: "fsck compares the catalog with the registry, changing nothing: versions missing on either side,\n" +
			"digests that differ (tags moved outside mpakd), trust signals and yanks not caught up, and bundles\n" +
			"mpak can pull that the catalog cannot list, each with why and what to do. With no REPOSITORY it checks\n" +
			"every repository the registry lists and the catalog knows.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withServer(cmd, f, func(srv *server.Server) error {
				diffs, skips, err := srv.Fsck(cmd.Context(), args)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if f.verbose {
					for _, k := range skips {
						fmt.Fprintf(out, "not a bundle: %s\n", k.Reason)
					}
				}
				for _, d := range diffs {
					fmt.Fprintln(out, d)
				}
				if len(diffs) > 0 {
					return fmt.Errorf("%d differences between the catalog and the registry", len(diffs))
				}
				fmt.Fprintln(out, "the catalog agrees with the registry")
				return nil
			})
		},
	}
	addStoreFlags(fsck)
	fsck.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "also list the tags that hold something other than a bundle")
	root.AddCommand(serve, reindex, sync, fsck, healthcheckCommand(), tokenCommand(f, addStoreFlags))
	return root
}

// options turns the flags into server options.
func (f *serveFlags) options(store catalog.Store, log *slog.Logger) (server.Options, error) {
	o := server.Options{DataDir: f.data, Store: store, Namespace: f.namespace, PublicHost: f.publicHost,
		HooksSecret: f.hooksSecret, SearchCacheTTL: f.searchCacheTTL, SQLSearch: f.sqlSearch,
		SyncPrefixes: f.syncPrefixes, SyncInterval: f.syncInterval, AcceptMovedTags: f.acceptRegistry, Logger: log, AccessLog: f.accessLog}
	if f.searchCacheTTL == 0 {
		o.SearchCacheTTL = -1
	}
	o.MaxRepoSize = int64(f.maxRepoSize)
	if err := f.scanner.apply(&o, f.data, f.db); err != nil {
		return o, err
	}
	o.DownloadsPerClient = f.downloadsPerClient
	if f.downloadsPerClient == 0 {
		o.DownloadsPerClient = -1
	}
	for _, p := range f.trustedProxies {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return o, fmt.Errorf("--trusted-proxy %q: want an address or a CIDR such as 10.0.0.0/8", p)
			}
			prefix = netip.PrefixFrom(a, a.BitLen())
		}
		o.TrustedProxies = append(o.TrustedProxies, prefix.Masked())
	}
	o.UploadPurgeAge, o.UploadPurgeInterval = f.uploadPurgeAge, f.uploadPurgeInterval
	if f.uploadPurgeAge == 0 {
		o.UploadPurgeAge = -1 // also for the maintenance commands, which have no such flag
	}
	if f.upstream == "" {
		return o, nil
	}
	u, err := url.Parse(f.upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("--upstream %q: want a registry URL such as https://registry.example", f.upstream)
	}
	o.Upstream = u
	o.UpstreamRemote.PlainHTTP = f.plainHTTP
	if f.upstreamUser != "" {
		store := credentials.NewMemoryStore()
		cred := auth.Credential{Username: f.upstreamUser, Password: os.Getenv("MPAKD_UPSTREAM_PASSWORD")}
		if err := store.Put(context.Background(), u.Host, cred); err != nil {
			return o, err
		}
		o.UpstreamRemote.Credentials = store
	}
	return o, nil
}

// withServer opens the store and builds a server (not listening) for the
// maintenance commands.
func withServer(cmd *cobra.Command, f *serveFlags, run func(*server.Server) error) error {
	ctx := cmd.Context()
	store, err := openStore(ctx, f.db, f.data)
	if err != nil {
		return err
	}
	defer store.Close()
	o, err := f.options(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, o)
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	return run(srv)
}

func runReindex(cmd *cobra.Command, f *serveFlags) error {
	return withServer(cmd, f, func(srv *server.Server) error {
		reports, err := srv.Reindex(cmd.Context())
		printReports(cmd.OutOrStdout(), reports)
		return err
	})
}

func runServe(ctx context.Context, f *serveFlags, stderr io.Writer) error {
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	if err := checkExposure(f.addr, f.authHtpasswd != "", f.insecureNoAuth); err != nil {
		return err
	}
	store, err := openStore(ctx, f.db, f.data)
	if err != nil {
		return err
	}
	defer store.Close()
	o, err := f.options(store, log)
	if err != nil {
		return err
	}
	if o.Auth, err = f.auth(ctx, log, store); err != nil {
		return err
	}
	srv, err := server.New(ctx, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another mpakd running? choose another --addr)", f.addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newLogger builds mpakd's logger from --log-level and --log-format.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
