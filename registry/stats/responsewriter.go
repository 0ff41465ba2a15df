package stats

import (
	"io"
	"net/http"
)

// statusWriter passes a response through, calls observe once with its
// final status and headers just before they are sent, and counts the body
// bytes the underlying writer accepted. It buffers nothing. Unwrap keeps
// http.ResponseController working; Flush and ReadFrom are forwarded too,
// for handlers that assert them directly (ReadFrom lets the server use
// sendfile/splice for blob bodies).
type statusWriter struct {
	http.ResponseWriter
	observe func(code int, h http.Header)
	seen    bool
	written int64
}

func (w *statusWriter) see(code int) {
	if !w.seen {
		w.seen = true
		w.observe(code, w.ResponseWriter.Header())
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if code >= 200 { // 1xx (e.g. 103 Early Hints) are not the final status
		w.see(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.see(http.StatusOK)
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	w.see(http.StatusOK)
	var (
		n   int64
		err error
	)
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(w.ResponseWriter, r)
	}
	w.written += n
	return n, err
}

func (w *statusWriter) Flush() {
	w.see(http.StatusOK)
	_ = http.NewResponseController(w.ResponseWriter).Flush() // not every writer can; then there is nothing to flush
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish observes the implicit 200 of a handler that wrote nothing.
func (w *statusWriter) finish() { w.see(http.StatusOK) }
