package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Errors of Verify. Both mean 401; they differ so that the challenge can say
// error="invalid_token" with a useful description and a client knows to
// fetch a new token.
var (
	ErrTokenInvalid = errors.New("invalid token")
	ErrTokenExpired = errors.New("token expired")
)

const (
	defaultTokenName = "mpakd"
	defaultTokenTTL  = 5 * time.Minute
	// tokenLeeway absorbs clock skew between mpakd replicas.
	tokenLeeway = 30 * time.Second
	// maxTokenLen bounds the work an unauthenticated request can cause.
	maxTokenLen = 64 << 10
)

// TokenOptions configure Tokens.
type TokenOptions struct {
	Issuer  string // "mpakd" by default
	Service string // the audience, "mpakd" by default; must match the challenge's service
	Key     *ecdsa.PrivateKey
	TTL     time.Duration // 5 minutes by default
	Now     func() time.Time
}

// Tokens issues and verifies the registry's bearer tokens: JWTs signed
// ES256, as the Docker token spec describes them.
type Tokens struct {
	issuer, service string
	ttl             time.Duration
	now             func() time.Time
	pub             *ecdsa.PublicKey
	kid             string
	signer          jose.Signer
}

// Claims are what a verified token grants.
type Claims struct {
	Subject string // "" for anonymous
	Access  []Access
	Expiry  time.Time
	ID      string
}

// tokenBody is the JWT payload: the registered claims plus "access".
type tokenBody struct {
	jwt.Claims
	Access []Access `json:"access"`
}

// NewTokens checks the options and fills in the defaults.
func NewTokens(opts TokenOptions) (*Tokens, error) {
	if opts.Key == nil {
		return nil, errors.New("tokens: no signing key")
	}
	if opts.Key.Curve != elliptic.P256() {
		return nil, errors.New("tokens: the signing key must be ECDSA P-256 (ES256)")
	}
	t := &Tokens{issuer: opts.Issuer, service: opts.Service, ttl: opts.TTL, now: opts.Now, pub: &opts.Key.PublicKey}
	if t.issuer == "" {
		t.issuer = defaultTokenName
	}
	if t.service == "" {
		t.service = defaultTokenName
	}
	if t.ttl <= 0 {
		t.ttl = defaultTokenTTL
	}
	if t.now == nil {
		t.now = time.Now
	}
	// kid = RFC 7638 thumbprint, so that a verifier can later pick among
	// several keys during a rotation.
	thumb, err := (&jose.JSONWebKey{Key: t.pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("tokens: key thumbprint: %w", err)
	}
	t.kid = base64.RawURLEncoding.EncodeToString(thumb)
	t.signer, err = jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: opts.Key, KeyID: t.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return t, nil
}

// Service is the audience of the tokens, the service of the challenge.
func (t *Tokens) Service() string { return t.service }

// Issue signs a token granting access to subject ("" for anonymous).
func (t *Tokens) Issue(subject string, access []Access) (token string, expiresIn time.Duration, err error) {
	now := t.now()
	if access == nil {
		access = []Access{} // the spec wants an array, never null
	}
	body := tokenBody{
		Claims: jwt.Claims{
			Issuer:    t.issuer,
			Subject:   subject,
			Audience:  jwt.Audience{t.service},
			Expiry:    jwt.NewNumericDate(now.Add(t.ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		Access: access,
	}
	// ECDSA signatures are malleable: (r, s) and (r, n-s) both verify. Keep
	// only low-s signatures (retrying is cheap: half of them are) and refuse
	// high-s ones in Verify, so a token verifies only in the exact form issued.
	for range 64 {
		token, err = jwt.Signed(t.signer).Claims(body).Serialize()
		if err != nil {
			return "", 0, fmt.Errorf("sign token: %w", err)
		}
		if jwsLowS(token) {
			return token, t.ttl, nil
		}
	}
	return "", 0, errors.New("sign token: no low-s signature in 64 attempts")
}

// Verify checks a token's form, signature, issuer, audience and validity
// period and returns its claims. Every error wraps ErrTokenInvalid or
// ErrTokenExpired.
func (t *Tokens) Verify(token string) (*Claims, error) {
	if err := canonicalJWS(token); err != nil {
		return nil, tokenInvalid(err.Error())
	}
	// Only ES256 is accepted: never "none", and never HS256, which a forger
	// could "sign" with our public key as the HMAC secret.
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, tokenInvalid(err.Error())
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID != t.kid {
		return nil, tokenInvalid("unknown signing key")
	}
	if !jwsLowS(token) {
		return nil, tokenInvalid("non-canonical signature")
	}
	var body tokenBody
	if err := tok.Claims(t.pub, &body); errors.Is(err, jose.ErrCryptoFailure) {
		return nil, tokenInvalid("bad signature")
	} else if err != nil {
		return nil, tokenInvalid(err.Error())
	}
	if body.Expiry == nil || body.NotBefore == nil {
		return nil, tokenInvalid("no exp or nbf claim")
	}
	err = body.Claims.ValidateWithLeeway(jwt.Expected{
		Issuer:      t.issuer,
		AnyAudience: jwt.Audience{t.service},
		Time:        t.now(),
	}, tokenLeeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return nil, fmt.Errorf("%w at %s", ErrTokenExpired, body.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return nil, tokenInvalid("wrong issuer")
	case errors.Is(err, jwt.ErrInvalidAudience):
		return nil, tokenInvalid("wrong audience (service)")
	case err != nil:
		return nil, tokenInvalid(strings.TrimPrefix(err.Error(), "go-jose/go-jose/jwt: "))
	}
	return &Claims{Subject: body.Subject, Access: body.Access, Expiry: body.Expiry.Time(), ID: body.ID}, nil
}

func tokenInvalid(why string) error { return fmt.Errorf("%w: %s", ErrTokenInvalid, why) }

// canonicalJWS refuses anything but three strict base64url segments.
// go-jose strips whitespace and ignores the unused bits of a segment's last
// character, so without this check altered strings would verify as the
// original token.
func canonicalJWS(token string) error {
	if len(token) > maxTokenLen {
		return errors.New("token too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return errors.New("not base64url")
			}
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
			return errors.New("non-canonical base64url")
		}
	}
	return nil
}

// p256HalfN is half the order of P-256: a low-s signature has s <= n/2.
var p256HalfN = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// lowS reports whether the compact ES256 token's signature has a low s.
func jwsLowS(token string) bool {
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || len(sig) != 64 {
		return false
	}
	return new(big.Int).SetBytes(sig[32:]).Cmp(p256HalfN) <= 0
}

// LoadOrCreateKey reads the token signing key from path (PEM "EC PRIVATE
// KEY" or PKCS#8 "PRIVATE KEY", P-256), or creates it with mode 0600, and
// its directory with 0700, when the file does not exist. A key readable by
// group or others is refused: anyone who reads it can mint tokens.
func LoadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	key, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	key, data, err := newKeyPEM()
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	// Write a temporary file (CreateTemp makes it 0600) and link it into
	// place: the key appears whole or not at all, and when two replicas
	// start at once the loser loads the winner's key instead of replacing it.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tokenkey-*")
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path)
		}
		return nil, fmt.Errorf("token key: %w", err)
	}
	return key, nil
}

func loadKey(path string) (*ecdsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("token key %s is accessible by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("token key %s: %w", path, err)
	}
	return key, nil
}

// newKeyPEM generates a P-256 signing key and its PEM ("EC PRIVATE KEY").
func newKeyPEM() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// parseKeyPEM reads a P-256 signing key from PEM "EC PRIVATE KEY" or
// PKCS#8 "PRIVATE KEY".
func parseKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var parsed any
	var err error
	switch block.Type {
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q, want \"EC PRIVATE KEY\" or \"PRIVATE KEY\"", block.Type)
	}
	if err != nil {
		return nil, err
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return key, nil
}
