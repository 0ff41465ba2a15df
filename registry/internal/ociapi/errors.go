// Package ociapi holds what mpakd's layers in front of a registry share
// about the OCI distribution API: its error format, its paths, and
// holding a registry's answer back until mpakd has acted on it.
package ociapi

import (
	"encoding/json"
	"net/http"
)

// Error codes of the distribution spec that mpakd answers with.
const (
	CodeDenied          = "DENIED"
	CodeManifestInvalid = "MANIFEST_INVALID"
	CodeManifestUnknown = "MANIFEST_BLOB_UNKNOWN"
	CodeDigestInvalid   = "DIGEST_INVALID"
	CodeNameInvalid     = "NAME_INVALID"
	CodeNameUnknown     = "NAME_UNKNOWN"
	CodeUnsupported     = "UNSUPPORTED"
	CodeUnavailable     = "UNAVAILABLE"
	CodeUnknown         = "UNKNOWN"
)

// WriteError answers in the distribution spec's error format, so clients
// (oras, crane, docker, regctl) print the code and message as they would
// for the registry's own errors. detail, when not nil, is the error's
// machine-readable detail.
func WriteError(w http.ResponseWriter, status int, code, message string, detail any) {
	type item struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Detail  any    `json:"detail,omitempty"`
	}
	body, _ := json.Marshal(struct {
		Errors []item `json:"errors"`
	}{[]item{{code, message, detail}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}

// HasCode reports whether body is a distribution-spec error response
// carrying code.
func HasCode(body []byte, code string) bool {
	var resp struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return false
	}
	for _, e := range resp.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}
