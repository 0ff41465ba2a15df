// Package server composes mpakd: the OCI distribution API and the mpak
// endpoints on one port.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
	"github.com/mpak-oci/mpak/registry/api"
	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/searchcache"
	"github.com/mpak-oci/mpak/registry/guard"
	"github.com/mpak-oci/mpak/registry/ingest"
	"github.com/mpak-oci/mpak/registry/internal/keylock"
	"github.com/mpak-oci/mpak/registry/mcphttp"
	"github.com/mpak-oci/mpak/registry/quota"
	"github.com/mpak-oci/mpak/registry/scanner"
	"github.com/mpak-oci/mpak/registry/search"
	"github.com/mpak-oci/mpak/registry/stats"
	"github.com/mpak-oci/mpak/registry/web"
)

// Options configures a server. The zero value serves an in-memory registry
// without a catalog.
type Options struct {
	// DataDir holds the registry's storage; empty keeps it in memory.
	DataDir string
	// Store is the catalog; nil serves the registry alone.
	Store catalog.Store
	// Namespace is the registry path @scope/name references live under
	// (as in MPAK_REGISTRY=host/namespace); "" by default.
	Namespace string
	// PublicHost is the host[:port] clients reach this server at, for the
	// references the APIs print (default: each request's Host).
	PublicHost string
	// Upstream fronts an existing registry instead of the embedded one;
	// UpstreamRemote holds mpakd's own credentials for reading it (indexing).
	Upstream       *url.URL
	UpstreamRemote connect.Options
	// HooksSecret enables /hooks/distribution and /hooks/harbor, the
	// upstream's push and pull events, for this shared secret.
	HooksSecret string
	// SearchCacheTTL bounds how stale a download count in a cached search
	// page may be. With the search engine (the default), searches are
	// cached only when it is positive; with SQLSearch, 0 is
	// searchcache.DefaultTTL and a negative TTL turns the cache off. A
	// new or deleted version is visible at once either way.
	SearchCacheTTL time.Duration
	// SQLSearch answers searches with the store's SQL instead of the
	// in-memory search engine (registry/search), which is used whenever
	// the store has a change feed (both SQL stores do).
	SQLSearch bool
	// SearchPollInterval is how often the search engine reads the
	// catalog's change feed (0: search.DefaultPollInterval): the most a
	// version another replica indexes takes to be searchable here.
	// PostgreSQL's notifications wake it sooner.
	SearchPollInterval time.Duration
	// SyncPrefixes are re-read every SyncInterval (default 10m) while the
	// server runs, to catch pushes whose events were missed: see
	// SyncPrefixes.
	SyncPrefixes []string
	SyncInterval time.Duration
	// MaxRepoSize refuses blob uploads that would take a repository past
	// this many bytes (0: no quota). The embedded registry only: an
	// upstream keeps its own quotas.
	MaxRepoSize int64
	// UploadPurgeAge is how old an unfinished upload is when it is
	// deleted, looked for every UploadPurgeInterval (0: 6h and 1h;
	// negative age: never). The embedded registry only.
	UploadPurgeAge      time.Duration
	UploadPurgeInterval time.Duration
	// Auth turns on authentication and access control for the OCI API
	// (nil: anyone may read and push).
	Auth *AuthOptions
	// AcceptMovedTags makes indexing take a version tag found on other
	// bytes than were published as the new truth, instead of marking the
	// version tampered (mpakd reindex --accept-registry).
	AcceptMovedTags bool
	// ScannerKey signs the verdicts of the scans this mpakd makes (Scan);
	// its public key, ScannerPublicKey (PEM), is served at
	// policy.ScannerKeyPath for clients to trust, and its verdicts make
	// levels count in the catalog, as do TrustedScanners'.
	ScannerKey       signature.SignerVerifier
	ScannerPublicKey []byte
	TrustedScanners  []verify.Key
	// DownloadsPerClient is how many downloads of a version one client
	// adds to the counts in an hour (0: stats.DefaultMaxPerClient;
	// negative: no limit); TrustedProxies are the reverse proxies whose
	// X-Forwarded-For names the client.
	DownloadsPerClient int
	TrustedProxies     []netip.Prefix
	// Scan scans each version published (needs ScannerKey and a
	// catalog); ScanVulnDB is a directory of OSV files for it.
	Scan       bool
	ScanVulnDB string
	Logger     *slog.Logger
	// AccessLog logs every request at info level (logRequests); answers
	// of 500 and above are logged at error level, with their cause,
	// either way.
	AccessLog bool
}

// AuthOptions turns authentication on: the users and policy, the token
// service, and where clients fetch tokens.
type AuthOptions struct {
	Files  *auth.Files
	Tokens *auth.Tokens
	// Authenticators are tried before the htpasswd users, in order:
	// robot tokens, OIDC tokens of trusted publishers.
	Authenticators []auth.Authenticator
	// Realm is the token endpoint's public URL (default: /token on the
	// host and scheme each request came with).
	Realm string
}

// Server is a running mpakd.
type Server struct {
	backend *backend
	store   catalog.Store
	indexer *ingest.Indexer
	mux     *http.ServeMux
	http    *http.Server
	log     *slog.Logger
	metrics *metrics
	counter *stats.Counter
	// searched is the store behind the search cache, for the API and UI.
	searched catalog.Store
	// scanner scans published versions (Options.Scan), nil otherwise.
	scanner *scanner.Scanner
	// handler is the mux behind metrics and the request log.
	handler http.Handler
	// stopSync ends the periodic sync, if any; syncDone is closed when it
	// has.
	stopSync context.CancelFunc
	syncDone chan struct{}
	// engine answers searches (nil: the store's SQL does); stopEngine
	// ends its following of the change feed, engineDone is closed when
	// it has.
	engine     *search.Engine
	stopEngine context.CancelFunc
	engineDone chan struct{}
}

// New builds the server and its registry: the embedded one, or a proxy to
// Options.Upstream.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Upstream != nil && opts.MaxRepoSize > 0 {
		return nil, errors.New("a repository quota (--max-repo-size) needs the embedded registry: mpakd cannot see what an upstream stores; " +
			"set quotas in the upstream instead (Harbor: project quotas) and drop --max-repo-size")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{mux: http.NewServeMux(), log: log, metrics: newMetrics()}
	// Publications and referrer lists are serialised per version and per
	// subject: in the catalog's database when there is one, so replicas
	// sharing it take turns, else within this process.
	var locker guard.Locker = &keylock.Locks{}
	if opts.Store != nil {
		if err := s.startEngine(ctx, &opts); err != nil {
			return nil, err
		}
		// A server that fails to start stops its engine.
		defer func() {
			if s.handler == nil {
				s.stopEngineLoop()
			}
		}()
		opts.Store = meteredStore{Store: opts.Store, m: s.metrics}
		locker = opts.Store
	}
	var (
		b   *backend
		err error
	)
	if opts.Upstream != nil {
		b, err = upstreamBackend(opts.Upstream, opts.UpstreamRemote, opts.Auth != nil, locker, log)
	} else {
		b, err = embeddedBackend(ctx, opts, locker, log)
	}
	if err != nil {
		return nil, err
	}
	s.backend = b
	rules := guard.Options{Repos: b.repos, Locker: locker, Logger: log}
	var authz *auth.Authorizer
	var authn auth.Authenticator
	if a := opts.Auth; a != nil {
		authn = recordingAuthenticator{auth.Chain(append(slices.Clone(a.Authenticators), a.Files)...)}
		authz = auth.NewAuthorizer(auth.MiddlewareOptions{Files: a.Files, Tokens: a.Tokens, Authenticator: authn,
			Realm: a.Realm, Service: a.Tokens.Service(), Logger: log})
		rules.MayDelete = func(r *http.Request, repository string) bool {
			return auth.Allowed(r.Context(), repository, auth.ActionDelete)
		}
	}
	if opts.Store != nil {
		s.store = opts.Store
		s.indexer = &ingest.Indexer{Store: opts.Store, Repos: b.repos, Log: log, AcceptMoved: opts.AcceptMovedTags,
			ScannerKeys: slices.Clone(opts.TrustedScanners)}
		if opts.ScannerKey != nil {
			pub, err := opts.ScannerKey.PublicKey()
			if err != nil {
				return nil, fmt.Errorf("the scanner key: %w", err)
			}
			k, err := verify.NewKey(pub)
			if err != nil {
				return nil, fmt.Errorf("the scanner key: %w", err)
			}
			s.indexer.ScannerKeys = append(s.indexer.ScannerKeys, k)
		}
		rules.Catalog = opts.Store
		rules.Published = s.published
		rules.Deleted = s.deleted
		rules.Moved = func(ctx context.Context, repository, tag string) {
			s.recordIndexed(repository, tag, s.indexer.Tag(ctx, repository, tag))
		}
	}
	v2 := guard.Middleware(b.v2, rules)
	if opts.MaxRepoSize > 0 {
		// Outside the guard, so that a refused upload reaches neither it
		// nor the registry; inside auth, so that only those allowed to
		// push learn a repository's size.
		st, ok := b.repos.(quota.Storage)
		if !ok {
			b.close()
			return nil, errors.New("a repository quota (--max-repo-size) needs the embedded registry")
		}
		v2 = quota.New(quota.Options{Max: opts.MaxRepoSize, Storage: st, Logger: log}).Middleware(v2)
	}
	if opts.Store != nil {
		v2 = observeAttachments(v2, func(r *http.Request, repository string, subject digest.Digest) {
			s.indexSubject(r.Context(), repository, subject)
		})
		v2 = s.observePushes(v2)
		if opts.DataDir != "" {
			// Downloads are counted where the data lives: the write-ahead log
			// must survive restarts to keep its exactly-once promise.
			s.counter, err = stats.Open(ctx, stats.Options{Store: opts.Store, WALPath: filepath.Join(opts.DataDir, "downloads.wal"), Logger: log,
				MaxPerClient: opts.DownloadsPerClient, TrustedProxies: opts.TrustedProxies})
			if err != nil {
				b.close()
				return nil, err
			}
			v2 = s.counter.Middleware(v2)
			s.metrics.downloads(s.counter.Pending, s.counter.Counted)
		}
		if opts.HooksSecret != "" {
			s.mux.Handle("/hooks/", s.hooks(opts.HooksSecret))
		}
		s.searched = opts.Store
		if s.engine == nil && opts.SearchCacheTTL >= 0 || s.engine != nil && opts.SearchCacheTTL > 0 {
			cache := searchcache.New(opts.Store, searchcache.Options{TTL: opts.SearchCacheTTL})
			s.metrics.searchCache(cache.Counts)
			s.searched = cache
		}
		catalog := api.New(api.Options{Store: s.searched, Namespace: opts.Namespace, PublicHost: opts.PublicHost, Logger: log, Readable: readable(authz)})
		for _, prefix := range []string{"/v1/", "/v0.1/", "/v0/"} {
			s.mux.Handle(prefix, catalog)
		}
		s.mux.Handle("/mcp", mcphttp.New(mcphttp.Options{API: catalog})) // the same catalog to agents, under the same read rules
	}
	if opts.Scan {
		if opts.ScannerKey == nil || s.indexer == nil {
			b.close()
			return nil, errors.New("scanning needs a scanner key and a catalog")
		}
		s.scanner = scanner.New(scanner.Options{Key: opts.ScannerKey, Repos: b.repos, Host: opts.PublicHost, VulnDB: opts.ScanVulnDB, Logger: log,
			Attached: func(ctx context.Context, repository, tag string) {
				s.recordIndexed(repository, tag, s.indexer.Tag(ctx, repository, tag))
			}})
	}
	if len(opts.ScannerPublicKey) > 0 {
		pub := opts.ScannerPublicKey
		s.mux.HandleFunc("GET "+policy.ScannerKeyPath, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			w.Write(pub)
		})
	}
	if len(opts.SyncPrefixes) > 0 && s.indexer != nil {
		interval := opts.SyncInterval
		if interval <= 0 {
			interval = 10 * time.Minute
		}
		var syncCtx context.Context
		syncCtx, s.stopSync = context.WithCancel(context.WithoutCancel(ctx))
		s.syncDone = make(chan struct{})
		go func() {
			defer close(s.syncDone)
			s.syncEvery(syncCtx, opts.SyncPrefixes, interval)
		}()
	}
	if a := opts.Auth; a != nil {
		// Outermost: nothing below sees a request the policy refuses.
		v2 = authz.Middleware(v2)
		s.mux.Handle("/token", auth.TokenHandler(auth.TokenHandlerOptions{Tokens: a.Tokens, Authenticate: authn.Authenticate, Grant: a.Files.Grant, Logger: log}))
	}
	s.mux.Handle("/v2/", v2)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	if opts.Store != nil {
		// The web UI takes what no API claims: "/" is the least specific
		// pattern, so it never shadows /v2/, /v1/ and the rest.
		s.mux.Handle("/", web.New(web.Options{Store: s.searched, Namespace: opts.Namespace, PublicHost: opts.PublicHost, Logger: log,
			Readable: readable(authz), SignIn: authz != nil, Authenticated: signedIn(authz)}))
	} else {
		s.mux.HandleFunc("GET /{$}", s.home)
	}
	var who func(*http.Request) (string, bool)
	if authz != nil {
		who = func(r *http.Request) (string, bool) {
			p, ok := authz.Who(r)
			return p.Name, ok
		}
	}
	s.handler = logRequests(s.metrics.instrument(s.mux), log, opts.AccessLog, who)
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// readable is the catalogs' read rule: the policy's, nil (everything)
// without authentication. A method value of a nil Authorizer would not be
// nil, and would panic when called.
func readable(authz *auth.Authorizer) func(*http.Request) func(string) bool {
	if authz == nil {
		return nil
	}
	return authz.Readable
}

// signedIn names the user a request's credentials authenticate, for the
// web UI.
func signedIn(authz *auth.Authorizer) func(*http.Request) (string, bool) {
	if authz == nil {
		return nil
	}
	return func(r *http.Request) (string, bool) {
		who, ok := authz.Who(r)
		return who.Name, ok
	}
}

// published indexes a version mpakd has just stored, holding its lock. A
// failure is logged, never returned to the pushing client: the registry,
// the source of truth, has the version, and mpakd sync can catch up.
func (s *Server) published(ctx context.Context, repository, tag string) {
	markPublished(ctx)
	start := time.Now()
	err := s.indexer.TagHeld(ctx, repository, tag)
	s.recordIndexed(repository, tag, err)
	s.metrics.indexLag.WithLabelValues("push").Observe(time.Since(start).Seconds())
	if err == nil && s.scanner != nil {
		s.scanner.Enqueue(repository, tag)
	}
}

// recordIndexed counts and logs the outcome of indexing a tag.
func (s *Server) recordIndexed(repository, tag string, err error) {
	var tampered *ingest.TamperedError
	switch {
	case err == nil:
		s.metrics.indexed.WithLabelValues("indexed").Inc()
		if s.counter != nil {
			s.counter.Invalidate(repository)
		}
	case errors.As(err, &tampered):
		s.metrics.indexed.WithLabelValues("tampered").Inc()
	case errors.Is(err, ingest.ErrNotBundle):
		// A container image or another artifact: a registry holds them
		// as a matter of course, so this is no fault to report.
		s.metrics.indexed.WithLabelValues("skipped").Inc()
		s.log.Debug("not indexed: not an MCP bundle", "repository", repository, "tag", tag, "reason", err)
	case errors.Is(err, ingest.ErrUnpublishable):
		s.metrics.indexed.WithLabelValues("unpublishable").Inc()
		s.log.Warn("not indexed: a bundle that cannot be a version where it is", "repository", repository, "tag", tag, "err", err)
	default:
		s.metrics.indexed.WithLabelValues("error").Inc()
		s.log.Error("indexing failed; run mpakd sync", "repository", repository, "tag", tag, "err", err)
	}
}

// deleted follows a delete the registry accepted: every version it may have
// touched (by tag, or by its index or a build's manifest digest) is read
// again, so the catalog drops what the registry no longer holds.
func (s *Server) deleted(ctx context.Context, repository, reference string) {
	vs, err := s.store.Versions(ctx, repository)
	if err != nil {
		if !errors.Is(err, catalog.ErrNotFound) {
			s.log.Warn("following a delete failed; run mpakd sync", "repository", repository, "reference", reference, "err", err)
		}
		return
	}
	for _, v := range vs {
		if v.Tag != reference && v.Digest != reference && !slices.ContainsFunc(v.Builds, func(b catalog.Build) bool { return b.ManifestDigest == reference }) {
			continue
		}
		err := s.indexer.Tag(ctx, repository, v.Tag)
		if err != nil && !errors.Is(err, ingest.ErrNotBundle) && !errors.Is(err, ingest.ErrUnpublishable) {
			var tampered *ingest.TamperedError
			if !errors.As(err, &tampered) {
				s.log.Warn("following a delete failed; run mpakd sync", "repository", repository, "version", v.Version, "err", err)
			}
		}
		if s.counter != nil {
			s.counter.Invalidate(repository)
		}
	}
}

// indexSubject re-reads the trust signals of the version whose root is
// subject, after something was attached to it. A subject that is no
// indexed version (a platform manifest, a container image) is left alone.
func (s *Server) indexSubject(ctx context.Context, repository string, subject digest.Digest) {
	vs, err := s.store.Versions(ctx, repository)
	if err != nil {
		if !errors.Is(err, catalog.ErrNotFound) {
			s.log.Warn("re-reading trust signals failed", "repository", repository, "subject", subject, "err", err)
		}
		return
	}
	for _, v := range vs {
		if v.Digest == subject.String() {
			if err := s.indexer.Tag(ctx, repository, v.Tag); err != nil {
				s.log.Warn("re-reading trust signals failed; run mpakd sync", "repository", repository, "version", v.Version, "err", err)
			}
			return
		}
	}
}

// Handler serves every endpoint; tests mount it on httptest servers.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.log.Info("mpakd serving", "addr", ln.Addr().String())
	if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown drains requests in flight, then stops the registry.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.stopSync != nil {
		s.stopSync()
		<-s.syncDone
	}
	s.stopEngineLoop()
	err := s.http.Shutdown(ctx)
	if s.scanner != nil {
		s.scanner.Close()
	}
	if s.counter != nil {
		err = errors.Join(err, s.counter.Close())
	}
	return errors.Join(err, s.backend.close())
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "mpakd: an OCI registry for MCP bundles\n\n"+
		"  push:  MPAK_REGISTRY=%[1]s mpak bundle push @scope/name bundle.mcpb\n"+
		"  pull:  MPAK_REGISTRY=%[1]s mpak bundle pull @scope/name\n"+
		"  list:  curl http://%[1]s/v2/_catalog\n", r.Host)
}
