package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
)

// FuzzPublishersAuthenticate feeds arbitrary passwords to the OIDC
// verifier: it must never panic, and whatever it accepts must be an OIDC
// principal holding no more than the policy's rule. The keys come from a
// file and the clock stands still, so nothing is fetched while fuzzing.
func FuzzPublishersAuthenticate(f *testing.F) {
	key := signingKey{kid: "fuzz", alg: jose.ES256, priv: testKey(f, "fuzz")}
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.public()}})
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		f.Fatal(err)
	}
	policy, err := ParsePolicy([]byte(oidcPolicy))
	if err != nil {
		f.Fatal(err)
	}
	p, err := NewPublishers(PublisherOptions{
		Audience: "mpakd", JWKSFile: path,
		Policy: func() *Policy { return policy },
		Now:    (&clock{t0}).now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	// As in FuzzVerifyToken, the valid token (ECDSA signatures are random)
	// is mutated in the body, never a seed; seeds are deterministic.
	valid := signJWT(f, key, ghClaims(DefaultOIDCIssuer, t0))

	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	claims, _ := json.Marshal(ghClaims(DefaultOIDCIssuer, t0))
	payload := base64.RawURLEncoding.EncodeToString(claims)
	for _, s := range []string{
		"",
		"hunter2",
		"a.b.c",
		b64(`{"alg":"ES256","kid":"fuzz"}`) + "." + payload + "." + b64(strings.Repeat("x", 64)),
		b64(`{"alg":"RS256","kid":"fuzz"}`) + "." + payload + "." + b64(strings.Repeat("x", 256)),
		b64(`{"alg":"ES256","kid":"other"}`) + "." + payload + "." + b64(strings.Repeat("x", 64)),
		b64(`{"alg":"ES256"}`) + "." + payload + "." + b64(strings.Repeat("x", 64)),
		b64(`{"alg":"HS256","kid":"fuzz"}`) + "." + payload + "." + b64(strings.Repeat("x", 32)),
		b64(`{"alg":"none"}`) + "." + payload + ".",
		b64(`{"alg":"ES256","kid":"fuzz","crit":["exp"]}`) + "." + payload + "." + b64(strings.Repeat("x", 64)),
		b64(`{}`) + "." + b64(`{"iss":"`+DefaultOIDCIssuer+`","sub":1,"exp":"x","aud":{}}`) + ".",
		b64(`{"alg":"ES256","kid":"fuzz"}`) + "." + b64(`{"iss":"`+DefaultOIDCIssuer+`"}`) + "." + b64("x"),
	} {
		f.Add(s, uint16(0), byte(0), uint8(0))
	}
	f.Add("", uint16(40), byte('.'), uint8(1))
	f.Add("", uint16(len(valid)-2), byte('A'), uint8(0))

	check := func(t *testing.T, s string) {
		who, err := p.Authenticate(nil, "", s)
		if err != nil {
			if !errors.Is(err, ErrNotMine) && !errors.Is(err, ErrOIDCRefused) {
				t.Fatalf("error of no known kind: %v", err)
			}
			if strings.Contains(err.Error(), s) && len(s) > 40 {
				t.Fatalf("the error holds the token: %v", err)
			}
			return
		}
		if who.Kind != KindOIDC || !strings.HasPrefix(who.Name, "oidc:") || len(who.Grants) != 1 ||
			who.Grants[0].Pattern() != "acme/weather" {
			t.Fatalf("accepted %q as %+v", s, who)
		}
	}
	f.Fuzz(func(t *testing.T, s string, pos uint16, b byte, op uint8) {
		check(t, s)
		i := int(pos) % len(valid)
		switch op % 3 {
		case 0:
			check(t, valid[:i]+string([]byte{b})+valid[i+1:])
		case 1:
			check(t, valid[:i]+string([]byte{b})+valid[i:])
		default:
			check(t, valid[:i]+valid[i+1:])
		}
	})
}

// FuzzSubjectGlob checks the subject matcher against the regular
// expression it stands for: each '*' is [^:]*, the rest literal.
func FuzzSubjectGlob(f *testing.F) {
	for _, c := range [][2]string{
		{"repo:acme/weather:ref:refs/tags/*", "repo:acme/weather:ref:refs/tags/v1.2.0"},
		{"repo:acme/*:ref:*", "repo:acme/x:environment:prod:ref:y"},
		{"repo:*", "repo:a:b"},
		{"*:*", ":"},
		{"a*b*c", "aXbYbc"},
		{"*", ""},
		{"**", "x"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		g, err := parseSubjectGlob(pattern)
		if err != nil {
			if pattern != "" && !strings.Contains(pattern, "**") {
				t.Fatalf("%q refused: %v", pattern, err)
			}
			return
		}
		if !utf8.ValidString(pattern) || !utf8.ValidString(subject) {
			g.match(subject) // no panic; regexp reads runes, not bytes
			return
		}
		quoted := strings.Split(pattern, "*")
		for i, q := range quoted {
			quoted[i] = regexp.QuoteMeta(q)
		}
		re := regexp.MustCompile(`^(?s:` + strings.Join(quoted, `[^:]*`) + `)$`)
		if got, want := g.match(subject), subject != "" && re.MatchString(subject); got != want {
			t.Fatalf("%q matching %q: %v, want %v", pattern, subject, got, want)
		}
	})
}
