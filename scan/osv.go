package scan

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	depsemver "deps.dev/util/semver"
	gosemver "golang.org/x/mod/semver"
)

// osvEntry is the part of an OSV record the vulnerability control reads.
type osvEntry struct {
	ID       string `json:"id"`
	Summary  string `json:"summary"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string     `json:"type"`
			Events []osvEvent `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

type osvEvent struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
}

// osvDB is a local OSV database: every *.json under a directory.
type osvDB map[string][]*osvEntry // "ecosystem/name" → records

func loadOSV(dir string) (osvDB, error) {
	db := osvDB{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var e osvEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("%s is not an OSV record: %w", p, err)
		}
		for _, a := range e.Affected {
			k := a.Package.Ecosystem + "/" + normalizeName(a.Package.Ecosystem, a.Package.Name)
			db[k] = append(db[k], &e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the OSV database %s: %w", dir, err)
	}
	return db, nil
}

// normalizeName folds PyPI names as PEP 503 does.
func normalizeName(ecosystem, name string) string {
	if ecosystem == PyPI {
		return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(name))
	}
	return name
}

// affects returns the records affecting d, with the fixed version when the
// record names one.
func (db osvDB) affects(d dependency) (ids []string, fixed []string, summaries []string) {
	for _, e := range db[d.Ecosystem+"/"+normalizeName(d.Ecosystem, d.Name)] {
		for _, a := range e.Affected {
			if a.Package.Ecosystem != d.Ecosystem || normalizeName(d.Ecosystem, a.Package.Name) != normalizeName(d.Ecosystem, d.Name) {
				continue
			}
			hit, fix := false, ""
			eco := versionOrder(d.Ecosystem, "ECOSYSTEM")
			for _, v := range a.Versions {
				// The list is the ecosystem's spelling; 2.0.0rc1 and 2.0.0-rc1
				// are one PyPI version.
				c, ok := eco(v, d.Version)
				hit = hit || v == d.Version || ok && c == 0
			}
			for _, r := range a.Ranges {
				if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
					continue // GIT ranges name commits, which a lockfile does not
				}
				if in, f := inRange(versionOrder(d.Ecosystem, r.Type), d.Version, r.Events); in {
					hit = true
					if fix == "" {
						fix = f
					}
				}
			}
			if hit {
				ids, fixed, summaries = append(ids, e.ID), append(fixed, fix), append(summaries, e.Summary)
			}
		}
	}
	return ids, fixed, summaries
}

// order compares two versions; ok is false when either is not a version
// under the ordering's rules.
type order func(a, b string) (c int, ok bool)

// versionOrder is the ordering OSV prescribes for a range: ECOSYSTEM ranges
// use the ecosystem's own rules (PEP 440 for PyPI, node-semver for npm, the go
// command's for Go), SEMVER ranges SemVer 2.0. Comparing a PyPI 2.0.0rc1 as
// SemVer would put it after 2.0.0 and miss every advisory fixed in 2.0.0.
func versionOrder(ecosystem, rangeType string) order {
	switch {
	case ecosystem == Go:
		// Go records drop the v that go.sum writes; with it back, the go
		// command's ordering sorts pseudo-versions before their release
		// and ignores +incompatible.
		return func(a, b string) (int, bool) {
			a, b = "v"+strings.TrimPrefix(a, "v"), "v"+strings.TrimPrefix(b, "v")
			if !gosemver.IsValid(a) || !gosemver.IsValid(b) {
				return 0, false
			}
			return gosemver.Compare(a, b), true
		}
	case ecosystem == NPM:
		return systemOrder(depsemver.NPM)
	case ecosystem == PyPI && rangeType == "ECOSYSTEM":
		return systemOrder(depsemver.PyPI)
	default:
		return systemOrder(depsemver.DefaultSystem)
	}
}

func systemOrder(sys depsemver.System) order {
	return func(a, b string) (int, bool) {
		va, err := sys.Parse(a)
		if err != nil {
			return 0, false
		}
		vb, err := sys.Parse(b)
		if err != nil {
			return 0, false
		}
		return va.Compare(vb), true
	}
}

// inRange evaluates one OSV range as the schema does: events sorted by
// version, introduced opening, fixed (exclusive) or last_affected (inclusive)
// closing. It also returns the fixed version closing the range version is in.
// A version the ordering cannot read is in no range: only an advisory's
// explicit version list can name it.
func inRange(cmp order, version string, events []osvEvent) (bool, string) {
	if _, ok := cmp(version, version); !ok {
		return false, ""
	}
	type event struct{ introduced, fixed, lastAffected, at string }
	var evs []event
	for _, e := range events {
		switch {
		case e.Introduced == "0":
			evs = append(evs, event{introduced: "0"})
		case e.Introduced != "":
			evs = append(evs, event{introduced: e.Introduced, at: e.Introduced})
		case e.Fixed != "":
			evs = append(evs, event{fixed: e.Fixed, at: e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, event{lastAffected: e.LastAffected, at: e.LastAffected})
		}
	}
	// Records do not promise their events in order, and an unreadable bound
	// cannot be placed among the others.
	evs = slices.DeleteFunc(evs, func(e event) bool {
		_, ok := cmp(e.at, e.at)
		return e.introduced != "0" && !ok
	})
	slices.SortStableFunc(evs, func(x, y event) int {
		switch {
		case x.introduced == "0" && y.introduced == "0":
			return 0
		case x.introduced == "0":
			return -1
		case y.introduced == "0":
			return 1
		}
		c, _ := cmp(x.at, y.at)
		return c
	})
	affected, fix := false, ""
	for _, e := range evs {
		c, _ := cmp(version, e.at)
		switch {
		case e.introduced == "0", e.introduced != "" && c >= 0:
			affected = true
		case e.fixed != "" && c >= 0:
			affected = false
		case e.lastAffected != "" && c > 0:
			affected = false
		case e.fixed != "" && fix == "":
			fix = e.fixed // the first fix above version
		}
	}
	if !affected {
		return false, ""
	}
	return true, fix
}

var vulnControl = control{
	id: "L2.vulnerabilities", level: 2, title: "no known-vulnerable dependency versions (local OSV database)",
	remediation: "upgrade the affected dependencies to a fixed version and re-lock",
	run: func(b *bundle, opts Options, _ *Report, res *Result) {
		if opts.VulnDB == "" {
			res.skip("no vulnerability database given (--vuln-db DIR of OSV JSON files)")
			return
		}
		db, err := loadOSV(opts.VulnDB)
		if err != nil {
			res.Status, res.Message = Error, err.Error()
			return
		}
		deps := dependencies(b)
		for _, d := range deps {
			ids, fixed, summaries := db.affects(d)
			for i, id := range ids {
				msg := fmt.Sprintf("%s@%s: %s %s", d.Name, d.Version, id, summaries[i])
				if fixed[i] != "" {
					msg += " (fixed in " + fixed[i] + ")"
				}
				res.Evidence = append(res.Evidence, Evidence{File: d.File, Line: d.Line, Message: msg})
			}
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d known vulnerabilities", len(res.Evidence)))
			return
		}
		res.pass(fmt.Sprintf("%d dependencies, none known vulnerable", len(deps)))
	},
}
