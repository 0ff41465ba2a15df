package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
)

// statusClientClosed is nginx's conventional status for a request the
// client abandoned.
const statusClientClosed = 499

// errorHandler answers when the upstream could not be reached or failed
// before sending a status. Clients get a distribution-spec error body they
// can show, naming the upstream and what to check.
func errorHandler(upstream *url.URL, log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			// The client went away; nobody reads the answer, but access
			// logs and metrics see why the request ended.
			log.Debug("proxy: client cancelled", "method", r.Method, "path", r.URL.Path)
			w.WriteHeader(statusClientClosed)
			return
		}
		var refused *refusedError
		if errors.As(err, &refused) {
			log.Warn("proxy: the upstream registry refused mpakd's credentials", "upstream", upstream.Redacted(), "method", r.Method, "path", r.URL.Path,
				"status", refused.status, "err", err)
			writeError(w, http.StatusBadGateway, "DENIED", err.Error())
			return
		}
		var retry *retryError
		if errors.As(err, &retry) {
			log.Info("proxy: upstream challenged a streamed body; the client must retry", "upstream", upstream.Redacted(), "method", r.Method, "path", r.URL.Path)
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", err.Error())
			return
		}
		log.Warn("proxy: upstream registry request failed", "upstream", upstream.Redacted(), "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusBadGateway, "UNAVAILABLE",
			"upstream registry "+upstream.Redacted()+" did not answer: "+err.Error()+"; check that it is running and that mpakd's --upstream points at it")
	}
}

// writeError writes a distribution-spec error response.
func writeError(w http.ResponseWriter, status int, code, message string) {
	type item struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Errors []item `json:"errors"`
	}{[]item{{code, message}}})
}
