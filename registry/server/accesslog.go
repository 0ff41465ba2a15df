package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mpak-oci/mpak/registry/auth"
)

// maxErrorBody is how much of a 5xx answer is kept to log its cause: an
// OCI error document with its detail fits.
const maxErrorBody = 4 << 10

// requestInfo is filled in while a request is served, for its log line.
type requestInfo struct {
	// user is who the request's credentials authenticated (set by the
	// authenticators mpakd chains, recordUser).
	user atomic.Pointer[string]
}

type requestInfoKey struct{}

func infoOf(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return i
}

// recordUser notes who authenticated on the request's log line.
func recordUser(r *http.Request, name string) {
	if i := infoOf(r.Context()); i != nil && name != "" {
		i.user.Store(&name)
	}
}

// recordingAuthenticator notes the user a Basic credential authenticates,
// so the access log names them without checking the password again.
type recordingAuthenticator struct{ auth.Authenticator }

func (a recordingAuthenticator) Authenticate(r *http.Request, username, password string) (auth.Principal, error) {
	who, err := a.Authenticator.Authenticate(r, username, password)
	if err == nil && !who.Anonymous() {
		recordUser(r, who.Name)
	}
	return who, err
}

// logWriter records what was answered: status, bytes, and the start of a
// 5xx answer's body, its cause.
type logWriter struct {
	http.ResponseWriter
	code    int
	bytes   int64
	errBody []byte
}

func (w *logWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.code >= 500 && len(w.errBody) < maxErrorBody {
		w.errBody = append(w.errBody, b[:min(len(b), maxErrorBody-len(w.errBody))]...)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs every answer at or above 500 at error level with its
// cause, and, with access, every request at info: method, path, status,
// bytes, duration, remote address and, if authenticated, the user.
// who names the user of a bearer token (nil without authentication).
func logRequests(next http.Handler, log *slog.Logger, access bool, who func(*http.Request) (string, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		lw := &logWriter{ResponseWriter: w}
		next.ServeHTTP(lw, r)
		if lw.code == 0 {
			lw.code = http.StatusOK
		}
		if !access && lw.code < 500 {
			return
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", lw.code, "bytes", lw.bytes,
			"duration", time.Since(start).Round(time.Microsecond), "remote", r.RemoteAddr}
		user := info.user.Load()
		if user == nil && who != nil && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			// Verified tokens are cached: this costs no signature check.
			if name, ok := who(r); ok {
				user = &name
			}
		}
		if user != nil {
			attrs = append(attrs, "user", *user)
		}
		if lw.code >= 500 {
			log.Error("request failed", append(attrs, "cause", causeOf(r, lw.errBody))...)
			return
		}
		log.Info("request", attrs...)
	})
}

// causeOf reads why a request failed from its answer: the messages and
// details of an OCI or JSON API error document, else the body's text.
func causeOf(r *http.Request, body []byte) string {
	if len(body) == 0 {
		if r.Method == http.MethodHead {
			return "no body (a HEAD request); the registry's own error line gives the cause"
		}
		return "no body"
	}
	var doc struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Detail  any    `json:"detail"`
		} `json:"errors"`
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &doc) == nil {
		var parts []string
		for _, e := range doc.Errors {
			s := e.Code + ": " + e.Message
			if e.Detail != nil {
				d, _ := json.Marshal(e.Detail)
				if str, ok := e.Detail.(string); ok {
					d = []byte(str)
				}
				s += ": " + string(d)
			}
			parts = append(parts, s)
		}
		if len(parts) > 0 {
			return strings.Join(parts, "; ")
		}
		if doc.Message != "" {
			return doc.Message
		}
	}
	return strings.TrimSpace(string(body))
}
