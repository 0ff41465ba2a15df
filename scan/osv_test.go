package scan

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	gosemver "golang.org/x/mod/semver"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
)

// pep440 is the version pattern of PEP 440, appendix B: what pip (packaging
// 22 and later) accepts as a version at all.
var pep440 = regexp.MustCompile(`(?i)^\s*v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` +
	`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?` +
	`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?` +
	`(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$`)

var semver2 = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
	`(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$`)

// nodeSemver is what npm accepts as a version: SemVer 2.0 with an optional
// leading v, and no number past JavaScript's safe integers.
func nodeSemver(v string) bool {
	m := semver2.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	for _, n := range m[1:] {
		if x, err := strconv.ParseInt(n, 10, 64); err != nil || x > 1<<53-1 {
			return false
		}
	}
	return true
}

// vectors reads an OSV ordering fixture: "A OP B" lines.
func vectors(t *testing.T, name string) [][3]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "osv-versions", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][3]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "//") || strings.HasPrefix(l, "# ") {
			continue
		}
		p := strings.Split(l, " ")
		if len(p) != 3 {
			t.Fatalf("%s: malformed line %q", name, l)
		}
		out = append(out, [3]string{p[0], p[1], p[2]})
	}
	return out
}

// TestOrderingOSVVectors: each ecosystem's ordering agrees with every OSV
// vector whose versions that ecosystem accepts, and refuses exactly the
// versions the ecosystem's own grammar refuses (legacy PyPI versions, npm
// numbers past 2^53, four-part versions), so they fall back to the
// advisories' explicit version lists instead of being misordered.
func TestOrderingOSVVectors(t *testing.T) {
	for _, tc := range []struct {
		ecosystem string
		files     []string
		valid     func(string) bool
		min       int
	}{
		{PyPI, []string{"pypi-versions.txt", "pypi-versions-generated-sample.txt"}, pep440.MatchString, 3000},
		{NPM, []string{"semver-versions.txt"}, nodeSemver, 80},
		{Go, []string{"semver-versions.txt"}, func(v string) bool { return gosemver.IsValid("v" + strings.TrimPrefix(v, "v")) }, 80},
	} {
		t.Run(tc.ecosystem, func(t *testing.T) {
			cmp := versionOrder(tc.ecosystem, "ECOSYSTEM")
			want := map[string]int{"<": -1, "=": 0, ">": 1}
			compared, refused := 0, 0
			for _, file := range tc.files {
				for _, v := range vectors(t, file) {
					c, ok := cmp(v[0], v[2])
					if valid := tc.valid(v[0]) && tc.valid(v[2]); ok != valid {
						t.Errorf("%s: %s %s %s: ordering accepts=%v, the ecosystem's grammar accepts=%v", file, v[0], v[1], v[2], ok, valid)
						continue
					}
					if !ok {
						refused++
						continue
					}
					compared++
					if c != want[v[1]] {
						t.Errorf("%s: %s %s %s, ordering says %d", file, v[0], v[1], v[2], c)
					}
				}
			}
			t.Logf("%s: %d vectors compared, %d refused as not versions", tc.ecosystem, compared, refused)
			if compared < tc.min {
				t.Errorf("only %d vectors compared, want at least %d", compared, tc.min)
			}
		})
	}
}

// TestGoOrdering: go.sum spells versions with a v, OSV's Go records without;
// pseudo-versions sit between their base and the next release, and
// +incompatible does not count.
func TestGoOrdering(t *testing.T) {
	cmp := versionOrder(Go, "SEMVER")
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.2.3", "1.2.3", 0},
		{"v2.0.0+incompatible", "2.0.0", 0},
		{"v1.2.4-0.20200101000000-abcdef123456", "1.2.4", -1},
		{"v1.2.4-0.20200101000000-abcdef123456", "1.2.3", 1},
		{"v0.0.0-20190101000000-abcdef123456", "0.0.1", -1},
		{"v0.0.0-20190101000000-abcdef123456", "0.0.0-20200101000000-abcdef123456", -1},
		{"v1.10.0", "1.9.0", 1},
	} {
		if c, ok := cmp(tc.a, tc.b); !ok || c != tc.want {
			t.Errorf("%s vs %s: %d (ok %v), want %d", tc.a, tc.b, c, ok, tc.want)
		}
	}
}

// TestInRange: the schema's evaluation, events in any order.
func TestInRange(t *testing.T) {
	ev := func(pairs ...string) []osvEvent {
		var out []osvEvent
		for i := 0; i < len(pairs); i += 2 {
			switch pairs[i] {
			case "i":
				out = append(out, osvEvent{Introduced: pairs[i+1]})
			case "f":
				out = append(out, osvEvent{Fixed: pairs[i+1]})
			case "l":
				out = append(out, osvEvent{LastAffected: pairs[i+1]})
			}
		}
		return out
	}
	pypi := versionOrder(PyPI, "ECOSYSTEM")
	for _, tc := range []struct {
		version string
		events  []osvEvent
		in      bool
		fix     string
	}{
		{"2.0.0rc1", ev("i", "0", "f", "2.0.0"), true, "2.0.0"},
		{"2.0.0", ev("i", "0", "f", "2.0.0"), false, ""},
		{"2.0.0.post1", ev("i", "0", "f", "2.0.0"), false, ""},
		{"1!1.0", ev("i", "0", "f", "2.0.0"), false, ""}, // epoch 1 outranks every epoch-0 version
		{"1.5", ev("f", "2.0", "i", "1.0", "f", "1.2", "i", "1.4"), true, "2.0"},
		{"1.3", ev("f", "2.0", "i", "1.0", "f", "1.2", "i", "1.4"), false, ""},
		{"1.1", ev("f", "2.0", "i", "1.0", "f", "1.2", "i", "1.4"), true, "1.2"},
		{"3.0", ev("i", "1.0", "l", "3.0"), true, ""},
		{"3.0.1", ev("i", "1.0", "l", "3.0"), false, ""},
		{"not a version", ev("i", "0"), false, ""},
	} {
		in, fix := inRange(pypi, tc.version, tc.events)
		if in != tc.in || fix != tc.fix {
			t.Errorf("%s in %+v: %v %q, want %v %q", tc.version, tc.events, in, fix, tc.in, tc.fix)
		}
	}
}

// uvLock pins a release candidate, written the way uv writes it plus the
// TOML a line reader trips on: single quotes, a comment, an inline table
// spread over lines.
const uvLockRC = `version = 1
requires-python = ">=3.10"

[[package]]
name = "weather"
version = "1.0.0"
source = { virtual = "." }
dependencies = [
    { name = "Jinja2" },
]

# pinned for the template engine
[[package]]
name = 'Jinja2'
version = '2.0.0rc1'
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/jinja2-2.0.0rc1.tar.gz", hash = "sha256:00000000000000000000000000000000000000000000000000000000000000aa", size = 1 }
wheels = [
    { url = "https://files.example/jinja2-2.0.0rc1-py3-none-any.whl", hash = "sha256:00000000000000000000000000000000000000000000000000000000000000bb", size = 1 },
]
`

// TestPyPIReleaseCandidateIsAffected: the case end to end. A bundle
// whose uv.lock pins jinja2 2.0.0rc1, scanned against a local OSV database
// with an advisory fixed in 2.0.0, fails L2.vulnerabilities pointing at the
// [[package]] table; the release itself passes.
func TestPyPIReleaseCandidateIsAffected(t *testing.T) {
	db := t.TempDir()
	rec := `{"id": "PYSEC-test-0001", "summary": "Sandbox escape in jinja2",
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]}`
	if err := os.WriteFile(filepath.Join(db, "PYSEC-test-0001.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lock     string
		affected bool
	}{
		{uvLockRC, true},
		{strings.ReplaceAll(uvLockRC, "2.0.0rc1", "2.0.0"), false},
	} {
		dir := t.TempDir()
		mcpbtest.WriteSource(t, dir, "weather", "1.0.0", map[string]string{"uv.lock": tc.lock})
		out := filepath.Join(t.TempDir(), "b.mcpb")
		if _, err := mcpb.PackFile(dir, out, mcpb.PackOptions{}); err != nil {
			t.Fatal(err)
		}
		a, err := mcpb.Open(out, mcpb.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Scan(context.Background(), a, Options{VulnDB: db, MaxLevel: 2})
		a.Close()
		if err != nil {
			t.Fatal(err)
		}
		var c *Result
		for i := range r.Controls {
			if r.Controls[i].ID == "L2.vulnerabilities" {
				c = &r.Controls[i]
			}
		}
		if c == nil {
			t.Fatal("no L2.vulnerabilities in the report")
		}
		if !tc.affected {
			if c.Status != Pass {
				t.Errorf("jinja2 2.0.0: %s %+v, want pass", c.Status, c.Evidence)
			}
			continue
		}
		if c.Status != Fail || len(c.Evidence) != 1 {
			t.Fatalf("jinja2 2.0.0rc1: %s %+v, want one failure", c.Status, c.Evidence)
		}
		e := c.Evidence[0]
		if e.File != "uv.lock" || e.Line != 13 || !strings.Contains(e.Message, "Jinja2@2.0.0rc1: PYSEC-test-0001") || !strings.Contains(e.Message, "fixed in 2.0.0") {
			t.Errorf("evidence %+v, want uv.lock line 13 naming Jinja2@2.0.0rc1, PYSEC-test-0001 and the fix", e)
		}
	}
}

// TestUVLockHashes: the L2.lockfile facts uv.lock gives, read as TOML.
func TestUVLockHashes(t *testing.T) {
	deps := uvDeps("uv.lock", []byte(uvLockRC))
	if len(deps) != 2 {
		t.Fatalf("%d packages, want 2: %+v", len(deps), deps)
	}
	if d := deps[0]; d.Name != "weather" || !d.Hashed || d.Line != 4 {
		t.Errorf("the project itself: %+v, want hashed (nothing to download) at line 4", d)
	}
	if d := deps[1]; d.Name != "Jinja2" || d.Version != "2.0.0rc1" || !d.Hashed || d.Line != 13 {
		t.Errorf("jinja2: %+v", d)
	}
	unhashed := strings.NewReplacer(`hash = "sha256:`, `hash = "md5:`).Replace(uvLockRC)
	if d := uvDeps("uv.lock", []byte(unhashed))[1]; d.Hashed {
		t.Errorf("jinja2 without sha256 hashes counted as hashed: %+v", d)
	}
	if d := uvDeps("uv.lock", []byte("[[package]\nname = ")); d != nil {
		t.Errorf("a broken uv.lock gave %+v", d)
	}
}
