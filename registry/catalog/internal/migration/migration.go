// Package migration reads a store's embedded schema migrations. Both stores
// version their schema the same way: files named NNNN_what.sql, applied in
// number order, each recorded in a schema_migrations table, so a database
// knows which of them it has and a newer binary adds only the rest.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema change.
type Migration struct {
	Version int
	Name    string // the file name, recorded for whoever inspects the table
	SQL     string
}

// Load reads the *.sql files of dir in fsys, in version order. Gaps are
// allowed, duplicates and unnumbered files are not: they would make the
// order ambiguous.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name it NNNN_description.sql with NNNN its version (1 or more)", name)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version %d: renumber one", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return out, nil
}

// Pending returns the migrations not in applied. It fails when the
// database has a version this binary does not know: it was migrated by a
// newer release, whose schema this one may misread.
func Pending(all []Migration, applied map[int]bool) ([]Migration, error) {
	known := map[int]bool{}
	var pending []Migration
	for _, m := range all {
		known[m.Version] = true
		if !applied[m.Version] {
			pending = append(pending, m)
		}
	}
	for v := range applied {
		if !known[v] {
			return nil, fmt.Errorf("the index schema has migration %d, which this build does not know: it was written by a newer mpakd; upgrade this one (or point it at another database)", v)
		}
	}
	return pending, nil
}
