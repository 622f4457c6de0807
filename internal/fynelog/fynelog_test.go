package fynelog

import (
	"bytes"
	"log"
	"strings"
	"testing"
)

func TestFilterDropsOnlyTheMissingFolderComplaint(t *testing.T) {
	var out bytes.Buffer
	l := log.New(New(&out), "", log.LstdFlags)
	l.Println("Fyne error: ", "Getting favorite locations")
	l.Println("  Cause:", "this computer does not define a VIDEOS folder")
	l.Printf("  At: %s:%d", "/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/dialog/file.go", 396)
	l.Println("sync: backend answered")
	// The same reason with another cause is a real problem and is kept, whole.
	l.Println("Fyne error: ", "Getting favorite locations")
	l.Println("  Cause:", "open /home/x: permission denied")
	l.Printf("  At: %s:%d", "dialog/file.go", 396)
	l.Println("Fyne error: ", "Failed to focus object")
	got := out.String()
	for _, gone := range []string{"does not define a VIDEOS"} {
		if strings.Contains(got, gone) {
			t.Errorf("%q was logged:\n%s", gone, got)
		}
	}
	for _, kept := range []string{"sync: backend answered", "permission denied", "Failed to focus object"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q was dropped:\n%s", kept, got)
		}
	}
	if n := strings.Count(got, "Getting favorite locations"); n != 1 {
		t.Errorf("%d reason lines, want the kept one:\n%s", n, got)
	}
	if n := strings.Count(got, "At: "); n != 1 {
		t.Errorf("%d At lines, want the kept one:\n%s", n, got)
	}
}
