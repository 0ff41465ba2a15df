package auth

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/crypto/bcrypt"
)

// Users are the accounts of an htpasswd file.
type Users struct {
	hashes  map[string][]byte
	maxCost int // the highest bcrypt cost in the file, for the dummy hash

	// dummy is compared against for unknown users so that a failed login
	// takes as long whether or not the user exists. It is made lazily, at
	// maxCost, because making it costs as much as a login.
	dummyOnce sync.Once
	dummy     []byte

	// verified remembers passwords that matched, by a hash of name and
	// password, for a few minutes: a client sending Basic credentials
	// with every request (the web UI, curl, Basic-only clients) would
	// otherwise pay a bcrypt comparison, tens of milliseconds of CPU, on
	// each. A reload makes new Users, so an edited file forgets them.
	verified *lru.Cache[[sha256.Size]byte, time.Time] // until when
}

// verifiedFor is how long a matched password is remembered; verifiedMax
// bounds the memory.
const (
	verifiedFor = 5 * time.Minute
	verifiedMax = 1024
)

// bcryptPrefixes are the bcrypt variants distribution and zot accept.
var bcryptPrefixes = []string{"$2a$", "$2b$", "$2y$"}

// ParseHtpasswd parses an htpasswd file of bcrypt entries ("name:hash",
// one a line; blank lines and # comments allowed). Other hash schemes are
// refused rather than ignored, so a user is never silently unable to log in.
func ParseHtpasswd(data []byte) (*Users, error) {
	// The plain LRU, not the expirable one: that starts a goroutine per
	// cache that nothing stops, and every reload parses a new file.
	verified, _ := lru.New[[sha256.Size]byte, time.Time](verifiedMax)
	u := &Users{hashes: map[string][]byte{}, verified: verified}
	firstLine := map[string]int{}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: want name:hash", n)
		}
		if prev, dup := firstLine[name]; dup {
			return nil, fmt.Errorf("line %d: duplicate user %q (first on line %d)", n, name, prev)
		}
		if !hasBcryptPrefix(hash) {
			return nil, fmt.Errorf("line %d: user %q: only bcrypt hashes are supported; create the entry with htpasswd -B (bcrypt)", n, name)
		}
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, fmt.Errorf("line %d: user %q: malformed bcrypt hash (%v); create the entry with htpasswd -B (bcrypt)", n, name, err)
		}
		firstLine[name] = n
		u.hashes[name] = []byte(hash)
		u.maxCost = max(u.maxCost, cost)
	}
	return u, nil
}

func hasBcryptPrefix(hash string) bool {
	for _, p := range bcryptPrefixes {
		if strings.HasPrefix(hash, p) {
			return true
		}
	}
	return false
}

// Authenticate reports whether password is name's password.
func (u *Users) Authenticate(name, password string) bool {
	if u == nil {
		return false
	}
	hash, ok := u.hashes[name]
	if !ok {
		// Spend the same time as for a known user, so response times do
		// not tell which users exist.
		_ = bcrypt.CompareHashAndPassword(u.dummyHash(), []byte(password))
		return false
	}
	key := sha256.Sum256([]byte(name + "\x00" + password))
	if until, ok := u.verified.Get(key); ok && time.Now().Before(until) {
		return true
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return false
	}
	u.verified.Add(key, time.Now().Add(verifiedFor))
	return true
}

func (u *Users) dummyHash() []byte {
	u.dummyOnce.Do(func() {
		cost := u.maxCost
		if cost == 0 { // no users: nothing to hide, but keep the work realistic
			cost = bcrypt.DefaultCost
		}
		// Cannot fail for a cost bcrypt.Cost accepted; if it did, the
		// comparison would fail fast, which only costs the timing cover.
		u.dummy, _ = bcrypt.GenerateFromPassword([]byte("mpak-dummy-password"), cost)
	})
	return u.dummy
}

// Len is the number of users.
func (u *Users) Len() int {
	if u == nil {
		return 0
	}
	return len(u.hashes)
}
