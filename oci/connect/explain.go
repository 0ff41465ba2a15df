package connect

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Explain rewrites the registry errors people meet most so that the message
// names the problem and the fix: missing or rejected credentials, missing
// rights, unknown repositories, a registry that is not running or not
// resolvable. A registry's error answer is rendered as text (oras-go prints
// its detail with Go's map formatting). The result still matches what err
// matched (errors.Is, errors.As); other errors are returned unchanged.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%w: the registry requires credentials; run `mpak login HOST` (an existing docker or oras login works too)", err)
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		return explainResponse(err, resp)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return explainTransport(err, uerr)
	}
	return err
}

// explained carries a rewritten message for an error chain.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// rewrite replaces the text of inner within err's message by text, and
// appends hint: the context callers wrapped around inner stays.
func rewrite(err, inner error, text, hint string) error {
	msg := err.Error()
	if text != "" {
		msg = strings.Replace(msg, inner.Error(), text, 1)
	}
	if hint != "" {
		msg += ": " + hint
	}
	return &explained{msg: msg, err: err}
}

func explainResponse(err error, resp *errcode.ErrorResponse) error {
	host, path := "", ""
	if resp.URL != nil {
		host, path = resp.URL.Host, resp.URL.Path
	}
	text := describe(resp)
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return rewrite(err, resp, text, fmt.Sprintf("credentials for %s are missing or were rejected; run `mpak login %s`", host, host))
	case http.StatusForbidden:
		return rewrite(err, resp, text, fmt.Sprintf("the account has no access to this repository on %s; ask for pull/push rights or use another namespace", host))
	case http.StatusNotFound:
		if slices.ContainsFunc(resp.Errors, func(e errcode.Error) bool { return e.Code == errcode.ErrorCodeNameUnknown }) {
			repo := repositoryOf(path)
			return rewrite(err, resp, fmt.Sprintf("registry %s has no repository %s", host, repo),
				"nothing has been pushed to it; check the name, and MPAK_REGISTRY (host[/namespace]) that @scope/name references resolve through")
		}
	}
	return rewrite(err, resp, text, "")
}

// describe renders a registry's error answer as a sentence:
// "GET http://host/v2/x/tags/list: 404 NAME_UNKNOWN: repository name not
// known to registry (name: x)".
func describe(resp *errcode.ErrorResponse) string {
	where := resp.Method
	if resp.URL != nil {
		where += " " + resp.URL.Redacted()
	}
	if len(resp.Errors) == 0 {
		return fmt.Sprintf("%s: %d %s", where, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var parts []string
	for _, e := range resp.Errors {
		s := e.Code
		if e.Message != "" {
			s += ": " + e.Message
		}
		if d := detail(e.Detail); d != "" {
			s += " (" + d + ")"
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("%s: %d %s", where, resp.StatusCode, strings.Join(parts, "; "))
}

// detail renders an error's detail: an object as "key: value, ...", a
// string as itself, anything else as JSON.
func detail(d any) string {
	switch v := d.(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+": "+detail(v[k]))
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Sprint(d)
	}
	return string(b)
}

// repositoryOf takes the repository name out of a /v2/<name>/<endpoint>
// path.
func repositoryOf(path string) string {
	name := strings.TrimPrefix(path, "/v2/")
	for _, endpoint := range []string{"/tags/", "/manifests/", "/blobs/", "/referrers/"} {
		if i := strings.LastIndex(name, endpoint); i >= 0 {
			return name[:i]
		}
	}
	return name
}

// explainTransport adds the fix to a registry request that got no answer.
// Only registry requests (/v2/) are explained: the catalog client says
// itself what to do when mpakd's JSON API is unreachable.
func explainTransport(err error, uerr *url.Error) error {
	u, perr := url.Parse(uerr.URL)
	if perr != nil || !strings.HasPrefix(u.Path, "/v2/") && u.Path != "/v2" {
		return err
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return rewrite(err, nil, "", fmt.Sprintf("no registry is listening at %s; start one there (`mpakd` serves a registry on 127.0.0.1:5000), "+
			"or point MPAK_REGISTRY=host[/namespace] at the registry you use", u.Host))
	case errors.As(err, &dns) && dns.IsNotFound:
		return rewrite(err, nil, "", fmt.Sprintf("the host %s is unknown; check the reference, and MPAK_REGISTRY (host[/namespace]) that @scope/name references resolve through", u.Hostname()))
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return rewrite(err, nil, "", fmt.Sprintf("%s serves plain HTTP; pass --plain-http to reach it (loopback registries use it anyway)", u.Host))
	}
	return err
}
