package ui

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestScreensReachDataOnlyThroughTheSession: no screen imports the data layer (sync/...): the
// screens read and act through app/session, and the errors' words come from app/words, so the
// HTTP client, the cache and the syncer can change without a screen noticing (issue 21 item 5).
// Tests may build a real data layer for a screen; production files may not.
func TestScreensReachDataOnlyThroughTheSession(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(p, "github.com/fleetdesk/fleetdesk/sync/") || p == "database/sql" || p == "net/http" {
				t.Errorf("ui/%s imports %s: screens reach data only through app/session", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
