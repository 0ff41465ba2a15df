// Package config reads and writes the client's settings: which registry
// @scope/name references live in, and the user_config values saved per
// bundle with `mpak config set`. The file is JSON under the XDG config
// directory, readable only by its owner since it holds secrets; environment
// variables override it, as npm's do.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mpak-oci/mpak/oci/ref"
)

// EnvRegistry names the default registry and namespace: host[/namespace].
const EnvRegistry = "MPAK_REGISTRY"

// Config is the client configuration file.
type Config struct {
	// Registry is the default registry for @scope/name: host[/namespace].
	Registry string `json:"registry,omitempty"`
	// Bundles holds saved user_config values: bundle → key → value. A
	// multiple option's values are stored as a JSON array string.
	Bundles map[string]map[string]string `json:"bundles,omitempty"`
	// Policy is what every run and pull requires unless flags ask for
	// more.
	Policy Policy `json:"policy,omitempty"`

	path string
}

// Policy is the trust a bundle must show to be pulled or run.
type Policy struct {
	// RequireSignature wants a signature verifying with one of Keys.
	RequireSignature bool `json:"require_signature,omitempty"`
	// Keys are paths of trusted cosign public keys.
	Keys []string `json:"keys,omitempty"`
	// MinLevel is the lowest certification level accepted (0-4), from a
	// scan verdict signed by a trusted scanner key.
	MinLevel int `json:"min_level,omitempty"`
	// TrustedScanners are paths of public keys whose signed scan verdicts
	// count towards MinLevel.
	TrustedScanners []string `json:"trusted_scanners,omitempty"`
	// RegistryScanner, true unless set false, also trusts the scanner key
	// the registry publishes (mpakd's).
	RegistryScanner *bool `json:"registry_scanner,omitempty"`
}

// EnvPath names the configuration file, overriding the default place.
const EnvPath = "MPAK_CONFIG"

// Path is where the configuration lives: $MPAK_CONFIG (read with getenv),
// else $XDG_CONFIG_HOME/mpak/config.json (~/.config/mpak/config.json).
func Path(getenv func(string) string) (string, error) {
	if p := getenv(EnvPath); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w (set MPAK_CONFIG)", err)
	}
	return filepath.Join(dir, "mpak", "config.json"), nil
}

// Load reads the configuration at p (see Path); a missing file is an
// empty configuration, which Save writes to p.
func Load(p string) (*Config, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{path: p}, nil
	} else if err != nil {
		return nil, err
	}
	c := Config{path: p}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w (fix or delete the file)", p, err)
	}
	return &c, nil
}

// Save writes the configuration atomically with owner-only permissions.
func (c *Config) Save() error {
	if c.path == "" {
		return errors.New("saving the configuration: it was not loaded from a file (config.Load)")
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path)
}

// Values returns the saved user_config values of a bundle (never nil).
func (c *Config) Values(bundle string) map[string]string {
	if v := c.Bundles[bundle]; v != nil {
		return v
	}
	return map[string]string{}
}

// SetValue saves one user_config value for a bundle.
func (c *Config) SetValue(bundle, key, value string) {
	if c.Bundles == nil {
		c.Bundles = map[string]map[string]string{}
	}
	if c.Bundles[bundle] == nil {
		c.Bundles[bundle] = map[string]string{}
	}
	c.Bundles[bundle][key] = value
}

// Clear removes one key, or every key of the bundle when key is empty. It
// reports whether anything was removed.
func (c *Config) Clear(bundle, key string) bool {
	v, ok := c.Bundles[bundle]
	if !ok {
		return false
	}
	if key == "" {
		delete(c.Bundles, bundle)
		return true
	}
	if _, ok := v[key]; !ok {
		return false
	}
	delete(v, key)
	if len(v) == 0 {
		delete(c.Bundles, bundle)
	}
	return true
}

// Defaults is where @scope/name references resolve: env, the value of
// $MPAK_REGISTRY, else the file's registry, else the local mpakd address.
func (c *Config) Defaults(env string) (ref.Defaults, error) {
	s, from := env, EnvRegistry
	if s == "" {
		s, from = c.Registry, "the config file's registry"
	}
	if s == "" {
		return ref.Defaults{Registry: ref.DefaultRegistry}, nil
	}
	d, err := ref.ParseDefaults(s)
	if err != nil {
		return ref.Defaults{}, fmt.Errorf("%s: %w", from, err)
	}
	return d, nil
}
