package stats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

const (
	defaultFlushInterval = time.Second
	// maxRetryInterval bounds the backoff while the Store fails: the log
	// keeps every download meanwhile, so retrying faster only adds load.
	maxRetryInterval = time.Minute
	// flushTimeout bounds one background or final flush.
	flushTimeout = 30 * time.Second
	// dropLogInterval rate-limits the error about downloads that could not
	// be logged: with a full disk every pull would log it.
	dropLogInterval = 10 * time.Second
)

// Options configures a Counter.
type Options struct {
	// Store resolves layer digests and receives the counts.
	Store catalog.Store
	// WALPath is the write-ahead log, e.g. <data dir>/downloads.wal.
	// Sealed batches (<WALPath>.batch-*) and a lock (<WALPath>.lock) are
	// kept next to it. Required.
	WALPath string
	// FlushInterval is how often the log is added to the Store (default 1s).
	FlushInterval time.Duration
	Logger        *slog.Logger
	// Now dates downloads and times the per-client limit (default
	// time.Now; tests pin it).
	Now func() time.Time
	// MaxPerClient is how many downloads of one version one client address
	// adds in any hour, through Middleware (default DefaultMaxPerClient;
	// negative: no limit). Pulls past it are served in full, not counted.
	MaxPerClient int
	// TrustedProxies are the reverse proxies in front of mpakd: a request
	// from one is the client's that X-Forwarded-For names. Without them
	// every client behind a proxy is the proxy, and shares its limit.
	TrustedProxies []netip.Prefix
}

// Counter counts downloads through a write-ahead log; see the package
// documentation for what it guarantees.
type Counter struct {
	store          catalog.Store
	trustedProxies []netip.Prefix
	log            *slog.Logger
	now            func() time.Time
	interval       time.Duration
	wal            *wal
	layers         *resolver
	lock           *os.File
	// ranges tracks what clients fetching blobs in ranges have been sent.
	ranges *coverage
	// limit caps what one client adds; nil when there is no limit.
	limit *limiter

	// pending is the number of log lines not yet in the Store, active and
	// sealed.
	pending atomic.Int64
	// counted is the number of downloads this Counter added to the Store.
	counted atomic.Int64

	// flushMu serialises flushes and guards the fields below it.
	flushMu sync.Mutex
	// id names this Counter's batches and its marker row.
	id string
	// committed is this Counter's marker: how many of its batches are in the
	// Store. known is false after an AddDownloads whose outcome is unknown.
	committed int64
	known     bool
	// checked is set once the Store was seen to report the marker.
	checked bool

	dropped     atomic.Int64
	lastDropLog atomic.Int64 // unix nanoseconds

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (or creates) the write-ahead log, adds what an earlier process
// left in it to the Store, and starts flushing every FlushInterval. A Store
// that fails during that first flush is logged, not returned: the downloads
// stay in the log and the flusher retries, so mpakd serves pulls meanwhile.
// Errors are about the log itself (missing options, an unwritable
// directory, a second Counter on the same log).
func Open(ctx context.Context, opts Options) (*Counter, error) {
	if opts.Store == nil {
		return nil, errors.New("stats: Options.Store is nil: pass the catalog store that downloads are counted in")
	}
	if opts.WALPath == "" {
		return nil, errors.New("stats: Options.WALPath is empty: pass a file path such as <data dir>/downloads.wal")
	}
	c := &Counter{
		store:          opts.Store,
		trustedProxies: opts.TrustedProxies,
		log:            opts.Logger,
		now:            opts.Now,
		interval:       opts.FlushInterval,
		known:          true, // a fresh id has no batches in the Store
		stop:           make(chan struct{}),
		done:           make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.interval <= 0 {
		c.interval = defaultFlushInterval
	}
	c.layers = newResolver(opts.Store, c.log)
	c.ranges = newCoverage(c.now)
	switch {
	case opts.MaxPerClient == 0:
		c.limit = newLimiter(DefaultMaxPerClient, c.now)
	case opts.MaxPerClient > 0:
		c.limit = newLimiter(opts.MaxPerClient, c.now)
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("stats: generating a batch id: %w", err)
	}
	c.id = hex.EncodeToString(id[:])

	path, err := filepath.Abs(opts.WALPath)
	if err != nil {
		return nil, fmt.Errorf("stats: WAL path %s: %w", opts.WALPath, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("stats: creating the directory of the download log: %w", err)
	}
	if c.lock, err = lockFile(path + lockSuffix); err != nil {
		return nil, err
	}
	w, lines, err := openWAL(path)
	if err != nil {
		c.lock.Close()
		return nil, err
	}
	c.wal = w
	sealed, err := listBatches(path)
	if err == nil {
		for _, b := range sealed {
			n, cerr := countLines(b.path)
			if cerr != nil {
				err = cerr
				break
			}
			lines += n
		}
	}
	if err != nil {
		w.close()
		c.lock.Close()
		return nil, fmt.Errorf("stats: reading the download log: %w", err)
	}
	c.pending.Store(lines)

	if lines > 0 {
		if err := c.Flush(ctx); err != nil {
			c.log.Warn("adding downloads left in the log by an earlier run failed; they stay in the log and are retried",
				"wal", path, "pending", c.Pending(), "err", err)
		} else {
			c.log.Info("added downloads left in the log by an earlier run", "wal", path, "lines", lines)
		}
	}
	go c.run()
	return c, nil
}

// Pending is the number of downloads recorded but not yet in the Store (a
// few of them may turn out not to be bundle layers), for /metrics.
func (c *Counter) Pending() int { return int(c.pending.Load()) }

// Counted is how many downloads this Counter has added to the Store since
// Open (a batch recovered from an earlier run included).
func (c *Counter) Counted() int64 { return c.counted.Load() }

// run flushes every interval while downloads are pending, backing off while
// the Store fails.
func (c *Counter) run() {
	defer close(c.done)
	t := time.NewTimer(c.interval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if c.Pending() > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			err := c.Flush(ctx)
			cancel()
			if err != nil {
				failures++
				c.log.Warn("adding downloads to the catalog failed; they stay in the log and are retried",
					"pending", c.Pending(), "retry_in", retryInterval(c.interval, failures), "err", err)
			} else {
				failures = 0
			}
		}
		t.Reset(retryInterval(c.interval, failures))
	}
}

// retryInterval doubles the interval for each consecutive failure.
func retryInterval(interval time.Duration, failures int) time.Duration {
	d := interval
	for range failures {
		if d *= 2; d >= maxRetryInterval {
			return maxRetryInterval
		}
	}
	return d
}

// Close stops the flusher, adds what is pending to the Store and releases
// the log. If that last flush fails, the downloads stay in the log and the
// next Open adds them.
func (c *Counter) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		defer cancel()
		var err error
		if ferr := c.Flush(ctx); ferr != nil {
			err = fmt.Errorf("stats: final flush failed; %d downloads stay in %s and are added at the next start: %w",
				c.Pending(), c.wal.path, ferr)
		}
		c.closeErr = errors.Join(err, c.wal.close(), c.lock.Close())
	})
	return c.closeErr
}

// drop counts a download that could not be logged, and says so at most
// every dropLogInterval.
func (c *Counter) drop(repository, digest string, err error) {
	n := c.dropped.Add(1)
	now := time.Now().UnixNano()
	last := c.lastDropLog.Load()
	if now-last < int64(dropLogInterval) || !c.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	if errors.Is(err, errClosed) {
		c.log.Error("downloads recorded after Close are not counted: shut the HTTP server down before closing the Counter",
			"dropped_total", n, "repository", repository, "digest", digest)
		return
	}
	c.log.Error("downloads could not be written to the log and are not counted; free space or fix permissions",
		"wal", c.wal.path, "dropped_total", n, "repository", repository, "digest", digest, "err", err)
}
