// Command mpakd serves an OCI registry for MCP bundles: with no flags, one
// binary with embedded storage on 127.0.0.1:5000.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/registry/server"
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
	addr       string
	data       string
	db         string
	namespace  string
	publicHost string
}

func rootCommand() *cobra.Command {
	f := &serveFlags{}
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the registry (the default command)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), f) },
	}
	addFlags := func(c *cobra.Command) {
		c.Flags().StringVar(&f.addr, "addr", "127.0.0.1:5000", "address to listen on")
		c.Flags().StringVar(&f.data, "data", "./mpak-data", "directory for registry storage and the SQLite catalog")
		c.Flags().StringVar(&f.db, "db", "", "catalog database: a postgres:// URL shared by several mpakd (default: SQLite in --data)")
		c.Flags().StringVar(&f.namespace, "namespace", "", "registry path @scope/name references live under (as in MPAK_REGISTRY=host/namespace)")
		c.Flags().StringVar(&f.publicHost, "public-host", "", "host[:port] clients reach this server at, for printed references (default: the request's Host)")
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
	reindex.Flags().StringVar(&f.data, "data", "./mpak-data", "directory for registry storage and the SQLite catalog")
	reindex.Flags().StringVar(&f.db, "db", "", "catalog database (default: SQLite in --data)")
	root.AddCommand(serve, reindex)
	return root
}

func runReindex(cmd *cobra.Command, f *serveFlags) error {
	ctx := cmd.Context()
	store, err := openStore(ctx, f.db, f.data)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := server.New(ctx, server.Options{DataDir: f.data, Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	repos, versions, err := srv.Reindex(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "reindexed %d versions in %d repositories\n", versions, repos)
	return nil
}

func runServe(ctx context.Context, f *serveFlags) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store, err := openStore(ctx, f.db, f.data)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := server.New(ctx, server.Options{DataDir: f.data, Store: store, Namespace: f.namespace, PublicHost: f.publicHost, Logger: log})
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
