package mcpclients

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Wiring is one entry mpak wrote into a client's file.
type Wiring struct {
	Client string `json:"client"`
	Scope  Scope  `json:"scope,omitempty"`
	// File is the configuration file, an absolute path.
	File string `json:"file"`
	// Name is the entry's name in the file.
	Name string `json:"name"`
	// Ref is the reference the entry runs, as written in it.
	Ref string `json:"ref"`
	// Repository is the bundle's host/repository.
	Repository string `json:"repository"`
	// Version and Digest are what Ref resolved to when it was written.
	Version string `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
	// Entry is what was written.
	Entry Entry `json:"entry"`
}

// Record is the list of what mpak wired where, kept in a file of mpak's
// own: it tells an entry mpak wrote (which it may replace or remove) from
// one the user wrote (which it leaves alone unless forced), and lists
// what is installed.
type Record struct {
	Wirings []Wiring `json:"wirings"`
	path    string
}

// LoadRecord reads the record at path; a missing file is an empty record.
func LoadRecord(path string) (*Record, error) {
	r := &Record{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	} else if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w (it lists what mpak installed into clients; fix or delete it)", path, err)
	}
	return r, nil
}

// Save writes the record atomically, readable by its owner only.
func (r *Record) Save() error {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(r.path, append(b, '\n'), 0o600)
}

// Find returns the wiring of the entry name in file, or nil.
func (r *Record) Find(file, name string) *Wiring {
	for i := range r.Wirings {
		if r.Wirings[i].File == file && r.Wirings[i].Name == name {
			return &r.Wirings[i]
		}
	}
	return nil
}

// put adds or replaces w.
func (r *Record) put(w Wiring) {
	if old := r.Find(w.File, w.Name); old != nil {
		*old = w
		return
	}
	r.Wirings = append(r.Wirings, w)
	slices.SortFunc(r.Wirings, func(a, b Wiring) int {
		if c := strings.Compare(a.Client, b.Client); c != 0 {
			return c
		}
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func (r *Record) delete(file, name string) {
	r.Wirings = slices.DeleteFunc(r.Wirings, func(w Wiring) bool { return w.File == file && w.Name == name })
}

// List returns the wirings into client ("" for every client).
func (r *Record) List(client string) []Wiring {
	var out []Wiring
	for _, w := range r.Wirings {
		if client == "" || w.Client == client {
			out = append(out, w)
		}
	}
	return out
}
