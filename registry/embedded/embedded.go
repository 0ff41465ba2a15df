// Package embedded runs a distribution/v3 registry inside the process, so
// one mpakd binary is a complete OCI registry with no other service to run.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem" // registers "filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"   // registers "inmemory"
	"github.com/sirupsen/logrus"
)

// Options configures the embedded registry.
type Options struct {
	// Dir holds the blobs and manifests; empty keeps everything in memory.
	Dir string
	// Secret signs upload state; default: a random secret kept in Dir, so
	// uploads survive restarts (and replicas sharing Dir agree).
	Secret string
	// LogLevel is distribution's log level (default "fatal": it logs every
	// 404 as an error, and clients probe with HEADs that 404 all the time).
	LogLevel string
}

// Registry is an http.Handler serving the OCI distribution API under /v2/.
type Registry struct {
	app *handlers.App
}

// New builds the registry. The configuration goes through distribution's own
// parser so its defaults apply: a struct literal would leave the catalog
// page size at 0 and /v2/_catalog empty.
func New(ctx context.Context, opts Options) (r *Registry, err error) {
	level := opts.LogLevel
	if level == "" {
		level = "fatal"
	}
	lv, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	logrus.SetLevel(lv)

	storage := "  inmemory: {}\n"
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("registry data dir: %w", err)
		}
		storage = fmt.Sprintf("  filesystem:\n    rootdirectory: %q\n", filepath.Join(opts.Dir, "registry"))
	}
	secret := opts.Secret
	if secret == "" {
		if secret, err = loadSecret(opts.Dir); err != nil {
			return nil, err
		}
	}
	yaml := "version: 0.1\n" +
		"log:\n  level: " + configLevel(lv) + "\n" +
		"storage:\n" + storage +
		// Deletes let oras-go tidy superseded referrer fallback indexes.
		"  delete:\n    enabled: true\n" +
		"http:\n  secret: " + fmt.Sprintf("%q", secret) + "\n"
	cfg, err := configuration.Parse(strings.NewReader(yaml))
	if err != nil {
		return nil, fmt.Errorf("registry configuration: %w", err)
	}
	defer func() {
		// NewApp panics on configuration it cannot use.
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("starting embedded registry: %v", p)
		}
	}()
	return &Registry{app: handlers.NewApp(ctx, cfg)}, nil
}

func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.app.ServeHTTP(w, req) }

// Close stops background work (the upload purger).
func (r *Registry) Close() error { return r.app.Shutdown() }

// configLevel is the nearest level distribution's configuration accepts; the
// logger itself is set to the exact level.
func configLevel(l logrus.Level) string {
	if l < logrus.ErrorLevel {
		return "error"
	}
	return l.String()
}

func loadSecret(dir string) (string, error) {
	var buf [32]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	fresh := hex.EncodeToString(buf[:])
	if dir == "" {
		return fresh, nil
	}
	path := filepath.Join(dir, "http-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(fresh+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return fresh, nil
}
