package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Ecosystems, as OSV names them.
const (
	NPM  = "npm"
	PyPI = "PyPI"
	Go   = "Go"
)

// dependency is one package a lockfile pins.
type dependency struct {
	Ecosystem, Name, Version string
	File                     string // the lockfile
	Line                     int
	// Hashed: the lockfile records its content hash.
	Hashed bool
}

// lockfiles are the dependency manifests found in a bundle, by path.
type lockfiles struct {
	npm, uv, requirements, gosum, gomod []string
}

func findLockfiles(b *bundle) lockfiles {
	var l lockfiles
	for _, f := range b.archive.Files {
		switch base := path.Base(f.Path); {
		case base == "package-lock.json" && !strings.Contains(f.Path, "node_modules/"), f.Path == "node_modules/.package-lock.json":
			// Bundles packed with the MCPB defaults leave package-lock.json
			// out, but npm's hidden lockfile in node_modules has the same
			// packages and integrity hashes.
			l.npm = append(l.npm, f.Path)
		case base == "uv.lock":
			l.uv = append(l.uv, f.Path)
		case strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt"):
			l.requirements = append(l.requirements, f.Path)
		case base == "go.sum":
			l.gosum = append(l.gosum, f.Path)
		case base == "go.mod":
			l.gomod = append(l.gomod, f.Path)
		}
	}
	return l
}

// dependencies reads every lockfile's pins.
func dependencies(b *bundle) []dependency {
	l := findLockfiles(b)
	var out []dependency
	for _, p := range l.npm {
		out = append(out, npmDeps(p, b.files[p])...)
	}
	for _, p := range l.uv {
		out = append(out, uvDeps(p, b.files[p])...)
	}
	for _, p := range l.requirements {
		out = append(out, requirementDeps(p, b.files[p])...)
	}
	for _, p := range l.gosum {
		out = append(out, goSumDeps(p, b.files[p])...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Ecosystem != out[j].Ecosystem {
			return out[i].Ecosystem < out[j].Ecosystem
		}
		return out[i].Name+"@"+out[i].Version < out[j].Name+"@"+out[j].Version
	})
	return out
}

// npmDeps reads package-lock.json v2/v3 "packages" (v1 "dependencies").
func npmDeps(file string, data []byte) []dependency {
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
			Link      bool   `json:"link"`
		} `json:"packages"`
		Dependencies map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"dependencies"`
	}
	if json.Unmarshal(data, &lock) != nil {
		return nil
	}
	var out []dependency
	for key, p := range lock.Packages {
		if key == "" || p.Link {
			continue // the project itself, or a workspace link
		}
		name := key[strings.LastIndex(key, "node_modules/")+len("node_modules/"):]
		out = append(out, dependency{Ecosystem: NPM, Name: name, Version: p.Version, File: file,
			Line: lineContaining(data, `"`+key+`"`), Hashed: p.Integrity != ""})
	}
	if len(lock.Packages) == 0 {
		for name, p := range lock.Dependencies {
			out = append(out, dependency{Ecosystem: NPM, Name: name, Version: p.Version, File: file,
				Line: lineContaining(data, `"`+name+`"`), Hashed: p.Integrity != ""})
		}
	}
	return out
}

// uvDeps reads uv.lock's [[package]] tables: name, version, and whether a
// hash is recorded for its sdist or wheels.
func uvDeps(file string, data []byte) []dependency {
	var out []dependency
	var cur *dependency
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		switch {
		case t == "[[package]]":
			out = append(out, dependency{Ecosystem: PyPI, File: file, Line: line})
			cur = &out[len(out)-1]
		case cur == nil:
		case strings.HasPrefix(t, "name = "):
			cur.Name = strings.Trim(strings.TrimPrefix(t, "name = "), `"`)
		case strings.HasPrefix(t, "version = "):
			cur.Version = strings.Trim(strings.TrimPrefix(t, "version = "), `"`)
		case strings.Contains(t, "hash = \"sha256:"):
			cur.Hashed = true
		case strings.HasPrefix(t, "source = { editable") || strings.HasPrefix(t, "source = { virtual"):
			cur.Hashed = true // the project itself: nothing to download
		}
	}
	return out
}

var requirementLine = regexp.MustCompile(`^([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;\\]+)`)

// requirementDeps reads name==version lines of a requirements file;
// --hash options may continue on the following lines.
func requirementDeps(file string, data []byte) []dependency {
	var out []dependency
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		m := requirementLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		hashed := strings.Contains(l, "--hash=")
		for j := i; !hashed && strings.HasSuffix(strings.TrimSpace(lines[j]), `\`) && j+1 < len(lines); j++ {
			hashed = strings.Contains(lines[j+1], "--hash=")
		}
		name := m[1]
		if k := strings.IndexByte(name, '['); k >= 0 {
			name = name[:k]
		}
		out = append(out, dependency{Ecosystem: PyPI, Name: name, Version: m[2], File: file, Line: i + 1, Hashed: hashed})
	}
	return out
}

// goSumDeps reads go.sum's module lines (not the go.mod-only ones).
func goSumDeps(file string, data []byte) []dependency {
	var out []dependency
	for i, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || strings.HasSuffix(f[1], "/go.mod") {
			continue
		}
		out = append(out, dependency{Ecosystem: Go, Name: f[0], Version: f[1], File: file, Line: i + 1, Hashed: strings.HasPrefix(f[2], "h1:")})
	}
	return out
}
