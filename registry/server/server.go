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
	"time"

	"github.com/mpak-oci/mpak/registry/embedded"
)

// Options configures a server. The zero value serves an in-memory registry.
type Options struct {
	// DataDir holds the registry's storage; empty keeps it in memory.
	DataDir string
	Logger  *slog.Logger
}

// Server is a running mpakd.
type Server struct {
	reg  *embedded.Registry
	mux  *http.ServeMux
	http *http.Server
	log  *slog.Logger
}

// New builds the server and its embedded registry.
func New(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	reg, err := embedded.New(ctx, embedded.Options{Dir: opts.DataDir})
	if err != nil {
		return nil, err
	}
	s := &Server{reg: reg, mux: http.NewServeMux(), log: log}
	s.mux.Handle("/v2/", reg)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /{$}", s.home)
	s.http = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Handler serves every endpoint; tests mount it on httptest servers.
func (s *Server) Handler() http.Handler { return s.mux }

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
	err := s.http.Shutdown(ctx)
	return errors.Join(err, s.reg.Close())
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "mpakd: an OCI registry for MCP bundles\n\n"+
		"  push:  MPAK_REGISTRY=%[1]s mpak bundle push @scope/name bundle.mcpb\n"+
		"  pull:  MPAK_REGISTRY=%[1]s mpak bundle pull @scope/name\n"+
		"  list:  curl http://%[1]s/v2/_catalog\n", r.Host)
}
