package mcpclients

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// File is a client's configuration file, read and parsed. A missing file
// is an empty configuration; one that does not parse is refused before
// anything is written.
type File struct {
	Client *Client
	Path   string
	data   []byte
	exists bool
	perm   os.FileMode
	json   *jsonDoc
	toml   *tomlDoc
}

// Open reads and parses the client's configuration file at path.
func Open(c *Client, path string) (*File, error) {
	f := &File{Client: c, Path: path, perm: 0o600}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		f.data, f.exists = data, true
		if fi, err := os.Stat(path); err == nil {
			f.perm = fi.Mode().Perm()
		}
	}
	if err := f.parse(f.data); err != nil {
		return nil, fmt.Errorf("%s: %w (fix the file first; mpak does not overwrite it)", path, err)
	}
	return f, nil
}

func (f *File) parse(data []byte) (err error) {
	switch f.Client.Format {
	case TOML:
		f.toml, err = parseTOML(data, f.Client.ServersKey)
	default:
		f.json, err = parseJSON(data, f.Client.ServersKey)
	}
	return err
}

// Names lists the servers the file configures, sorted.
func (f *File) Names() []string {
	var n []string
	if f.toml != nil {
		n = f.toml.names()
	} else {
		n = f.json.names()
	}
	slices.Sort(n)
	return n
}

// Entry returns the server entry called name, if there is one.
func (f *File) Entry(name string) (Entry, bool, error) {
	if f.toml != nil {
		return f.toml.entry(name)
	}
	return f.json.entry(name)
}

// jsonEntry is Entry as the JSON clients write it.
type jsonEntry struct {
	Type    string            `json:"type,omitempty"`
	Command string            `json:"command"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// withEntry returns the file's bytes with the entry set.
func (f *File) withEntry(name string, e Entry) ([]byte, error) {
	if f.toml != nil {
		return f.toml.set(name, e)
	}
	// A fresh tree, since set mutates it. Not hujson's Clone: it loses
	// the empty-but-present extras that mark a trailing comma.
	doc, err := parseJSON(f.data, f.Client.ServersKey)
	if err != nil {
		return nil, err
	}
	je := jsonEntry{Command: e.Command, Args: e.Args, Env: e.Env}
	if f.Client.StdioType {
		je.Type = "stdio"
	}
	if err := doc.set(name, je); err != nil {
		return nil, err
	}
	return doc.bytes(), nil
}

// withoutEntry returns the file's bytes without the entry.
func (f *File) withoutEntry(name string) ([]byte, bool, error) {
	if f.toml != nil {
		return f.toml.remove(name)
	}
	doc, err := parseJSON(f.data, f.Client.ServersKey)
	if err != nil {
		return nil, false, err
	}
	if !doc.remove(name) {
		return nil, false, nil
	}
	return doc.bytes(), true, nil
}

// BackupPath is where a write leaves the file's previous contents.
func BackupPath(path string) string { return path + ".mpak.bak" }

// write replaces the file with data atomically (a temporary file in the
// same directory, renamed over it), keeping its permissions, after
// copying what it held to BackupPath. The result must parse: a bug here
// must not leave a client a file it cannot read.
func (f *File) write(data []byte) error {
	check := &File{Client: f.Client}
	if err := check.parse(data); err != nil {
		return fmt.Errorf("%s: the edited file would not parse (%v): nothing written", f.Path, err)
	}
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if f.exists {
		if err := writeAtomic(BackupPath(f.Path), f.data, f.perm); err != nil {
			return fmt.Errorf("writing the backup: %w", err)
		}
	}
	if err := writeAtomic(f.Path, data, f.perm); err != nil {
		return err
	}
	f.data, f.exists = data, true
	return f.parse(data)
}

func writeAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// unchanged reports whether data is what the file already holds.
func (f *File) unchanged(data []byte) bool { return f.exists && bytes.Equal(f.data, data) }
