package auth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// TokenHandlerOptions configure TokenHandler.
type TokenHandlerOptions struct {
	Tokens *Tokens
	// Authenticate turns the request's credentials (Basic, or the POST form's username/password) into a Principal;
	// no credentials → anonymous Principal and nil error; wrong credentials → an error (answered 401).
	// Nil accepts anonymous requests only.
	Authenticate func(r *http.Request, username, password string) (Principal, error)
	// Grant returns the part of the requested access the principal may have (possibly none: that is not an error,
	// as in the Docker spec the token simply carries fewer actions). Nil grants nothing.
	Grant  func(who Principal, requested []Access) []Access
	Logger *slog.Logger
}

const (
	maxTokenForm   = 64 << 10 // bytes of a POST body
	maxTokenScopes = 100      // Access entries per token, which bound its size
)

// TokenHandler is the realm of the registry's Bearer challenges: the token
// endpoint of the Docker token spec (GET with Basic credentials or none)
// and of its OAuth2 variant (POST grant_type=password).
func TokenHandler(opts TokenHandlerOptions) http.Handler {
	if opts.Tokens == nil {
		panic("auth.TokenHandler: no Tokens")
	}
	if opts.Authenticate == nil {
		opts.Authenticate = func(_ *http.Request, username, password string) (Principal, error) {
			if username != "" || password != "" {
				return Principal{}, fmt.Errorf("no users are configured")
			}
			return Principal{}, nil
		}
	}
	if opts.Grant == nil {
		opts.Grant = func(Principal, []Access) []Access { return nil }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &tokenHandler{opts}
}

type tokenHandler struct{ TokenHandlerOptions }

func (h *tokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.serveGet(w, r)
	case http.MethodPost:
		h.servePost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeTokenError(w, http.StatusMethodNotAllowed, "invalid_request", "token requests are GET or POST")
	}
}

// serveGet answers the Docker token spec's GET. "account" and
// "offline_token" are ignored: the credentials say who asks, and no refresh
// tokens are issued (docker then keeps using the password).
func (h *tokenHandler) serveGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	username, password, ok := r.BasicAuth()
	if !ok && r.Header.Get("Authorization") != "" {
		h.unauthorized(w, r, "", "only Basic credentials are accepted here")
		return
	}
	h.issue(w, r, username, password, q["service"], q["scope"], false)
}

// servePost answers the OAuth2 form that oras-go sends with
// ForceAttemptOAuth2 or a refresh token. Only the password grant is
// supported: a refresh_token grant gets unsupported_grant_type.
func (h *tokenHandler) servePost(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeTokenError(w, http.StatusBadRequest, "invalid_request", "POST a form (application/x-www-form-urlencoded)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	switch gt := f.Get("grant_type"); gt {
	case "password":
		if f.Get("username") == "" || f.Get("password") == "" {
			writeTokenError(w, http.StatusBadRequest, "invalid_request", "grant_type=password needs username and password")
			return
		}
		h.issue(w, r, f.Get("username"), f.Get("password"), f["service"], f["scope"], true)
	case "refresh_token":
		writeTokenError(w, http.StatusBadRequest, "unsupported_grant_type",
			"mpakd issues no refresh tokens: use grant_type=password, or GET with Basic credentials")
	default:
		writeTokenError(w, http.StatusBadRequest, "unsupported_grant_type",
			fmt.Sprintf("grant_type %q is not supported: use password", gt))
	}
}

type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
	Scope       string `json:"scope,omitempty"` // OAuth2 responses name the granted scope
}

func (h *tokenHandler) issue(w http.ResponseWriter, r *http.Request, username, password string, services, scopes []string, oauth bool) {
	for _, s := range services {
		if s != "" && s != h.Tokens.Service() {
			writeTokenError(w, http.StatusBadRequest, "invalid_request",
				fmt.Sprintf("this is service %q, not %q", h.Tokens.Service(), s))
			return
		}
	}
	var requested []Access
	for _, s := range scopes {
		as, err := ParseScope(s)
		if err != nil {
			writeTokenError(w, http.StatusBadRequest, "invalid_scope", err.Error())
			return
		}
		requested = mergeAccess(requested, as)
	}
	if len(requested) > maxTokenScopes {
		writeTokenError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("more than %d scopes", maxTokenScopes))
		return
	}
	who, err := h.Authenticate(r, username, password)
	if err != nil {
		h.unauthorized(w, r, username, err.Error())
		return
	}
	granted := intersectAccess(h.Grant(who, cloneAccess(requested)), requested)
	token, ttl, err := h.Tokens.Issue(who.Name, granted)
	if err != nil {
		h.Logger.Error("token not issued", "err", err)
		writeTokenError(w, http.StatusInternalServerError, "server_error", "could not sign a token")
		return
	}
	h.Logger.Info("token issued", "subject", who.Name, "anonymous", who.Anonymous(),
		"requested", formatScopes(requested), "granted", formatScopes(granted), "remote", r.RemoteAddr)
	resp := tokenResponse{
		Token: token, AccessToken: token,
		ExpiresIn: int(ttl / time.Second),
		IssuedAt:  h.Tokens.now().UTC().Format(time.RFC3339),
	}
	if oauth {
		resp.Scope = strings.Join(formatScopes(granted), " ")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(resp)
}

// unauthorized answers wrong credentials. The reason is logged, never sent:
// it would tell an attacker whether the user exists.
func (h *tokenHandler) unauthorized(w http.ResponseWriter, r *http.Request, username, reason string) {
	h.Logger.Info("token refused", "username", username, "reason", reason, "remote", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", `Basic realm="mpakd"`)
	writeTokenError(w, http.StatusUnauthorized, "invalid_client", "invalid username or password")
}

// writeTokenError writes both error shapes clients read: the registry's
// {"errors":[…]} (docker, oras-go's GET path) and OAuth2's
// {"error","error_description"} (the POST path).
func writeTokenError(w http.ResponseWriter, status int, oauthCode, msg string) {
	code := "UNAUTHORIZED"
	if status != http.StatusUnauthorized {
		code = strings.ToUpper(oauthCode)
	}
	type regErr struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Errors      []regErr `json:"errors"`
		Error       string   `json:"error"`
		Description string   `json:"error_description"`
	}{[]regErr{{code, msg}}, oauthCode, msg})
}

// mergeAccess adds as to into, one entry per resource with the union of its
// actions, so repeated scope parameters make one grant per repository.
func mergeAccess(into, as []Access) []Access {
	for _, a := range as {
		i := slices.IndexFunc(into, func(b Access) bool { return b.Type == a.Type && b.Name == a.Name })
		if i < 0 {
			into = append(into, Access{Type: a.Type, Name: a.Name, Actions: slices.Clone(a.Actions)})
			continue
		}
		for _, act := range a.Actions {
			if !slices.Contains(into[i].Actions, act) {
				into[i].Actions = append(into[i].Actions, act)
			}
		}
	}
	return into
}

// intersectAccess keeps of granted only what was requested, so a lax Grant
// can never widen a token beyond the request. A requested "*" covers every
// action; a granted "*" survives only where "*" was requested.
func intersectAccess(granted, requested []Access) []Access {
	out := []Access{}
	for _, g := range granted {
		i := slices.IndexFunc(requested, func(r Access) bool { return r.Type == g.Type && r.Name == g.Name })
		if i < 0 {
			continue
		}
		var acts []string
		for _, act := range g.Actions {
			ok := slices.Contains(requested[i].Actions, act) || slices.Contains(requested[i].Actions, dockerAll)
			if ok && !slices.Contains(acts, act) {
				acts = append(acts, act)
			}
		}
		if len(acts) > 0 {
			out = mergeAccess(out, []Access{{Type: g.Type, Name: g.Name, Actions: acts}})
		}
	}
	return out
}

func cloneAccess(as []Access) []Access {
	out := make([]Access, len(as))
	for i, a := range as {
		out[i] = Access{Type: a.Type, Name: a.Name, Actions: slices.Clone(a.Actions)}
	}
	return out
}

func formatScopes(as []Access) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = FormatScope(a)
	}
	return out
}
