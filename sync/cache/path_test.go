package cache

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenInAwkwardUserDirectory opens, writes and reopens a cache under a directory like a
// Windows profile of a user called "Jürgen Müller" (a space, non-ASCII letters) and with the
// characters that mean something in a SQLite URI (#, ?, %), so such a user name cannot break the
// offline cache.
func TestOpenInAwkwardUserDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Users", "Jürgen Müller #1 ?50%", "AppData", "Local", "fleetdesk")
	path, err := PathFor(dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	if err := c.ApplyBatch(ctx, Batch{Devices: genDevices(3, "a"), Cursor: "c1", Total: 3}); err != nil {
		t.Fatalf("writing: %v", err)
	}
	c.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the cache is not where it was asked to be: %v", err)
	}
	c, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer c.Close()
	if c.Rebuilt() != nil {
		t.Fatalf("the cache was rebuilt on reopen: %v", c.Rebuilt())
	}
	devs, err := c.LoadDevices(ctx)
	if err != nil || len(devs) != 3 {
		t.Fatalf("read back %d devices, err %v", len(devs), err)
	}
}
