package scan

import (
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
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

// uvLock is the part of uv.lock the scan reads.
type uvLock struct {
	Package []struct {
		Name    string         `toml:"name"`
		Version string         `toml:"version"`
		Source  map[string]any `toml:"source"`
		Sdist   struct {
			Hash string `toml:"hash"`
		} `toml:"sdist"`
		Wheels []struct {
			Hash string `toml:"hash"`
		} `toml:"wheels"`
	} `toml:"package"`
}

// uvDeps reads uv.lock's [[package]] tables: name, version, and whether a
// hash is recorded for its sdist or wheels. A lockfile that is not TOML pins
// nothing the scan can trust, so it yields no dependencies.
func uvDeps(file string, data []byte) []dependency {
	var lock uvLock
	if toml.Unmarshal(data, &lock) != nil {
		return nil
	}
	lines := arrayTableLines(data, "package")
	var out []dependency
	for i, p := range lock.Package {
		d := dependency{Ecosystem: PyPI, Name: p.Name, Version: p.Version, File: file}
		if i < len(lines) {
			d.Line = lines[i]
		}
		hashed := strings.HasPrefix(p.Sdist.Hash, "sha256:")
		for _, w := range p.Wheels {
			hashed = hashed || strings.HasPrefix(w.Hash, "sha256:")
		}
		_, editable := p.Source["editable"]
		_, virtual := p.Source["virtual"]
		// The project itself has nothing to download, so nothing to hash.
		d.Hashed = hashed || editable || virtual
		out = append(out, d)
	}
	return out
}

// arrayTableLines returns the line of each [[name]] header in a TOML
// document, in order, so the i-th decoded table can point at its source.
func arrayTableLines(data []byte, name string) []int {
	var lines []int
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.ArrayTable {
			continue
		}
		k := e.Key()
		if !k.Next() {
			continue
		}
		key := k.Node()
		if string(key.Data) != name || k.Next() {
			continue
		}
		lines = append(lines, 1+bytes.Count(data[:key.Raw.Offset], []byte("\n")))
	}
	return lines
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
