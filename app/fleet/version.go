package fleet

import (
	"strings"
)

// CompareVersions orders dotted firmware versions numerically where both parts are numbers
// ("2.10.0" after "2.9.3"), falling back to text for anything else.
func CompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, oka := atoi(pa[i])
		nb, okb := atoi(pb[i])
		if oka && okb {
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			continue
		}
		if c := strings.Compare(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// Direction is what installing a firmware version would do to a unit's installed version.
type Direction int

// Directions, by the version the unit reports. Upgrade is the zero value.
const (
	Upgrade   Direction = iota // the new version is newer than the installed one (or none is known)
	Reinstall                  // the unit already runs this version
	Downgrade                  // the new version is older than the installed one
)

// String is the direction's name in the dealer's words.
func (d Direction) String() string {
	switch d {
	case Reinstall:
		return "reinstall"
	case Downgrade:
		return "downgrade"
	}
	return "upgrade"
}

// DirectionOf compares a version to install with the installed one ("" when unknown).
func DirectionOf(version, installed string) Direction {
	if installed == "" {
		return Upgrade
	}
	switch c := CompareVersions(version, installed); {
	case c > 0:
		return Upgrade
	case c == 0:
		return Reinstall
	default:
		return Downgrade
	}
}
