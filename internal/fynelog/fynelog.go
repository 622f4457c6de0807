// Package fynelog keeps a complaint Fyne logs about the user's computer, not about FleetDesk, out
// of FleetDesk's log, so what remains there is worth reading.
//
// The one known: Fyne 2.7's file dialog (FleetDesk's "Open file…", "Export CSV…", the MBTiles
// import) looks up the desktop folders with `xdg-user-dir DOCUMENTS` … `VIDEOS` and logs
// "Fyne error:  Getting favorite locations / Cause: this computer does not define a VIDEOS
// folder / At: …/dialog/file.go" each time it opens on a desktop whose ~/.config/user-dirs.dirs
// does not name that folder (xdg-user-dir then answers the home folder): minimal images, a root
// session, a user who never ran xdg-user-dirs-update. Nothing is wrong; the dialog simply lists
// no such folder. Every other line passes unchanged.
package fynelog

import (
	"bytes"
	"io"
	"log"
	"os"
	"sync"
)

// Install routes the standard logger (which fyne.LogError writes to) through a Filter to stderr.
func Install() { log.SetOutput(New(os.Stderr)) }

// Filter passes what is written to it on to its writer, except the known complaint. fyne.LogError
// writes its reason, cause and place as three log lines (three writes), so the reason line is held
// back until the next write tells whether it begins that complaint.
type Filter struct {
	mu   sync.Mutex
	w    io.Writer
	held []byte // a "Getting favorite locations" line, until its cause is known
	drop bool   // the next line is the dropped complaint's "At:" line
}

// New filters writes to w.
func New(w io.Writer) *Filter { return &Filter{w: w} }

var (
	reason = []byte("Fyne error:  Getting favorite locations")
	cause  = []byte("Cause: this computer does not define a ")
	at     = []byte("  At: ")
)

func (f *Filter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drop {
		f.drop = false
		if bytes.Contains(p, at) {
			return len(p), nil
		}
	}
	if f.held != nil {
		held := f.held
		f.held = nil
		if bytes.Contains(p, cause) {
			f.drop = true // the complaint: its reason, this cause and the next "At:" line go
			return len(p), nil
		}
		if _, err := f.w.Write(held); err != nil {
			return 0, err
		}
	}
	if bytes.Contains(p, reason) {
		f.held = append([]byte(nil), p...)
		return len(p), nil
	}
	return f.w.Write(p)
}
