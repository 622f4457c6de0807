package paths

import (
	"os"
	"path/filepath"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestForWindowsKeepsCachesLocal(t *testing.T) {
	// A user name with a space and non-ASCII letters, as Windows creates it.
	got, err := For("windows", env(
		"LOCALAPPDATA", `C:\Users\Jürgen Müller\AppData\Local`,
		"APPDATA", `C:\Users\Jürgen Müller\AppData\Roaming`,
		"USERPROFILE", `C:\Users\Jürgen Müller`))
	if err != nil {
		t.Fatal(err)
	}
	want := Dirs{
		Cache:  `C:\Users\Jürgen Müller\AppData\Local\fleetdesk`,
		Config: `C:\Users\Jürgen Müller\AppData\Roaming\fleetdesk`,
		Data:   `C:\Users\Jürgen Müller\AppData\Local\fleetdesk`,
	}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// Without LOCALAPPDATA (a service account, a stripped environment): the profile's default.
	got, err = For("windows", env("USERPROFILE", `D:\Profiles\李 雷\`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Cache != `D:\Profiles\李 雷\AppData\Local\fleetdesk` || got.Config != `D:\Profiles\李 雷\AppData\Roaming\fleetdesk` {
		t.Fatalf("fallback: %+v", got)
	}
	if _, err := For("windows", env()); err == nil {
		t.Fatal("no error without any profile variable")
	}
}

func TestForUnix(t *testing.T) {
	got, err := For("darwin", env("HOME", "/Users/zoë smith"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Cache != "/Users/zoë smith/Library/Caches/fleetdesk" || got.Config != "/Users/zoë smith/Library/Application Support/fleetdesk" {
		t.Fatalf("darwin: %+v", got)
	}
	got, err = For("linux", env("HOME", "/home/ana", "XDG_CACHE_HOME", "/var/tmp/c", "XDG_CONFIG_HOME", "relative/ignored"))
	if err != nil {
		t.Fatal(err)
	}
	want := Dirs{Cache: "/var/tmp/c/fleetdesk", Config: "/home/ana/.config/fleetdesk", Data: "/home/ana/.local/share/fleetdesk"}
	if got != want {
		t.Fatalf("linux: got %+v, want %+v", got, want)
	}
	if _, err := For("linux", env()); err == nil {
		t.Fatal("no error without $HOME")
	}
}

// TestDefaultMatchesGo checks that on this machine the function agrees with the standard library,
// which the rest of the program used before.
func TestDefaultMatchesGo(t *testing.T) {
	d, err := Default()
	if err != nil {
		t.Skip(err)
	}
	c, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	if d.Cache != filepath.Join(c, App) {
		t.Fatalf("cache %q, os.UserCacheDir %q", d.Cache, c)
	}
}

func TestSizeAndClearKeepTheOpenCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Jürgen Müller", "fleetdesk")
	write := func(rel string, n int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("default.db", 1000)
	write("default.db-wal", 100)
	write("old-profile.db", 5000)
	write("tiles/osm/3/4/5.png", 300)
	write("tiles/osm/3/4/6.png", 200)
	if n, err := Size(dir); err != nil || n != 6600 {
		t.Fatalf("Size = %d, %v; want 6600", n, err)
	}
	keep := func(name string) bool { return name == "default.db" || name == "default.db-wal" }
	freed, err := Clear(dir, keep)
	if err != nil || freed != 5500 {
		t.Fatalf("Clear freed %d, %v; want 5500", freed, err)
	}
	if n, _ := Size(dir); n != 1100 {
		t.Fatalf("left %d bytes, want the open cache's 1100", n)
	}
	if n, err := Size(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Fatalf("Size of a missing dir: %d %v", n, err)
	}
}
