package mcpclients

import (
	"fmt"
	"path/filepath"
)

// ErrNotOurs is wrapped by the error for an entry mpak did not write.
var ErrNotOurs = fmt.Errorf("entry not written by mpak")

// Change says what a write did to a file.
type Change string

const (
	Added     Change = "added"
	Replaced  Change = "replaced"
	Unchanged Change = "unchanged"
	Removed   Change = "removed"
)

// Plan is an edit worked out and checked but not yet written: the caller
// may still do what must happen first (save secrets) or give up, and
// nothing will have been touched.
type Plan struct {
	Wiring Wiring
	Change Change
	file   *File
	data   []byte
	record *Record
	remove bool
}

// Add works out how to put w.Entry into w.File under w.Name. It refuses
// a file that does not parse, and an entry of that name that mpak did not
// write unless force. The same entry again is Unchanged.
func Add(rec *Record, c *Client, w Wiring, force bool) (*Plan, error) {
	if w.Name == "" {
		return nil, fmt.Errorf("no name for the entry")
	}
	abs, err := filepath.Abs(w.File)
	if err != nil {
		return nil, err
	}
	w.File, w.Client = abs, c.Name
	f, err := Open(c, w.File)
	if err != nil {
		return nil, err
	}
	p := &Plan{Wiring: w, file: f, record: rec, Change: Added}
	old, exists, err := f.Entry(w.Name)
	if exists {
		p.Change = Replaced
		switch {
		case err == nil && old.Equal(w.Entry):
			p.Change = Unchanged
		case rec.Find(w.File, w.Name) != nil, force:
		default:
			return nil, fmt.Errorf("%s already has a server %q that mpak did not write: %w (pass --force to replace it, or --name to pick another name)", w.File, w.Name, ErrNotOurs)
		}
	}
	if p.Change != Unchanged {
		if p.data, err = f.withEntry(w.Name, w.Entry); err != nil {
			return nil, fmt.Errorf("%s: %w", w.File, err)
		}
		if f.unchanged(p.data) {
			p.Change = Unchanged
		}
	}
	return p, nil
}

// Remove works out how to take the entry name out of file. Only an
// entry mpak wrote is removed, unless force; an entry already gone from
// the file is only dropped from the record.
func Remove(rec *Record, c *Client, file, name string, force bool) (*Plan, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	f, err := Open(c, abs)
	if err != nil {
		return nil, err
	}
	w := Wiring{Client: c.Name, File: abs, Name: name}
	if rw := rec.Find(abs, name); rw != nil {
		w = *rw
	} else if !force {
		return nil, fmt.Errorf("mpak did not install %q into %s: %w (pass --force to remove it anyway)", name, abs, ErrNotOurs)
	}
	p := &Plan{Wiring: w, file: f, record: rec, Change: Removed, remove: true}
	data, found, err := f.withoutEntry(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abs, err)
	}
	if !found {
		p.Change = Unchanged
	}
	p.data = data
	return p, nil
}

// Apply writes the file (with a backup, atomically) unless nothing
// changes, then saves the record.
func (p *Plan) Apply() error {
	if p.Change == Added || p.Change == Replaced || p.Change == Removed {
		if err := p.file.write(p.data); err != nil {
			return err
		}
	}
	if p.remove {
		p.record.delete(p.Wiring.File, p.Wiring.Name)
	} else {
		p.record.put(p.Wiring)
	}
	return p.record.Save()
}
