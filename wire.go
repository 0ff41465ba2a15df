package mpak

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"

	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/mcpclients"
)

// Wiring a bundle into an MCP client's configuration file: the steps of
// `mpak install`, `mpak uninstall` and `mpak installed` (and of their
// tools in `mpak mcp`), with the caller saying where things are.

// SecretStore is where the user_config values a bundle marks sensitive
// are kept, never in a client's file: mpak's owner-only configuration
// (internal/config's Config) for the command line.
type SecretStore interface {
	// Values are the values stored for bundle (a repository reference).
	Values(bundle string) map[string]string
	// SetValue stores one value; Save makes the values set durable.
	SetValue(bundle, key, value string)
	Save() error
}

// ClientInstallOptions are one InstallInto: what to wire, where, and
// with what.
type ClientInstallOptions struct {
	// Ref is the bundle as the user typed it.
	Ref string
	// Client is the MCP client and File its configuration file (absolute
	// or relative to the working directory); Scope is recorded with it.
	Client *mcpclients.Client
	Scope  mcpclients.Scope
	File   string
	// Record is what mpak wrote where; the install is added to it.
	Record *mcpclients.Record
	// Executable is the mpak the entry runs (an absolute path: clients
	// started from a desktop do not have the shell's PATH).
	Executable string
	// Env is carried into the entry: the settings mpak needs to find
	// its configuration, cache and credentials when not the default.
	Env map[string]string
	// Given are the user_config values given (KEY: values).
	Given map[string][]string
	// Name is the entry's name (default: the bundle's name).
	Name string
	// Pin writes the resolved digest instead of the reference asked;
	// Force replaces an entry of the same name mpak did not write.
	Pin, Force bool
	// Secrets holds the stored values and receives the sensitive ones
	// given; nil stores nothing (an install that has secrets to save
	// then fails).
	Secrets SecretStore
	// Ask is called when required values are missing and returns them
	// (KEY: values); nil does not ask, and the install fails with the
	// *launch.MissingError.
	Ask func(*launch.MissingError) (map[string][]string, error)
	// SystemDirs expand ~ and the like in path values (nil: none).
	SystemDirs *launch.SystemDirs
	// Warn receives the resolver's warnings (a yanked version, ...), as
	// soon as it is resolved; nil drops them.
	Warn func(string)
}

// ClientInstall is what InstallInto or UninstallFrom did.
type ClientInstall struct {
	Client  string `json:"client"`
	File    string `json:"file"`
	Name    string `json:"name"`
	Ref     string `json:"ref"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	// Change is added, replaced or unchanged (removed for UninstallFrom).
	Change string `json:"change"`
	// Saved lists the sensitive user_config keys saved in the SecretStore.
	Saved []string `json:"saved,omitempty"`
}

// InstallInto resolves opts.Ref, checks it against the policy, sorts its
// user_config (asking for what is missing) and writes the client's entry.
// The sensitive values are saved before the client's file is written,
// so the file never holds an entry that would start without them; when
// any step fails, nothing is written.
func (c *Client) InstallInto(ctx context.Context, opts ClientInstallOptions) (*ClientInstall, error) {
	if opts.Client == nil || opts.File == "" || opts.Record == nil {
		return nil, errors.New("installing into a client: the client, its file and the record are required")
	}
	prep, err := c.PrepareForClient(ctx, opts.Ref, ForClientOptions{Pin: opts.Pin})
	if err != nil {
		return nil, err
	}
	if w := prep.Resolved.Version.Warning; w != "" && opts.Warn != nil {
		opts.Warn(w)
	}
	given := map[string][]string{}
	for k, v := range opts.Given {
		given[k] = v
	}
	bundleKey := prep.Resolved.Ref.RepositoryRef()
	stored := map[string]string{}
	if opts.Secrets != nil {
		stored = opts.Secrets.Values(bundleKey)
	}
	split, err := SplitUserConfig(prep.Manifest, given, stored, opts.SystemDirs)
	var missing *launch.MissingError
	if errors.As(err, &missing) && opts.Ask != nil {
		var answers map[string][]string
		if answers, err = opts.Ask(missing); err == nil {
			for k, v := range answers {
				given[k] = v
			}
			split, err = SplitUserConfig(prep.Manifest, given, stored, opts.SystemDirs)
		}
	}
	if err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = prep.EntryName()
	}
	wiring := prep.Wiring(opts.Scope, opts.File, name, prep.Entry(opts.Executable, split, opts.Env))
	plan, err := mcpclients.Add(opts.Record, opts.Client, wiring, opts.Force)
	if err != nil {
		return nil, err
	}
	saved, err := saveSecrets(opts.Secrets, bundleKey, prep.Manifest.UserConfigKeys(), split.Secrets)
	if err != nil {
		return nil, err
	}
	if err := plan.Apply(); err != nil {
		return nil, err
	}
	w := plan.Wiring
	return &ClientInstall{Client: w.Client, File: w.File, Name: w.Name, Ref: w.Ref, Version: w.Version,
		Digest: w.Digest, Change: string(plan.Change), Saved: saved}, nil
}

// saveSecrets stores the sensitive values (in the manifest's key order)
// and saves the store: the step before the client's file is written.
func saveSecrets(store SecretStore, bundle string, keys []string, secrets map[string]string) ([]string, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	if store == nil {
		return nil, errors.New("sensitive config values were given but there is nowhere to save them (set ClientInstallOptions.Secrets); nothing was installed")
	}
	var saved []string
	for _, k := range keys {
		if v, ok := secrets[k]; ok {
			store.SetValue(bundle, k, v)
			saved = append(saved, k)
		}
	}
	if err := store.Save(); err != nil {
		return nil, fmt.Errorf("saving the sensitive config values: %w (nothing was installed)", err)
	}
	return saved, nil
}

// ClientUninstallOptions are one UninstallFrom.
type ClientUninstallOptions struct {
	// Ref is the bundle as installed (any version).
	Ref string
	// Client is the MCP client and File its configuration file.
	Client *mcpclients.Client
	File   string
	// Record is what mpak wrote where.
	Record *mcpclients.Record
	// Name is the entry (default: the one mpak installed Ref as); Force
	// removes it even if mpak did not write it.
	Name  string
	Force bool
}

// UninstallFrom removes the entry mpak wrote for opts.Ref from the
// client's file, keeping everything else.
func (c *Client) UninstallFrom(_ context.Context, opts ClientUninstallOptions) (*ClientInstall, error) {
	if opts.Client == nil || opts.File == "" || opts.Record == nil {
		return nil, errors.New("uninstalling from a client: the client, its file and the record are required")
	}
	abs, err := filepath.Abs(opts.File)
	if err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		if name, err = c.wiredName(opts.Record, opts.Client.Name, abs, opts.Ref); err != nil {
			return nil, err
		}
	}
	plan, err := mcpclients.Remove(opts.Record, opts.Client, abs, name, opts.Force)
	if err != nil {
		return nil, err
	}
	if err := plan.Apply(); err != nil {
		return nil, err
	}
	return &ClientInstall{Client: opts.Client.Name, File: abs, Name: name, Ref: plan.Wiring.Ref,
		Version: plan.Wiring.Version, Digest: plan.Wiring.Digest, Change: string(plan.Change)}, nil
}

// wiredName finds the entry mpak wrote into file for the bundle s; the
// bundle's name when the record has none.
func (c *Client) wiredName(rec *mcpclients.Record, client, file, s string) (string, error) {
	r, err := c.Parse(s)
	if err != nil {
		return "", err
	}
	for _, w := range rec.List(client) {
		if w.File == file && w.Repository == r.RepositoryRef() {
			return w.Name, nil
		}
	}
	if r.Name != "" {
		return r.Name, nil
	}
	return path.Base(r.Repository), nil
}

// InstalledOptions are one Installed.
type InstalledOptions struct {
	// Record is what mpak wrote where.
	Record *mcpclients.Record
	// Client limits the list to one MCP client ("": every client).
	Client string
	// Offline does not ask the registries what the references resolve
	// to now.
	Offline bool
}

// Installed is one entry mpak wired into a client.
type Installed struct {
	mcpclients.Wiring
	// Current is the version Ref resolves to now, Latest the highest
	// release; Error says why they could not be found.
	Current         string `json:"current,omitempty"`
	Latest          string `json:"latest,omitempty"`
	UpdateAvailable bool   `json:"update_available"`
	Error           string `json:"error,omitempty"`
	// State is the entry in the client's file now: "ok", "missing"
	// (removed by hand, or the file is gone), "edited" (changed since mpak
	// wrote it: install again to restore it) or "unreadable".
	State string `json:"state"`
}

// Installed lists what mpak wired into clients, with what each
// reference resolves to now unless opts.Offline.
func (c *Client) Installed(ctx context.Context, opts InstalledOptions) ([]Installed, error) {
	if opts.Record == nil {
		return nil, errors.New("listing installed bundles: the record is required")
	}
	if opts.Client != "" {
		if _, err := mcpclients.Lookup(opts.Client); err != nil {
			return nil, err
		}
	}
	out := []Installed{}
	for _, w := range opts.Record.List(opts.Client) {
		in := Installed{Wiring: w, State: entryState(w)}
		if !opts.Offline {
			if cur, err := c.Currency(ctx, w.Ref); err != nil {
				in.Error = err.Error()
			} else {
				in.Current, in.Latest, in.UpdateAvailable = cur.Current, cur.Latest, cur.UpdateAvailable
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// entryState compares the entry in the client's file with what mpak
// wrote there.
func entryState(w mcpclients.Wiring) string {
	c, err := mcpclients.Lookup(w.Client)
	if err != nil {
		return "unreadable"
	}
	f, err := mcpclients.Open(c, w.File)
	if err != nil {
		return "unreadable"
	}
	e, ok, err := f.Entry(w.Name)
	switch {
	case !ok:
		return "missing"
	case err != nil || !e.Equal(w.Entry):
		return "edited"
	}
	return "ok"
}
