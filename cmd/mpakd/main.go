// Command mpakd serves an OCI registry for MCP bundles: with no flags, one
// binary with embedded storage on 127.0.0.1:5000.
package main

import (
	"context"
	"fmt"
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
	addr string
	data string
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
		c.Flags().StringVar(&f.data, "data", "./mpak-data", "directory for registry storage")
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
	root.AddCommand(serve)
	return root
}

func runServe(ctx context.Context, f *serveFlags) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := server.New(ctx, server.Options{DataDir: f.data, Logger: log})
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
