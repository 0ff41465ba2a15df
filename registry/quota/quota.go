// Package quota refuses, in front of a registry's OCI API, blob uploads
// that would take a repository past a size limit, so that one publisher
// (or a CI job pushing in a loop) cannot fill the disk every repository
// shares. The refusal is the distribution spec's DENIED error, with a
// message that says what the repository holds and what to do, which
// oras, crane, docker and mpak print as they get it.
//
// A repository's size is the sum of the distinct blobs linked into it
// (layers, configs, manifests), each counted in full even when another
// repository shares it: it is what the repository's publisher put there.
// It is measured from storage once, then kept up to date from the writes
// that pass through, and measured again after a delete or after TTL.
//
// Manifests are let through whatever the size: they are small, and
// refusing one would leave a version half-pushed when its blobs fit.
package quota

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// Storage is what the quota reads of the registry it fronts
// (embedded.Registry).
type Storage interface {
	// Contents lists the distinct blobs and manifests linked into a
	// repository, with their sizes.
	Contents(ctx context.Context, repository string) (map[digest.Digest]int64, error)
	// BlobSize is the size of a blob held in any repository (0: none), for
	// cross-repository mounts.
	BlobSize(ctx context.Context, d digest.Digest) (int64, error)
	// UploadSize is how many bytes an unfinished upload holds (0: none).
	UploadSize(ctx context.Context, repository, id string) (int64, error)
	// CancelUpload deletes an unfinished upload.
	CancelUpload(ctx context.Context, repository, id string) error
}

// DefaultTTL is how long a measured size is trusted. Writes that do not
// pass through the middleware (mpakd's own referrer indexes, another
// replica sharing the storage, garbage collection) are caught up then.
const DefaultTTL = 10 * time.Minute

// Options configures Middleware.
type Options struct {
	// Max is the largest a repository may grow, in bytes. Required.
	Max int64
	// Storage measures repositories. Required.
	Storage Storage
	// TTL: see DefaultTTL, the default.
	TTL    time.Duration
	Logger *slog.Logger
}

// Quota keeps the sizes of the repositories written to.
type Quota struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	repos map[string]*usage
	swept time.Time
}

// usage is one repository's, guarded by Quota.mu.
type usage struct {
	blobs    map[digest.Digest]int64 // nil: not measured
	size     int64                   // the sum of blobs
	measured time.Time
	// pending is the bytes of uploads in flight, counted against the quota
	// so that parallel uploads cannot each fit and together not.
	pending int64
	used    time.Time
	// walking is closed when the measurement in progress ends. What is
	// recorded meanwhile goes to added too, as the walk may have missed
	// it; a delete meanwhile makes the walk's result stale.
	walking chan struct{}
	added   map[digest.Digest]int64
	stale   bool
}

// New returns a Quota; Middleware puts it in front of a handler.
func New(opts Options) *Quota {
	if opts.Max <= 0 || opts.Storage == nil {
		panic("quota.New: Options.Max and Options.Storage are required")
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Quota{opts: opts, log: opts.Logger, repos: map[string]*usage{}}
}

// Middleware returns next behind the quota.
func (q *Quota) Middleware(next http.Handler) http.Handler { return &handler{q: q, next: next} }

// Size is what a repository holds, as the quota counts it.
func (q *Quota) Size(ctx context.Context, repository string) (int64, error) {
	u, err := q.measure(ctx, repository)
	if err != nil {
		return 0, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return u.size, nil
}

type handler struct {
	q    *Quota
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, id, ok := uploadPath(r.URL.Path); ok && validName(name) {
		switch r.Method {
		case http.MethodPost, http.MethodPatch, http.MethodPut:
			h.upload(w, r, name, id)
			return
		}
	}
	if name, _, ok := ociapi.SplitPath(r.URL.Path, "/manifests/"); ok && validName(name) {
		switch r.Method {
		case http.MethodPut:
			h.putManifest(w, r, name)
			return
		case http.MethodDelete:
			h.forgetAfter(w, r, name)
			return
		}
	}
	if name, _, ok := ociapi.SplitPath(r.URL.Path, "/blobs/"); ok && validName(name) && r.Method == http.MethodDelete {
		h.forgetAfter(w, r, name)
		return
	}
	h.next.ServeHTTP(w, r)
}

// uploadPath splits /v2/<name>/blobs/uploads/[<id>].
func uploadPath(p string) (name, id string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	if name, found = strings.CutSuffix(rest, "/blobs/uploads"); found {
		return name, "", name != ""
	}
	i := strings.LastIndex(rest, "/blobs/uploads/")
	if i <= 0 {
		return "", "", false
	}
	name, id = rest[:i], rest[i+len("/blobs/uploads/"):]
	return name, id, !strings.Contains(id, "/")
}

// validName keeps names storage must not see ("a/../../b") away from it;
// the registry answers those requests itself.
func validName(name string) bool {
	return (registry.Reference{Registry: "quota.invalid", Repository: name}).ValidateRepository() == nil
}

// upload handles the requests that add bytes to a repository: POST
// (starting an upload, with a monolithic body, or mounting a blob), PATCH
// (a chunk) and PUT (completing an upload, with its last chunk or all of
// it).
func (h *handler) upload(w http.ResponseWriter, r *http.Request, name, id string) {
	q, ctx := h.q, r.Context()
	u, err := q.measure(ctx, name)
	if err != nil {
		h.unavailable(w, r, name, err)
		return
	}
	query := r.URL.Query()
	if r.Method == http.MethodPost && query.Get("mount") != "" {
		h.mount(w, r, name, u, query.Get("mount"))
		return
	}
	var dgst digest.Digest // the blob the request completes, when it says
	if r.Method != http.MethodPatch {
		if d, err := digest.Parse(query.Get("digest")); err == nil {
			dgst = d
		}
	}
	if dgst != "" && q.holds(u, dgst) {
		h.next.ServeHTTP(w, r) // linking what the repository holds adds nothing
		return
	}
	var before int64 // the upload's earlier chunks
	if id != "" {
		if before, err = q.opts.Storage.UploadSize(ctx, name, id); err != nil {
			h.unavailable(w, r, name, err)
			return
		}
	}
	want := before
	if r.ContentLength > 0 {
		want += r.ContentLength
	}
	reserved := int64(0)
	defer func() { q.release(u, reserved) }()
	if !q.reserve(u, want) {
		h.refuse(w, r, name, u, want, false)
		h.cancelThroughRegistry(r, name, id)
		return
	}
	reserved = want
	var body *meter
	if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
		// Streamed (chunked): counted as it comes, and cut off at the
		// first read past the quota, before the registry writes it.
		body = &meter{ReadCloser: r.Body, take: func(n int64) bool {
			if !q.reserve(u, n) {
				return false
			}
			reserved += n
			return true
		}}
		r.Body = body
	}
	rw := &recorder{ResponseWriter: w}
	if body != nil {
		rw.drop = func() bool { return body.over }
	}
	h.next.ServeHTTP(rw, r)
	if body != nil && body.over {
		// The registry answered a failed read; the client is told why.
		// The request's own bytes are not "more being uploaded".
		q.release(u, reserved)
		reserved = 0
		h.refuse(w, r, name, u, before+body.n+body.refused, true)
		h.cancel(r, name, id)
		return
	}
	if rw.status == http.StatusCreated {
		size := want
		if body != nil {
			size = before + body.n
		}
		if dgst == "" {
			q.forget(name) // stored as what, the request did not say
		} else {
			q.record(name, dgst, size)
		}
	}
}

// mount handles POST ?mount=<digest>&from=<repository>: the blob, if the
// registry holds it, is linked without uploading it, and counts as much
// as if it had been.
func (h *handler) mount(w http.ResponseWriter, r *http.Request, name string, u *usage, mount string) {
	q := h.q
	d, err := digest.Parse(mount)
	if err != nil || q.holds(u, d) {
		h.next.ServeHTTP(w, r)
		return
	}
	size, err := q.opts.Storage.BlobSize(r.Context(), d)
	if err != nil {
		h.unavailable(w, r, name, err)
		return
	}
	if !q.reserve(u, size) {
		h.refuse(w, r, name, u, size, false)
		return
	}
	defer q.release(u, size)
	rw := &recorder{ResponseWriter: w}
	h.next.ServeHTTP(rw, r)
	if rw.status == http.StatusCreated {
		q.record(name, d, size)
	}
}

// putManifest lets a manifest through and counts it once stored.
func (h *handler) putManifest(w http.ResponseWriter, r *http.Request, name string) {
	body := &meter{ReadCloser: r.Body}
	r.Body = body
	rw := &recorder{ResponseWriter: w}
	h.next.ServeHTTP(rw, r)
	if rw.status/100 != 2 {
		return
	}
	if d, err := digest.Parse(w.Header().Get("Docker-Content-Digest")); err == nil {
		h.q.record(name, d, body.n)
	} else {
		h.q.forget(name)
	}
}

// forgetAfter passes a delete through; if it succeeded, the repository is
// measured again when next written to. Deletes are rare (takedowns,
// referrer index tidying), and what a manifest delete frees depends on
// garbage collection, so counting it down here would guess.
func (h *handler) forgetAfter(w http.ResponseWriter, r *http.Request, name string) {
	rw := &recorder{ResponseWriter: w}
	h.next.ServeHTTP(rw, r)
	if rw.status/100 == 2 {
		h.q.forget(name)
	}
}

// refuse answers with the quota's error. soFar says upload is what a
// streamed body had sent when it was cut off, not all of it.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, name string, u *usage, upload int64, soFar bool) {
	q := h.q
	q.mu.Lock()
	holds, pending := u.size, u.pending
	q.mu.Unlock()
	bin := binaryUnits(q.opts.Max)
	msg := name + " holds " + FormatSize(holds, bin)
	if pending > 0 && holds+upload <= q.opts.Max {
		// Only when other uploads are what tips it over: a pusher's own
		// small blobs going up in parallel would just puzzle.
		msg += " and " + FormatSize(pending, bin) + " more is being uploaded"
	}
	size := FormatSize(upload, bin)
	if soFar {
		size = "over " + size
	}
	msg += fmt.Sprintf("; this upload (%s) would take it past its %s quota (mpakd --max-repo-size): "+
		"yank and ask an administrator to delete old versions, or raise the quota", size, FormatSize(q.opts.Max, bin))
	q.log.Warn("refused: repository quota", "method", r.Method, "path", r.URL.Path, "repository", name,
		"holds", holds, "pending", pending, "upload", upload, "quota", q.opts.Max,
		"remote", r.RemoteAddr, "user_agent", r.UserAgent())
	// 403 DENIED rather than 413: oras and crane print the message either
	// way, but 413 reads as a request-size limit (a proxy's
	// client_max_body_size), which is not what is to be raised.
	ociapi.WriteError(w, http.StatusForbidden, ociapi.CodeDenied, msg, nil)
}

// cancel deletes a refused upload from storage: its client cannot
// complete it, and what it holds would stay on disk until purged. Only for
// a request whose upload state the registry has checked: one whose body
// it read (the quota cut it off mid-stream, and the state now names a
// size the partial write changed, so the registry would refuse to cancel
// it), or one it has just cancelled.
func (h *handler) cancel(r *http.Request, name, id string) {
	if id == "" {
		return
	}
	if err := h.q.opts.Storage.CancelUpload(context.WithoutCancel(r.Context()), name, id); err != nil {
		h.q.log.Warn("cancelling an upload refused by the quota; it is purged later", "repository", name, "upload", id, "err", err)
	}
}

// cancelThroughRegistry cancels an upload refused before its request was
// read, with a DELETE carrying the request's upload state: the registry
// checks it, so that a request cannot cancel an upload it was not given.
// What distribution leaves of a cancelled upload (its hash state) is
// deleted after.
func (h *handler) cancelThroughRegistry(r *http.Request, name, id string) {
	if id == "" {
		return
	}
	del := r.Clone(context.WithoutCancel(r.Context()))
	del.Method, del.Body, del.ContentLength = http.MethodDelete, http.NoBody, 0
	del.Header.Del("Content-Length")
	del.Header.Del("Content-Range")
	q := del.URL.Query()
	q.Del("digest")
	del.URL.RawQuery = q.Encode()
	rw := &discard{header: http.Header{}}
	h.next.ServeHTTP(rw, del)
	if rw.status/100 != 2 {
		h.q.log.Warn("cancelling an upload refused by the quota failed; it is purged later", "path", r.URL.Path, "status", rw.status)
		return
	}
	h.cancel(r, name, id)
}

// discard is a ResponseWriter for requests whose answer only matters by
// its status.
type discard struct {
	header http.Header
	status int
}

func (d *discard) Header() http.Header { return d.header }
func (d *discard) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}
func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	return len(p), nil
}

func (h *handler) unavailable(w http.ResponseWriter, r *http.Request, name string, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	h.q.log.Error("measuring a repository for its quota", "repository", name, "err", err)
	ociapi.WriteError(w, http.StatusServiceUnavailable, ociapi.CodeUnavailable,
		"mpakd could not measure "+name+" against its quota (--max-repo-size); try again later", nil)
}

// measure returns the repository's usage, measured within TTL.
func (q *Quota) measure(ctx context.Context, name string) (*usage, error) {
	for {
		q.mu.Lock()
		q.sweep()
		u := q.repos[name]
		if u == nil {
			u = &usage{}
			q.repos[name] = u
		}
		u.used = time.Now()
		if u.blobs != nil && time.Since(u.measured) < q.opts.TTL {
			q.mu.Unlock()
			return u, nil
		}
		if ch := u.walking; ch != nil {
			q.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		u.walking, u.added, u.stale = ch, map[digest.Digest]int64{}, false
		q.mu.Unlock()

		blobs, err := q.opts.Storage.Contents(ctx, name)

		q.mu.Lock()
		u.walking = nil
		close(ch)
		stale, added := u.stale, u.added
		u.added = nil
		if err == nil && !stale {
			for d, n := range added {
				blobs[d] = n
			}
			u.blobs, u.size, u.measured = blobs, 0, time.Now()
			for _, n := range blobs {
				u.size += n
			}
		}
		q.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if !stale {
			return u, nil
		}
	}
}

// sweep drops the repositories not written to for a TTL, so the cache
// holds those being pushed to, not every one ever pushed to.
func (q *Quota) sweep() {
	if time.Since(q.swept) < q.opts.TTL {
		return
	}
	q.swept = time.Now()
	for name, u := range q.repos {
		if u.pending == 0 && u.walking == nil && time.Since(u.used) > q.opts.TTL {
			delete(q.repos, name)
		}
	}
}

func (q *Quota) holds(u *usage, d digest.Digest) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := u.blobs[d]
	return ok
}

// reserve counts n more bytes of an upload in flight against the quota,
// if they fit. Nothing is refused for no bytes: starting an upload, or
// completing one whose bytes were counted as they came, is fine even in
// a repository over a quota lowered since.
func (q *Quota) reserve(u *usage, n int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n > 0 && u.size+u.pending+n > q.opts.Max {
		return false
	}
	u.pending += n
	return true
}

func (q *Quota) release(u *usage, n int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	u.pending -= n
}

// record adds a blob or manifest the registry has just stored.
func (q *Quota) record(name string, d digest.Digest, size int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.repos[name]
	if u == nil {
		return // measured when next written to
	}
	if u.walking != nil {
		u.added[d] = size
	}
	if u.blobs == nil {
		return
	}
	if _, ok := u.blobs[d]; !ok {
		u.blobs[d] = size
		u.size += size
	}
}

// forget makes the repository measured again when next written to.
func (q *Quota) forget(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if u := q.repos[name]; u != nil {
		u.blobs, u.size, u.stale = nil, 0, true
	}
}

var errOverQuota = errors.New("over the repository's quota")

// meter counts a request body as it is read; with take set, it asks for
// every chunk and stops at the first refused.
type meter struct {
	io.ReadCloser
	take    func(n int64) bool
	n       int64 // bytes read and taken
	refused int64 // the chunk not taken
	over    bool
}

func (m *meter) Read(p []byte) (int, error) {
	if m.over {
		return 0, errOverQuota
	}
	n, err := m.ReadCloser.Read(p)
	if n > 0 && m.take != nil && !m.take(int64(n)) {
		m.over, m.refused = true, int64(n)
		return 0, errOverQuota
	}
	m.n += int64(n)
	return n, err
}

// recorder notes the status the next handler answered with. Once drop
// reports true, the answer is swallowed: the registry's error for a body
// the quota cut off says nothing useful.
type recorder struct {
	http.ResponseWriter
	status  int
	drop    func() bool
	dropped bool
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status != 0 {
		return
	}
	rw.status = code
	if rw.drop != nil && rw.drop() {
		rw.dropped = true
		return
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.dropped {
		return len(p), nil
	}
	return rw.ResponseWriter.Write(p)
}

func (rw *recorder) Flush() {
	if f, ok := rw.ResponseWriter.(http.Flusher); ok && !rw.dropped && rw.status != 0 {
		f.Flush()
	}
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
