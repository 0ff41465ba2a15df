package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// keyMemStore is a KeyStore in memory that lets every caller generate
// before one of them stores, as replicas starting together do.
type keyMemStore struct {
	mu        sync.Mutex
	pem       []byte
	generated int
}

func (s *keyMemStore) TokenKey(_ context.Context, generate func() ([]byte, error)) ([]byte, error) {
	s.mu.Lock()
	stored := s.pem
	s.mu.Unlock()
	if stored != nil {
		return stored, nil
	}
	data, err := generate()
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.generated++
	if s.pem == nil {
		s.pem = data
	}
	return s.pem, nil
}

func TestLoadOrCreateSharedKey(t *testing.T) {
	ks := &keyMemStore{}
	const replicas = 8
	var tokens [replicas]*Tokens
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			key, err := LoadOrCreateSharedKey(t.Context(), ks)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i], err = NewTokens(TokenOptions{Key: key})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if ks.generated < 2 {
		t.Logf("only %d replicas raced to generate", ks.generated)
	}
	// What one replica signs, every other verifies.
	tok, _, err := tokens[0].Issue("alice", weatherPull)
	must(t, err)
	for i, tk := range tokens {
		if _, err := tk.Verify(tok); err != nil {
			t.Errorf("replica %d does not verify replica 0's token: %v", i, err)
		}
	}
	again, err := LoadOrCreateSharedKey(t.Context(), ks)
	must(t, err)
	if !again.PublicKey.Equal(tokens[0].pub) {
		t.Error("a restart got another key")
	}
}

func TestLoadOrCreateSharedKeyRefusesGarbage(t *testing.T) {
	ks := &keyMemStore{pem: []byte("not a key")}
	if _, err := LoadOrCreateSharedKey(t.Context(), ks); err == nil || !strings.Contains(err.Error(), "no PEM block") {
		t.Errorf("garbage in the store: %v, want an error saying what is wrong", err)
	}
}
