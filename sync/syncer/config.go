package syncer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// Config is the small settings file that remembers profiles: which backend each one talks to and
// with which e-mail it signed in. It never holds a password or a token.
type Config struct {
	Current  string             `json:"current,omitempty"` // the profile used when none is named
	Profiles map[string]Profile `json:"profiles"`
}

// Profile is one remembered backend.
type Profile struct {
	Backend string `json:"backend"`
	Email   string `json:"email,omitempty"`
}

// DefaultConfigPath is os.UserConfigDir()/fleetdesk/config.json.
func DefaultConfigPath() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user config directory: %w", err)
	}
	return filepath.Join(d, "fleetdesk", "config.json"), nil
}

// ParseConfig reads a config file's bytes, checking every profile name and backend URL.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if c.Profiles == nil {
		c.Profiles = map[string]Profile{}
	}
	for name, p := range c.Profiles {
		if err := cache.CheckProfile(name); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if _, err := session.CheckBackendURL(p.Backend); err != nil {
			return Config{}, fmt.Errorf("config: profile %q: %w", name, err)
		}
	}
	if c.Current != "" {
		if err := cache.CheckProfile(c.Current); err != nil {
			return Config{}, fmt.Errorf("config: current profile: %w", err)
		}
	}
	return c, nil
}

// LoadConfig reads the config at path; a missing file is an empty config.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{Profiles: map[string]Profile{}}, nil
	}
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Save writes the config atomically (temp file and rename), readable by the user only.
func (c Config) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ProfileNames lists the remembered profiles, sorted.
func (c Config) ProfileNames() []string {
	out := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// RememberProfile records a signed-in profile in the config file at path ("" for
// DefaultConfigPath) and makes it the current one when there is none yet or makeCurrent is set:
// what `fleetdesk login` and the app's sign-in dialog do after a successful sign-in.
func RememberProfile(path, name string, p Profile, makeCurrent bool) error {
	if err := cache.CheckProfile(name); err != nil {
		return err
	}
	if _, err := session.CheckBackendURL(p.Backend); err != nil {
		return err
	}
	if path == "" {
		var err error
		if path, err = DefaultConfigPath(); err != nil {
			return err
		}
	}
	c, err := LoadConfig(path)
	if err != nil {
		return err
	}
	c.Profiles[name] = p
	if c.Current == "" || makeCurrent {
		c.Current = name
	}
	return c.Save(path)
}
