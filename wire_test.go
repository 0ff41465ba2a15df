package mpak_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/mcpclients"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// memSecrets is a SecretStore in memory whose Save can be made to fail
// (the only way to produce that fault) and which looks, when saving, at
// the client's file: the rule is that secrets are saved first.
type memSecrets struct {
	values  map[string]map[string]string
	saveErr error
	// onSave runs when Save is called.
	onSave func()
	saves  int
}

func (m *memSecrets) Values(bundle string) map[string]string {
	if v := m.values[bundle]; v != nil {
		return v
	}
	return map[string]string{}
}

func (m *memSecrets) SetValue(bundle, key, value string) {
	if m.values == nil {
		m.values = map[string]map[string]string{}
	}
	if m.values[bundle] == nil {
		m.values[bundle] = map[string]string{}
	}
	m.values[bundle][key] = value
}

func (m *memSecrets) Save() error {
	m.saves++
	if m.onSave != nil {
		m.onSave()
	}
	return m.saveErr
}

// TestInstallIntoSecretsFirst: a sensitive value is saved before the
// client's file is written; when saving fails (or a required value is
// missing and nobody asks), the client's file and the record are left
// exactly as they were. Then uninstall and the listing, on the same
// record.
func TestInstallIntoSecretsFirst(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	c := newClient(t, host, mpak.Options{})
	client, err := mcpclients.Lookup("claude-desktop")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "claude_desktop_config.json")
	before := []byte("{\n  // mine\n  \"mcpServers\": {\"other\": {\"command\": \"x\"}}\n}\n")
	if err := os.WriteFile(file, before, 0o600); err != nil {
		t.Fatal(err)
	}
	recPath := filepath.Join(dir, "clients.json")
	load := func() *mcpclients.Record {
		rec, err := mcpclients.LoadRecord(recPath)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	opts := func(s mpak.SecretStore) mpak.ClientInstallOptions {
		return mpak.ClientInstallOptions{Ref: "@acme/tool", Client: client, Scope: mcpclients.User, File: file,
			Record: load(), Executable: "/usr/local/bin/mpak", Secrets: s}
	}
	untouched := func(what string) {
		t.Helper()
		if got, _ := os.ReadFile(file); !bytes.Equal(got, before) {
			t.Errorf("%s: the client's file was written:\n%s", what, got)
		}
		for _, p := range []string{recPath, mcpclients.BackupPath(file)} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %s was written", what, p)
			}
		}
	}

	// Saving the secret fails: nothing is installed.
	failing := &memSecrets{saveErr: errors.New("disk full")}
	o := opts(failing)
	o.Given = map[string][]string{"api_key": {"sk-1"}}
	if _, err := c.InstallInto(ctx, o); err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "nothing was installed") {
		t.Errorf("a failing save: err = %v", err)
	}
	if failing.saves != 1 {
		t.Errorf("Save called %d times, want 1", failing.saves)
	}
	untouched("failing save")

	// A required value is missing and Ask is nil: the MissingError, no
	// write, no save.
	quiet := &memSecrets{}
	var missing *launch.MissingError
	if _, err := c.InstallInto(ctx, opts(quiet)); !errors.As(err, &missing) || missing.Keys[0].Key != "api_key" {
		t.Errorf("missing api_key without Ask: err = %v", err)
	}
	if quiet.saves != 0 {
		t.Error("the store was saved although the install failed")
	}
	untouched("missing value")

	// Asked for, the value goes to the store, which is saved while the
	// client's file still holds no entry; the file then gets one without
	// the secret.
	store := &memSecrets{}
	store.onSave = func() {
		if got, _ := os.ReadFile(file); !bytes.Equal(got, before) {
			t.Error("the client's file was written before the secrets were saved")
		}
	}
	o = opts(store)
	o.Ask = func(m *launch.MissingError) (map[string][]string, error) {
		return map[string][]string{m.Keys[0].Key: {"sk-asked"}}, nil
	}
	o.Env = map[string]string{"MPAK_CACHE": "/tmp/c"}
	res, err := c.InstallInto(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Change != string(mcpclients.Added) || res.Name != "tool" || res.Version != "1.0.0" || !slices.Equal(res.Saved, []string{"api_key"}) {
		t.Errorf("install = %+v", res)
	}
	repo := host + "/acme/tool"
	if got := store.Values(repo)["api_key"]; got != "sk-asked" {
		t.Errorf("stored api_key = %q (store %v)", got, store.values)
	}
	after, _ := os.ReadFile(file)
	if bytes.Contains(after, []byte("sk-asked")) || !bytes.Contains(after, []byte("// mine")) || !bytes.Contains(after, []byte(`"MPAK_CACHE"`)) {
		t.Errorf("client file after install:\n%s", after)
	}

	list, err := c.Installed(ctx, mpak.InstalledOptions{Record: load()})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != "ok" || list[0].Current != "1.0.0" || list[0].UpdateAvailable {
		t.Errorf("installed = %+v", list)
	}

	un, err := c.UninstallFrom(ctx, mpak.ClientUninstallOptions{Ref: "@acme/tool", Client: client, File: file, Record: load()})
	if err != nil {
		t.Fatal(err)
	}
	if un.Name != "tool" || un.Change == string(mcpclients.Unchanged) {
		t.Errorf("uninstall = %+v", un)
	}
	if got, _ := os.ReadFile(file); bytes.Contains(got, []byte(`"tool"`)) || !bytes.Contains(got, []byte(`"other"`)) {
		t.Errorf("client file after uninstall:\n%s", got)
	}
	if list, err := c.Installed(ctx, mpak.InstalledOptions{Record: load(), Offline: true}); err != nil || len(list) != 0 {
		t.Errorf("installed after uninstall = %+v, %v", list, err)
	}
}
