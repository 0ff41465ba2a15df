package auth

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func bcryptHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestHtpasswdAuthenticate(t *testing.T) {
	file := fmt.Sprintf("# users\n\nalice:%s\n  \n# more\nbob:%s\r\n", bcryptHash(t, "s3cret"), bcryptHash(t, "hunter2"))
	u, err := ParseHtpasswd([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() != 2 {
		t.Errorf("Len = %d, want 2", u.Len())
	}
	for _, c := range []struct {
		name, password string
		want           bool
	}{
		{"alice", "s3cret", true},
		{"bob", "hunter2", true},
		{"alice", "hunter2", false},
		{"alice", "", false},
		{"carol", "s3cret", false},
		{"", "", false},
	} {
		if got := u.Authenticate(c.name, c.password); got != c.want {
			t.Errorf("Authenticate(%q, %q) = %v, want %v", c.name, c.password, got, c.want)
		}
	}
	var none *Users
	if none.Authenticate("alice", "s3cret") || none.Len() != 0 {
		t.Error("a nil Users must authenticate nobody")
	}
}

func TestHtpasswdBcryptVariants(t *testing.T) {
	h := bcryptHash(t, "pw") // $2a$
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		u, err := ParseHtpasswd([]byte("alice:" + prefix + h[4:]))
		if err != nil {
			t.Fatalf("%s: %v", prefix, err)
		}
		if !u.Authenticate("alice", "pw") {
			t.Errorf("%s: password refused", prefix)
		}
	}
}

func TestHtpasswdErrors(t *testing.T) {
	good := "alice:" + bcryptHash(t, "pw") + "\n"
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"md5", good + "# c\nbob:$apr1$abc$0123456789abcdefghijkl\n", []string{"line 3", "htpasswd -B", "bcrypt"}},
		{"sha", good + "bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", []string{"line 2", "htpasswd -B"}},
		{"plain", "\n" + good + "bob:password\n", []string{"line 3", "htpasswd -B"}},
		{"crypt", "bob:$1$salt$hash\n", []string{"line 1", "htpasswd -B"}},
		{"short bcrypt", "bob:$2y$05$short\n", []string{"line 1", "malformed"}},
		{"no colon", good + "bob\n", []string{"line 2", "name:hash"}},
		{"empty name", ":" + bcryptHash(t, "pw") + "\n", []string{"line 1"}},
		{"duplicate", good + "\n" + good, []string{"line 3", "line 1", `"alice"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHtpasswd([]byte(c.file))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func FuzzParseHtpasswd(f *testing.F) {
	f.Add([]byte("alice:" + bcryptHash(f, "pw") + "\n# comment\n\n"))
	f.Add([]byte("bob:$apr1$abc$0123456789abcdefghijkl\n"))
	f.Add([]byte("a:b:c\n:x\n\r\n"))
	f.Add([]byte("alice:$2y$04$" + strings.Repeat("a", 53)))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseHtpasswd(data)
		if err != nil {
			return
		}
		_ = u.Len()
		// Comparing costs 2^cost rounds: only try cheap files, or the
		// fuzzer would find that a cost-31 hash is slow (and no users means
		// a dummy hash at the default cost).
		if u.Len() > 0 && u.maxCost <= bcrypt.MinCost+1 {
			u.Authenticate("alice", "pw")
			u.Authenticate("nobody-in-particular", "pw")
		}
	})
}

// TestUsersRemembersMatches: a matched password is answered from memory
// the next time, a wrong one never is, and reloaded users start afresh.
func TestUsersRemembersMatches(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseHtpasswd([]byte("alice:" + string(hash) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !u.Authenticate("alice", "pw") || u.verified.Len() != 1 {
		t.Fatalf("first login: remembered %d, want 1", u.verified.Len())
	}
	if u.Authenticate("alice", "pw2") || u.Authenticate("bob", "pw") || u.verified.Len() != 1 {
		t.Fatalf("wrong credentials were accepted or remembered (%d remembered)", u.verified.Len())
	}
	u.hashes["alice"] = []byte("$2a$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinv")
	if !u.Authenticate("alice", "pw") {
		t.Fatal("a remembered password was compared again")
	}
	fresh, _ := ParseHtpasswd([]byte("alice:" + string(hash) + "\n"))
	if fresh.verified.Len() != 0 {
		t.Fatal("reloaded users remember passwords")
	}
}
