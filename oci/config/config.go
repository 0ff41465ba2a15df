// Package config reads the client's settings: which registry @scope/name
// references live in. The file is JSON under the XDG config directory;
// environment variables override it, as npm's do.
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
}

// Path is where the configuration lives: $MPAK_CONFIG, else
// $XDG_CONFIG_HOME/mpak/config.json (~/.config/mpak/config.json).
func Path() (string, error) {
	if p := os.Getenv("MPAK_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w (set MPAK_CONFIG)", err)
	}
	return filepath.Join(dir, "mpak", "config.json"), nil
}

// Load reads the configuration; a missing file is an empty configuration.
func Load() (*Config, error) {
	p, err := Path()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	} else if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w (fix or delete the file)", p, err)
	}
	return &c, nil
}

// Defaults is where @scope/name references resolve: $MPAK_REGISTRY, else the
// file's registry, else the local mpakd address.
func (c *Config) Defaults() (ref.Defaults, error) {
	s, from := os.Getenv(EnvRegistry), EnvRegistry
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
