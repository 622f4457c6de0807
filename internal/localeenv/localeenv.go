// Package localeenv makes the process's locale one Fyne can read, before Fyne reads it.
//
// Fyne's lang package reads the locale in its package initialisation, through go-locale, and
// logs "Fyne error: Error parsing user locale C" (with its Cause and At lines) when the locale is
// C.UTF-8, as on minimal Linux images, containers and many service laptops: go-locale cuts
// "C.UTF-8" to "C", which is no language tag. Plain "C", "POSIX" or no locale at all are fine.
// FleetDesk speaks English only, so such a locale means English: this package sets LANGUAGE
// (which go-locale prefers, and which only chooses message languages) to the usable entries, or
// to "en", and leaves LANG and LC_* alone, so character handling stays UTF-8.
//
// It must run before fyne.io/fyne/v2/lang's init. Go initialises packages in the order of their
// import paths, each once its own imports are done (the language specification, "Package
// initialization", since Go 1.21): this module's path, fleetdesk.invalid/localeenv, sorts before
// fyne.io/..., and it imports only the standard library, so a blank import from package main
// runs it first. That is why it is a module of its own (see the replace directive in the main
// go.mod), not a package under github.com/fleetdesk/fleetdesk, which would sort after fyne.io.
package localeenv

import (
	"os"
	"strings"
)

func init() { Fix(os.Getenv, os.Setenv) }

// Fix sets LANGUAGE, through set, when the locale the environment names (LC_ALL, LC_MESSAGES,
// LANG, then LANGUAGE, as go-locale reads them) holds an entry that is no language tag; it
// reports whether it changed anything.
func Fix(get func(string) string, set func(string, string) error) bool {
	var primary string
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if primary = get(k); primary != "" {
			break
		}
	}
	if primary == "C" || primary == "POSIX" {
		return false // read as "no locale": English, with nothing logged
	}
	list := primary
	if l := get("LANGUAGE"); l != "" {
		list = l
	}
	if list == "" {
		return false
	}
	var good []string
	changed := false
	for _, entry := range strings.Split(list, ":") {
		if wellFormed(entry) {
			good = append(good, entry)
			continue
		}
		changed = true
		// "sr_RS@latin": go-locale keeps the modifier when no encoding comes first.
		if e, _, _ := strings.Cut(entry, "@"); wellFormed(e) {
			good = append(good, e)
		}
	}
	if !changed {
		return false
	}
	if len(good) == 0 {
		good = []string{"en"}
	}
	return set("LANGUAGE", strings.Join(good, ":")) == nil
}

// wellFormed reports whether go-locale makes a language tag of a locale entry: it drops the
// encoding ("de_AT.UTF-8@euro" is "de-AT") and takes the rest as language and territory, so
// "C.UTF-8" is "C", no language, and "sr_RS@latin" has no territory it can read.
func wellFormed(entry string) bool {
	e, _, _ := strings.Cut(entry, ".")
	e = strings.ReplaceAll(e, "-", "_")
	lang, region, hasRegion := strings.Cut(e, "_")
	return letters(lang, 2, 8) && lang != "POSIX" && (!hasRegion || letters(region, 2, 2) || digits(region, 3))
}

func letters(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
