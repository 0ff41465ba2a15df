package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"m/0010_later.sql": {Data: []byte("B")},
		"m/0002_first.sql": {Data: []byte("A")},
		"m/README.md":      {Data: []byte("not a migration")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 2 || ms[0].SQL != "A" || ms[1].Version != 10 || ms[1].Name != "0010_later.sql" {
		t.Errorf("Load = %+v, want 0002_first.sql then 0010_later.sql", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"unnumbered": {"m/init.sql": {}},
		"duplicate":  {"m/0001_a.sql": {}, "m/01_b.sql": {}},
		"empty":      {"m/README.md": {}},
		"zero":       {"m/0000_a.sql": {}},
	} {
		if _, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load succeeded, want an error", name)
		}
	}
}

func TestPending(t *testing.T) {
	all := []Migration{{Version: 1}, {Version: 2}, {Version: 3}}
	p, err := Pending(all, map[int]bool{1: true, 3: true})
	if err != nil || len(p) != 1 || p[0].Version != 2 {
		t.Errorf("Pending = %+v, %v; want migration 2", p, err)
	}
	if _, err := Pending(all, map[int]bool{1: true, 4: true}); err == nil {
		t.Error("a database with an unknown (newer) migration passed, want an error")
	}
}
