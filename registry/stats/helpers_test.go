package stats

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

// The fixture: one version with two platform builds, whose layer digests
// are made up (Record and Layer only compare them).
const (
	fixtureRepo    = "acme/weather"
	fixtureVersion = "1.0.0"
	linux          = "linux/amd64"
	darwin         = "darwin/arm64"
)

var (
	linuxLayer  = digest.FromString("linux build").String()
	darwinLayer = digest.FromString("darwin build").String()
	day1        = time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC)
	day2        = time.Date(2026, 3, 5, 0, 1, 0, 0, time.UTC)
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openStore opens the SQLite store at path (a temporary file when empty).
func openStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "index.db")
	}
	s, err := sqlite.Open(path)
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// putVersion indexes repository@version with builds given as platform,
// layer digest pairs.
func putVersion(t testing.TB, s catalog.Store, repository, version string, platformLayers ...string) {
	t.Helper()
	v := &catalog.Version{Repository: repository, Version: version, Tag: version, Name: repository, ServerType: "node"}
	for i := 0; i+1 < len(platformLayers); i += 2 {
		v.Builds = append(v.Builds, catalog.Build{Platform: platformLayers[i], LayerDigest: platformLayers[i+1]})
	}
	must(t, s.PutVersion(context.Background(), v))
}

func putFixture(t testing.TB, s catalog.Store) {
	putVersion(t, s, fixtureRepo, fixtureVersion, linux, linuxLayer, darwin, darwinLayer)
}

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// logBuffer collects a Counter's log output; tests fail on errors in it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// openCounter opens a Counter that flushes only when told (unless opts
// says otherwise) and checks, when the test ends, that it closed cleanly
// without logging an error.
func openCounter(t testing.TB, opts Options) (*Counter, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if opts.WALPath == "" {
		opts.WALPath = filepath.Join(t.TempDir(), "downloads.wal")
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = time.Hour
	}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := Open(context.Background(), opts)
	must(t, err)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if s := logs.String(); strings.Contains(s, "level=ERROR") {
			t.Errorf("the counter logged an error:\n%s", s)
		}
	})
	return c, logs
}

// wantStats checks a repository's counts exactly.
func wantStats(t testing.TB, s catalog.Store, repository string, total int64, byVersion, byPlatform map[string]int64, daily ...catalog.DayCount) {
	t.Helper()
	st, err := s.Stats(context.Background(), repository)
	if errors.Is(err, catalog.ErrNotFound) && total == 0 {
		return
	}
	must(t, err)
	if st.Total != total {
		t.Errorf("%s: total %d downloads, want %d", repository, st.Total, total)
	}
	if byVersion != nil && !maps.Equal(st.ByVersion, byVersion) {
		t.Errorf("%s: by version %v, want %v", repository, st.ByVersion, byVersion)
	}
	if byPlatform != nil && !maps.Equal(st.ByPlatform, byPlatform) {
		t.Errorf("%s: by platform %v, want %v", repository, st.ByPlatform, byPlatform)
	}
	if daily != nil && !slices.EqualFunc(st.Daily, daily, func(a, b catalog.DayCount) bool { return a.Day.Equal(b.Day) && a.Count == b.Count }) {
		t.Errorf("%s: daily %v, want %v", repository, st.Daily, daily)
	}
}

func total(t testing.TB, s catalog.Store, repository string) int64 {
	t.Helper()
	st, err := s.Stats(context.Background(), repository)
	if errors.Is(err, catalog.ErrNotFound) {
		return 0
	}
	must(t, err)
	return st.Total
}

// wantPending waits briefly for a count that is still to come: a download
// counts once the server has sent its last byte, which can be just after
// the client has read it.
func wantPending(t testing.TB, c *Counter, want int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); c.Pending() < want && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	if got := c.Pending(); got != want {
		t.Fatalf("Pending() = %d, want %d", got, want)
	}
}

// batchFiles lists the sealed batches next to a log.
func batchFiles(t testing.TB, wal string) []batch {
	t.Helper()
	bs, err := listBatches(wal)
	must(t, err)
	return bs
}

// flakyStore injects failures into the real store: Layer, AddDownloads and
// Stats fail while down is set, and AddDownloads reports failure after
// committing while lying is set (a connection lost after COMMIT).
type flakyStore struct {
	catalog.Store
	down  atomic.Bool
	lying atomic.Bool
}

var errStoreDown = errors.New("store unreachable (injected)")

func (f *flakyStore) Layer(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	if f.down.Load() {
		return nil, errStoreDown
	}
	return f.Store.Layer(ctx, repository, digest)
}

func (f *flakyStore) Stats(ctx context.Context, repository string) (*catalog.Stats, error) {
	if f.down.Load() {
		return nil, errStoreDown
	}
	return f.Store.Stats(ctx, repository)
}

func (f *flakyStore) AddDownloads(ctx context.Context, ds []catalog.Download) error {
	if f.down.Load() {
		return errStoreDown
	}
	if err := f.Store.AddDownloads(ctx, ds); err != nil {
		return err
	}
	if f.lying.Load() {
		return errors.New("connection lost after COMMIT (injected)")
	}
	return nil
}
