package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testKey derives a fixed P-256 key from seed, so fuzz failures reproduce
// and no private key sits in the source for secret scanners to flag.
func testKey(t testing.TB, seed string) *ecdsa.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte(seed))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestTokens(t testing.TB, opts TokenOptions) *Tokens {
	t.Helper()
	if opts.Key == nil {
		opts.Key = testKey(t, "mpakd")
	}
	tk, err := NewTokens(opts)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

var weatherPull = []Access{{Type: "repository", Name: "acme/weather", Actions: []string{"pull", "push"}}}

func TestIssueVerify(t *testing.T) {
	c := &clock{t0}
	tk := newTestTokens(t, TokenOptions{Now: c.now})
	tok, ttl, err := tk.Issue("alice", weatherPull)
	if err != nil || ttl != 5*time.Minute {
		t.Fatalf("Issue: %v, %v", ttl, err)
	}
	got, err := tk.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "alice" || !reflect.DeepEqual(got.Access, weatherPull) || !got.Expiry.Equal(t0.Add(5*time.Minute)) || got.ID == "" {
		t.Errorf("claims = %+v", got)
	}

	// The body carries the claims the spec names, and a kid header.
	parts := strings.Split(tok, ".")
	var hdr map[string]any
	var body map[string]any
	decodeSeg(t, parts[0], &hdr)
	decodeSeg(t, parts[1], &body)
	if hdr["alg"] != "ES256" || hdr["kid"] == "" || hdr["kid"] != tk.kid {
		t.Errorf("header = %v", hdr)
	}
	for _, k := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "access"} {
		if _, ok := body[k]; !ok {
			t.Errorf("body lacks %q: %v", k, body)
		}
	}

	// Anonymous, nothing granted: no sub, access is [] not null.
	tok, _, err = tk.Issue("", nil)
	if err != nil {
		t.Fatal(err)
	}
	body = nil
	decodeSeg(t, strings.Split(tok, ".")[1], &body)
	if _, ok := body["sub"]; ok || body["access"] == nil {
		t.Errorf("anonymous body = %v", body)
	}
	if got, err := tk.Verify(tok); err != nil || got.Subject != "" || len(got.Access) != 0 {
		t.Errorf("anonymous Verify = %+v, %v", got, err)
	}
	// Two tokens never share an ID.
	a, _, _ := tk.Issue("alice", nil)
	b, _, _ := tk.Issue("alice", nil)
	ca, _ := tk.Verify(a)
	cb, _ := tk.Verify(b)
	if ca.ID == cb.ID {
		t.Error("jti repeated")
	}
}

func TestVerifyTimes(t *testing.T) {
	c := &clock{t0}
	tk := newTestTokens(t, TokenOptions{Now: c.now, TTL: time.Minute})
	tok, _, _ := tk.Issue("alice", weatherPull)
	for _, tc := range []struct {
		at   time.Duration
		want error
	}{
		{-29 * time.Second, nil}, // within the leeway for skewed clocks
		{-31 * time.Second, ErrTokenInvalid},
		{time.Minute + 29*time.Second, nil},
		{time.Minute + 31*time.Second, ErrTokenExpired},
	} {
		c.t = t0.Add(tc.at)
		_, err := tk.Verify(tok)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("at %v: %v, want %v", tc.at, err, tc.want)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	key := testKey(t, "mpakd")
	tk := newTestTokens(t, TokenOptions{Key: key, Now: (&clock{t0}).now})
	good, _, _ := tk.Issue("alice", weatherPull)
	parts := strings.Split(good, ".")

	otherAud := newTestTokens(t, TokenOptions{Key: key, Now: tk.now, Service: "elsewhere"})
	otherIss := newTestTokens(t, TokenOptions{Key: key, Now: tk.now, Issuer: "elsewhere"})
	otherKey := newTestTokens(t, TokenOptions{Key: testKey(t, "other"), Now: tk.now})
	tokOtherKey, _, _ := otherKey.Issue("alice", weatherPull)

	// The same claims and our kid, signed by another key.
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256,
		Key: jose.JSONWebKey{Key: testKey(t, "other"), KeyID: tk.kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	decodeSeg(t, parts[1], &body)
	forgedKid, err := jwt.Signed(sig).Claims(body).Serialize()
	if err != nil {
		t.Fatal(err)
	}

	// A payload granting more, under the original signature.
	body["access"] = []Access{{Type: "repository", Name: "acme/weather", Actions: []string{"*"}}}
	tampered := parts[0] + "." + encodeSeg(t, body) + "." + parts[2]

	// alg none, and HS256 keyed with the public key's bytes (the classic
	// confusion attack on verifiers that take the algorithm from the header).
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	body = nil
	decodeSeg(t, parts[1], &body)
	none := encodeSeg(t, map[string]any{"alg": "none", "typ": "JWT", "kid": tk.kid}) + "." + encodeSeg(t, body) + "."
	hs := func(secret []byte) string {
		in := encodeSeg(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": tk.kid}) + "." + encodeSeg(t, body)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}

	// The same signature with s replaced by n-s: valid ECDSA, other bytes.
	raw, _ := base64.RawURLEncoding.DecodeString(parts[2])
	s := new(big.Int).SetBytes(raw[32:])
	s.Sub(elliptic.P256().Params().N, s)
	highS := append(raw[:32:32], s.FillBytes(make([]byte, 32))...)
	malleated := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(highS)

	// The last character of the signature holds 4 unused bits: flipping
	// them decodes to the same bytes in a lax decoder.
	last := parts[2][len(parts[2])-1]
	lax := good[:len(good)-1] + string(b64url[strings.IndexByte(b64url, last)^1])

	for name, tc := range map[string]struct {
		v   *Tokens
		tok string
	}{
		"wrong audience": {otherAud, good},
		"wrong issuer":   {otherIss, good},
		"other key":      {tk, tokOtherKey},
		"forged kid":     {tk, forgedKid},
		"tampered":       {tk, tampered},
		"alg none":       {tk, none},
		"HS256 pem":      {tk, hs(pubPEM)},
		"HS256 der":      {tk, hs(pubDER)},
		"high s":         {tk, malleated},
		"lax base64":     {tk, lax},
		"whitespace":     {tk, parts[0] + ".\n" + parts[1] + "." + parts[2]},
		"padding":        {tk, good + "="},
		"two parts":      {tk, parts[0] + "." + parts[1]},
		"empty":          {tk, ""},
		"huge":           {tk, strings.Repeat("a", maxTokenLen+1)},
	} {
		c, err := tc.v.Verify(tc.tok)
		if !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: Verify = %+v, %v; want ErrTokenInvalid", name, c, err)
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := tk.Verify(good); err != nil {
		t.Errorf("good token: %v", err)
	}
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func decodeSeg(t testing.TB, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func encodeSeg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestNewTokensRefusesBadKeys(t *testing.T) {
	if _, err := NewTokens(TokenOptions{}); err == nil {
		t.Error("no key accepted")
	}
	k384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTokens(TokenOptions{Key: k384}); err == nil {
		t.Error("P-384 key accepted")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "keys", "token.pem")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("key dir mode %v", di.Mode())
	}
	if data, _ := os.ReadFile(path); !strings.HasPrefix(string(data), "-----BEGIN EC PRIVATE KEY-----") {
		t.Errorf("key file:\n%s", data)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reload: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("leftover files: %v", ents)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("0644 key: %v", err)
	}

	// PKCS#8, as openssl genpkey writes it.
	p8 := filepath.Join(t.TempDir(), "p8.pem")
	der, _ := x509.MarshalPKCS8PrivateKey(testKey(t, "p8"))
	if err := os.WriteFile(p8, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadOrCreateKey(p8); err != nil || !k.Equal(testKey(t, "p8")) {
		t.Errorf("PKCS#8: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not a key"), 0o600)
	if _, err := LoadOrCreateKey(bad); err == nil {
		t.Error("garbage accepted")
	}
}

func FuzzVerifyToken(f *testing.F) {
	// Each fuzz process issues its own valid token (ECDSA signatures and jti
	// are random), so a valid token must never be a seed: it would verify in
	// this process yet differ from another process's. Seeds are token-shaped
	// strings that never verify; the valid token is mutated in the body.
	now := (&clock{t0}).now
	tk := newTestTokens(f, TokenOptions{Now: now})
	valid, _, err := tk.Issue("alice", weatherPull)
	if err != nil {
		f.Fatal(err)
	}
	foreign, _, err := newTestTokens(f, TokenOptions{Key: testKey(f, "other"), Now: now}).Issue("alice", weatherPull)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(foreign, uint16(0), byte(0), uint8(0))
	f.Add("", uint16(5), byte('.'), uint8(1))
	f.Add("a.b.c", uint16(1), byte('='), uint8(2))
	f.Add(foreign[:len(foreign)-1], uint16(len(valid)-1), byte('B'), uint8(0))
	f.Fuzz(func(t *testing.T, s string, pos uint16, b byte, op uint8) {
		// Any string: no panic, and nothing but the issued token verifies.
		if _, err := tk.Verify(s); err == nil && s != valid {
			t.Fatalf("verified a string that is not the issued token: %q", s)
		}
		// The valid token with one byte replaced, inserted or deleted.
		i := int(pos) % len(valid)
		var m string
		switch op % 3 {
		case 0:
			m = valid[:i] + string([]byte{b}) + valid[i+1:]
		case 1:
			m = valid[:i] + string([]byte{b}) + valid[i:]
		default:
			m = valid[:i] + valid[i+1:]
		}
		if _, err := tk.Verify(m); err == nil && m != valid {
			t.Fatalf("verified a mutated token: %q", m)
		}
	})
}
