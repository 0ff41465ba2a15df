package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mpak-oci/mpak/catalogapi"
)

// Error codes of the {"error":{"code","message"}} body. Clients branch on
// the code; the message is for people and says what to change.
const (
	codeNotFound         = "NOT_FOUND"
	codeBadRequest       = "BAD_REQUEST"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeInternal         = "INTERNAL"
	codeUnavailable      = "UNAVAILABLE"
	// codeTampered answers (409) a download of a version whose tag was
	// moved outside mpakd: it is served by its published digest only.
	codeTampered = "TAMPERED"
)

// apiError is a failure a handler answers with.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, codeNotFound, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...)}
}

// handlerFunc is a handler that returns its failure, so every error leaves
// through writeError and has the same shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// serve runs h and answers its error. Store failures are logged with their
// details and answered generically: they are the operator's to fix, and
// their text may describe the database.
func (a *api) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var e *apiError
		if !errors.As(err, &e) {
			a.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			e = &apiError{http.StatusInternalServerError, codeInternal,
				"reading the catalog failed; the mpakd log has the cause"}
		}
		writeErrorFor(w, r, e)
	})
}

// writeErrorFor answers e in the shape of the API the request is for.
func writeErrorFor(w http.ResponseWriter, r *http.Request, e *apiError) {
	if isMCPRegistryPath(r.URL.Path) {
		writeProblem(w, e)
		return
	}
	writeError(w, e)
}

// isMCPRegistryPath is a path of the MCP Registry API: /v0.1, or its
// development prefix /v0.
func isMCPRegistryPath(p string) bool {
	for _, prefix := range []string{"/v0.1", "/v0"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// problem is an error of the MCP Registry API as the official registry
// writes it: RFC 9457 problem details, {"title","status","detail"}, so its
// clients read ours. The title is the status's name, the detail what to
// change.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(&problem{Title: http.StatusText(e.status), Status: e.status, Detail: e.message})
}

// writeError answers e in the mpak JSON API's shape.
func writeError(w http.ResponseWriter, e *apiError) {
	var body catalogapi.Error
	body.Err.Code, body.Err.Message = e.code, e.message
	writeJSON(w, e.status, &body)
}

// writeJSON answers v. The encoding cannot fail for our types, and once
// the status is sent a later write error is the client's hang-up.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
