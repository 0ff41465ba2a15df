package referrers

import (
	"encoding/json"
	"net/http"
)

// writeError answers in the distribution spec's error format, so clients
// show the code and message as they would for the registry's own errors.
func writeError(w http.ResponseWriter, status int, code, message string) {
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Errors []apiError `json:"errors"`
	}{[]apiError{{code, message}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
