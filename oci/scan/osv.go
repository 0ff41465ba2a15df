package scan

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
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
			Type   string `json:"type"`
			Events []struct {
				Introduced   string `json:"introduced"`
				Fixed        string `json:"fixed"`
				LastAffected string `json:"last_affected"`
			} `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
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
			for _, v := range a.Versions {
				hit = hit || v == d.Version
			}
			for _, r := range a.Ranges {
				if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
					continue
				}
				in, f := inRange(d.Version, r.Events)
				hit, fix = hit || in, f
			}
			if hit {
				ids, fixed, summaries = append(ids, e.ID), append(fixed, fix), append(summaries, e.Summary)
			}
		}
	}
	return ids, fixed, summaries
}

// inRange evaluates OSV events in order: introduced opens a range, fixed
// (exclusive) or last_affected (inclusive) closes it.
func inRange(version string, events []struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
}) (bool, string) {
	v, err := semver.NewVersion(strings.TrimPrefix(version, "v"))
	if err != nil {
		return false, ""
	}
	ver := func(s string) *semver.Version {
		if s == "0" {
			s = "0.0.0"
		}
		x, err := semver.NewVersion(strings.TrimPrefix(s, "v"))
		if err != nil {
			return nil
		}
		return x
	}
	affected, fix := false, ""
	for _, e := range events {
		switch {
		case e.Introduced != "":
			if x := ver(e.Introduced); x != nil && !v.LessThan(x) {
				affected = true
			}
		case e.Fixed != "":
			if x := ver(e.Fixed); x != nil && !v.LessThan(x) {
				affected = false
			} else if affected {
				fix = e.Fixed
			}
		case e.LastAffected != "":
			if x := ver(e.LastAffected); x != nil && v.GreaterThan(x) {
				affected = false
			}
		}
	}
	return affected, fix
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
