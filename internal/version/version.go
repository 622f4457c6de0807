// Package version says which FleetDesk build is running: the version, the commit it was built
// from and when. `make` sets them at link time (-ldflags -X); a plain `go build` falls back to
// what the Go toolchain stamped into the binary (vcs.revision, vcs.time, vcs.modified), which it
// does in a git checkout (not in a git worktree, and not with -buildvcs=false or `go run`).
package version

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
)

// Set by the Makefile:
//
//	-ldflags "-X github.com/fleetdesk/fleetdesk/internal/version.version=0.1.0 ..."
//
// Lower case so nothing in the program can change them after start.
var (
	version string // release version, e.g. 0.1.0
	commit  string // git commit (full or short hash)
	date    string // build time, RFC 3339 UTC
)

// Info is one build's identity.
type Info struct {
	Version string // "0.1.0", or "dev" when unknown
	Commit  string // short hash, "+dirty" when built from changed files; "unknown" when unknown
	Date    string // RFC 3339; "unknown" when unknown
}

// Get is the running build's identity.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, bi)
}

// resolve prefers the link-time values and fills what is missing from the build info.
func resolve(v, c, d string, bi *debug.BuildInfo) Info {
	var dirty bool
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if v == "" && isRelease(bi.Main.Version) {
			v = strings.TrimPrefix(bi.Main.Version, "v")
		}
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if dirty && c != "" && !strings.HasSuffix(c, "+dirty") {
		c += "+dirty"
	}
	return Info{Version: or(v, "dev"), Commit: or(c, "unknown"), Date: or(d, "unknown")}
}

// pseudoVersion matches the module versions Go 1.24+ stamps on an untagged commit
// (v0.0.0-20261207133644-bb1be9bddfab, v0.1.1-0.20261207133644-bb1be9bddfab+dirty): they name a
// commit, which Commit already shows, not a release.
var pseudoVersion = regexp.MustCompile(`-(0\.)?\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// isRelease reports whether a main-module version from the build info names a release (a tag).
func isRelease(v string) bool {
	return v != "" && v != "(devel)" && !pseudoVersion.MatchString(v)
}

// String is the one line `fleetdesk --version` prints.
func (i Info) String() string {
	return fmt.Sprintf("FleetDesk %s (commit %s, built %s)", i.Version, i.Commit, i.Date)
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
