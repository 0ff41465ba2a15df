// Package embedded runs a distribution/v3 registry inside the process, so
// one mpakd binary is a complete OCI registry with no other service to run.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
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
	// LogLevel is the level distribution logs at (default "warn"). Its
	// entries go to Logger (logging.go): errors at error level, except
	// those about an answer (it logs every 404 as an error, and clients
	// probe with HEADs that 404 all the time; a 5xx is logged by mpakd's
	// request log with the cause its body carries); the rest at debug.
	LogLevel string
	// PurgeAge is how old an unfinished upload must be to be deleted
	// (default DefaultPurgeAge; negative: never). Every interrupted push
	// leaves one behind, holding the bytes it got.
	PurgeAge time.Duration
	// PurgeInterval is how often unfinished uploads are looked for
	// (default DefaultPurgeInterval).
	PurgeInterval time.Duration
	// Logger reports purges and receives distribution's log entries.
	Logger *slog.Logger
}

// Purge defaults: distribution's own are a week, checked daily after a
// random delay of up to an hour, which lets a few interrupted multi-GB
// pushes fill a small disk. An upload taking six hours is not a bundle.
const (
	DefaultPurgeAge      = 6 * time.Hour
	DefaultPurgeInterval = time.Hour
)

// Registry is an http.Handler serving the OCI distribution API under /v2/.
type Registry struct {
	app *handlers.App
	// driver is the storage driver the app itself uses, for purging and
	// measuring (storage.go).
	driver storagedriver.StorageDriver
	log    *slog.Logger

	stopPurge context.CancelFunc
	purgeDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New builds the registry. The configuration goes through distribution's own
// parser so its defaults apply: a struct literal would leave the catalog
// page size at 0 and /v2/_catalog empty.
func New(ctx context.Context, opts Options) (r *Registry, err error) {
	level := opts.LogLevel
	if level == "" {
		level = "warn"
	}
	lv, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	logrus.SetLevel(lv)

	driver := "  inmemory: {}\n"
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("registry data dir: %w", err)
		}
		driver = fmt.Sprintf("  filesystem:\n    rootdirectory: %q\n", filepath.Join(opts.Dir, "registry"))
	}
	secret := opts.Secret
	if secret == "" {
		if secret, err = loadSecret(opts.Dir); err != nil {
			return nil, err
		}
	}
	captureID, err := randomHex()
	if err != nil {
		return nil, err
	}
	defer captured.Delete(captureID)
	yaml := "version: 0.1\n" +
		"log:\n  level: " + configLevel(lv) + "\n" +
		"storage:\n" + driver +
		// Deletes let oras-go tidy superseded referrer fallback indexes.
		"  delete:\n    enabled: true\n" +
		// Purging is ours (purge.go): distribution's cannot be run on
		// demand nor report what it did, and starts up to an hour late.
		"  maintenance:\n    uploadpurging:\n      enabled: false\n" +
		"middleware:\n  storage:\n    - name: " + captureMiddleware + "\n      options:\n        id: " + captureID + "\n" +
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
	app := handlers.NewApp(ctx, cfg)
	d, ok := captured.Load(captureID)
	if !ok {
		app.Shutdown()
		return nil, errors.New("starting embedded registry: its storage driver was not handed over")
	}
	r = &Registry{app: app, driver: d.(storagedriver.StorageDriver), log: opts.Logger, purgeDone: make(chan struct{})}
	if r.log == nil {
		r.log = slog.Default()
	}
	bridgeLogs(r.log)
	age, interval := opts.PurgeAge, opts.PurgeInterval
	if age == 0 {
		age = DefaultPurgeAge
	}
	if interval <= 0 {
		interval = DefaultPurgeInterval
	}
	if age < 0 {
		close(r.purgeDone)
		r.stopPurge = func() {}
		return r, nil
	}
	var pctx context.Context
	pctx, r.stopPurge = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(r.purgeDone)
		r.purgeEvery(pctx, age, interval)
	}()
	return r, nil
}

func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.app.ServeHTTP(w, req) }

// Close stops background work (the upload purger, waiting for a purge in
// progress) and the registry.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.stopPurge()
		<-r.purgeDone
		r.closeErr = r.app.Shutdown()
		unbridge(r.log)
	})
	return r.closeErr
}

// configLevel is the nearest level distribution's configuration accepts; the
// logger itself is set to the exact level.
func configLevel(l logrus.Level) string {
	switch {
	case l < logrus.ErrorLevel:
		return "error"
	case l == logrus.WarnLevel:
		return "warn" // logrus names it "warning", which the configuration refuses
	case l > logrus.DebugLevel:
		return "debug"
	}
	return l.String()
}

func randomHex() (string, error) {
	var buf [32]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf[:]), nil
}

func loadSecret(dir string) (string, error) {
	fresh, err := randomHex()
	if err != nil {
		return "", err
	}
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
