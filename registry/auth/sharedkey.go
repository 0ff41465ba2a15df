package auth

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
)

// KeyStore keeps the token signing key where every replica finds it: the
// catalog database. A token one replica signs must verify on the others,
// and a key file on each machine would give each its own key.
type KeyStore interface {
	// TokenKey returns the stored key (PEM). When there is none it stores
	// what generate returns, unless another caller stored one first, and
	// returns whichever was stored: callers racing on an empty store all
	// get the same key.
	TokenKey(ctx context.Context, generate func() ([]byte, error)) ([]byte, error)
}

// LoadOrCreateSharedKey is the token signing key of ks, created (P-256) on
// first use.
func LoadOrCreateSharedKey(ctx context.Context, ks KeyStore) (*ecdsa.PrivateKey, error) {
	if ks == nil {
		return nil, errors.New("token key: no key store")
	}
	data, err := ks.TokenKey(ctx, func() ([]byte, error) {
		_, data, err := newKeyPEM()
		return data, err
	})
	if err != nil {
		return nil, fmt.Errorf("token key in the database: %w", err)
	}
	key, err := parseKeyPEM(data)
	if err != nil {
		// Someone replaced the stored key by hand: signing with a fresh
		// one instead would split the replicas again, so refuse to start.
		return nil, fmt.Errorf("token key in the database: %w (fix or delete its auth_keys row; a deleted key is made anew, and tokens it signed stop verifying)", err)
	}
	return key, nil
}
