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
	"os"
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
