// Package paths says where FleetDesk keeps its files on each system, as a pure function of the
// operating system and the environment, so the Windows layout is tested on any machine:
//
//	            cache (fleet, tiles)                 config (profiles)                  data (imported maps)
//	Windows     %LOCALAPPDATA%\fleetdesk            %APPDATA%\fleetdesk                %LOCALAPPDATA%\fleetdesk
//	macOS       ~/Library/Caches/fleetdesk          ~/Library/Application Support/…    ~/Library/Application Support/fleetdesk
//	Linux/BSD   $XDG_CACHE_HOME or ~/.cache/…       $XDG_CONFIG_HOME or ~/.config/…    $XDG_DATA_HOME or ~/.local/share/…
//
// On Windows the large, rebuildable files stay in the local (non-roaming) profile: a roaming
// profile copies %APPDATA% at every sign-in, and a fleet cache or an MBTiles file can be gigabytes.
// User names with spaces or non-ASCII letters need nothing special: paths are used as given.
package paths

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// App is the directory name under each base.
const App = "fleetdesk"

// Dirs are FleetDesk's directories.
type Dirs struct {
	Cache  string // offline fleet caches and map tiles seen online: may be deleted at any time
	Config string // the profiles file; small
	Data   string // files the dealer imported (MBTiles maps): kept, not rebuildable
}

// Default is the directories of this machine's user.
func Default() (Dirs, error) { return For(runtime.GOOS, os.Getenv) }

// For computes the directories on goos from the environment getenv reads.
func For(goos string, getenv func(string) string) (Dirs, error) {
	switch goos {
	case "windows":
		local, roaming := getenv("LOCALAPPDATA"), getenv("APPDATA")
		if local == "" && getenv("USERPROFILE") != "" {
			local = join(goos, getenv("USERPROFILE"), "AppData", "Local")
		}
		if roaming == "" && getenv("USERPROFILE") != "" {
			roaming = join(goos, getenv("USERPROFILE"), "AppData", "Roaming")
		}
		if local == "" || roaming == "" {
			return Dirs{}, errors.New("neither %LOCALAPPDATA% nor %USERPROFILE% is set")
		}
		return Dirs{Cache: join(goos, local, App), Config: join(goos, roaming, App), Data: join(goos, local, App)}, nil
	case "darwin", "ios":
		home := getenv("HOME")
		if home == "" {
			return Dirs{}, errors.New("$HOME is not set")
		}
		support := join(goos, home, "Library", "Application Support", App)
		return Dirs{Cache: join(goos, home, "Library", "Caches", App), Config: support, Data: support}, nil
	default:
		home := getenv("HOME")
		base := func(env string, rel ...string) (string, error) {
			// The XDG spec ignores relative values.
			if v := getenv(env); v != "" && strings.HasPrefix(v, "/") {
				return join(goos, v, App), nil
			}
			if home == "" {
				return "", errors.New("neither $" + env + " nor $HOME is set")
			}
			return join(goos, append(append([]string{home}, rel...), App)...), nil
		}
		var d Dirs
		var err1, err2, err3 error
		d.Cache, err1 = base("XDG_CACHE_HOME", ".cache")
		d.Config, err2 = base("XDG_CONFIG_HOME", ".config")
		d.Data, err3 = base("XDG_DATA_HOME", ".local", "share")
		if err := errors.Join(err1, err2, err3); err != nil {
			return Dirs{}, err
		}
		return d, nil
	}
}

// join joins with goos's separator (path/filepath knows only the running system's).
func join(goos string, elem ...string) string {
	sep := "/"
	if goos == "windows" {
		sep = `\`
	}
	out := strings.TrimRight(elem[0], `/\`)
	for _, e := range elem[1:] {
		out += sep + strings.Trim(e, `/\`)
	}
	return out
}

// Size is the total size of the regular files under dir (0 when dir does not exist).
func Size(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total, err
}

// Clear deletes what is under dir except the top-level entries keep accepts (the signed-in
// profile's cache, which is open), and returns how many bytes it freed. Files it cannot delete
// (in use by another FleetDesk on Windows) are kept and reported in the error; the rest go.
func Clear(dir string, keep func(name string) bool) (freed int64, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, e := range entries {
		if keep != nil && keep(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		n, _ := Size(p)
		if rerr := os.RemoveAll(p); rerr != nil {
			errs = append(errs, rerr)
			left, _ := Size(p)
			n -= left
		}
		freed += n
	}
	return freed, errors.Join(errs...)
}
