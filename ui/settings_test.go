package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/version"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// texts is every label's text under o.
func texts(o fyne.CanvasObject) []string { return uitest.Texts(o) }

func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, x := range uitest.Objects(o) {
		if b, ok := x.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button", text)
	return nil
}

func settingsPage(s *Shell) fyne.CanvasObject {
	for ti, name := range s.tabPages {
		if name == PageSettings {
			return ti.Content
		}
	}
	return nil
}

// TestAboutFromSettings opens About from the Settings page and reads what it says.
func TestAboutFromSettings(t *testing.T) {
	svc, _ := testfleet.Offline(t, 20, now0)
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() {
		s.Start(svc)
		s.ShowPage(PageSettings)
		test.Tap(button(t, settingsPage(s), "About FleetDesk"))
		top := s.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no About dialog")
		}
		got := strings.Join(texts(top), "\n")
		info := version.Get()
		for _, want := range []string{"About FleetDesk", "FleetDesk", "Version", info.Version, "Commit", info.Commit, "Built", info.Date} {
			if !strings.Contains(got, want) {
				t.Fatalf("About shows %q, missing %q", got, want)
			}
		}
		test.Tap(button(t, top, "Copy details"))
		if clip := fyne.CurrentApp().Clipboard().Content(); !strings.HasPrefix(clip, info.String()) {
			t.Fatalf("Copy details put %q on the clipboard", clip)
		}
	})
}

// TestSettingsAreStoredAsPreferences changes every setting on the page and reads the stored
// preferences back; the theme applies at once.
func TestSettingsAreStoredAsPreferences(t *testing.T) {
	svc, _ := testfleet.Offline(t, 20, now0)
	cacheDir := filepath.Join(t.TempDir(), "Jürgen Müller", "fleetdesk")
	for name, size := range map[string]int{"default.db": 4000, "default.db-wal": 100, "old.db": 9000, "tiles/osm/1/1/1.png": 700} {
		p := filepath.Join(cacheDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	u := newUI(t)
	s := newShell(t, u, Options{CacheDir: cacheDir})
	u.run(func() {
		s.Start(svc)
		s.ShowPage(PageSettings)
		page := settingsPage(s)
		p := prefs.New(s.opts.App.Preferences())

		for _, x := range uitest.Objects(page) {
			switch w := x.(type) {
			case *widget.RadioGroup:
				w.SetSelected("Dark")
			case *widget.Check:
				if w.Text == "A unit went offline" {
					test.Tap(w)
				}
			case *widget.Select:
				if slices.Contains(w.Options, "5 minutes") {
					w.SetSelected("5 minutes")
				}
				if slices.Contains(w.Options, "921600") {
					w.SetSelected("921600")
				}
			}
		}
		if p.Theme() != prefs.ThemeDark || s.opts.App.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight) !=
			theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark) {
			t.Fatal("the dark theme was not stored and applied")
		}
		if p.Notify(notify.KindOffline) || !p.Notify(notify.KindAlarm) {
			t.Fatal("switching off offline notifications did not stick (or switched others)")
		}
		if p.SyncInterval() != 5*time.Minute || p.Baud() != 921600 {
			t.Fatalf("interval %s, baud %d", p.SyncInterval(), p.Baud())
		}

		// The threshold: a bad value is refused with words, a good one is stored.
		var entries []*kit.Entry
		for _, x := range uitest.Objects(page) {
			if e, ok := x.(*kit.Entry); ok {
				entries = append(entries, e)
			}
		}
		if len(entries) != 2 {
			t.Fatalf("want the threshold's two entries, found %d", len(entries))
		}
		entries[0].SetText("abc")
		if !slices.ContainsFunc(texts(page), func(s string) bool { return strings.Contains(s, "Not saved") }) {
			t.Fatal("a bad threshold was not refused")
		}
		entries[0].SetText("3")
		entries[1].SetText("10")
		if th := p.Threshold(); th.Units != 3 || th.Percent != 10 {
			t.Fatalf("threshold stored as %+v", th)
		}

	})

	// The cache: measured, cleared except the signed-in profile's files.
	u.eventually(10*time.Second, "the cache size", func() bool {
		return slices.Contains(texts(settingsPage(s)), "13 KB")
	})
	u.run(func() { test.Tap(button(t, settingsPage(s), "Clear cache")) })
	u.eventually(10*time.Second, "the cache to be cleared", func() bool {
		return slices.Contains(texts(settingsPage(s)), "4 KB")
	})
	u.run(func() {
		if _, err := os.Stat(filepath.Join(cacheDir, "default.db")); err != nil {
			t.Fatal("the signed-in profile's cache was deleted")
		}
		if _, err := os.Stat(filepath.Join(cacheDir, "old.db")); err == nil {
			t.Fatal("another profile's cache was kept")
		}
		for _, k := range []string{"password", "token", "secret"} {
			for _, key := range []string{"signin.email", "signin.backend_url"} {
				if strings.Contains(strings.ToLower(s.opts.App.Preferences().String(key)), k) {
					t.Fatalf("preference %s holds a %s", key, k)
				}
			}
		}
	})
}

// fakeProfiles records switches and additions.
type fakeProfiles struct {
	names    []string
	current  string
	svc      session.Session
	switched []string
	added    []string
}

func (f *fakeProfiles) Names() ([]string, string) { return f.names, f.current }
func (f *fakeProfiles) Switch(_ context.Context, name string) (session.Session, error) {
	f.switched = append(f.switched, name)
	return f.svc, nil
}
func (f *fakeProfiles) Add(name string) error { f.added = append(f.added, name); return nil }

func TestSwitchAndAddProfile(t *testing.T) {
	svc, _ := testfleet.Offline(t, 20, now0)
	svc2, _ := testfleet.Offline(t, 30, now0)
	pr := &fakeProfiles{names: []string{"default", "north"}, current: "default", svc: svc2}
	u := newUI(t)
	s := newShell(t, u, Options{Profiles: pr})
	started := make(chan struct{}, 1)
	u.run(func() {
		s.Start(svc)
		s.ShowPage(PageSettings)
		page := settingsPage(s)
		for _, x := range uitest.Objects(page) {
			if sel, ok := x.(*widget.Select); ok && sel.PlaceHolder == "(another profile)" {
				if !slices.Equal(sel.Options, []string{"north"}) {
					t.Fatalf("profiles offered: %v", sel.Options)
				}
				sel.SetSelected("north")
			}
		}
		s.onStarted = func() { started <- struct{}{} }
		test.Tap(button(t, page, "Switch"))
	})
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the other profile's session never started")
	}
	u.run(func() {
		if !slices.Equal(pr.switched, []string{"north"}) || s.Service() != session.Session(svc2) {
			t.Fatalf("switch: switched %v", pr.switched)
		}
		if s.CurrentPage() != PageSettings {
			t.Fatalf("after switching the window shows %q, not Settings", s.CurrentPage())
		}

		// Add a profile: a name, then the sign-in screen says what it signs in for.
		test.Tap(button(t, settingsPage(s), "Add profile…"))
		top := s.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no dialog for the new profile's name")
		}
		// The keyboard alone: the name field has the focus, Enter continues.
		name, ok := s.win.Canvas().Focused().(*kit.Entry)
		if !ok {
			t.Fatalf("the name field does not have the focus (%T)", s.win.Canvas().Focused())
		}
		test.Type(name, "east")
		name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if !slices.Equal(pr.added, []string{"east"}) || s.signIn == nil {
			t.Fatalf("add profile: added %v, sign-in screen %v", pr.added, s.signIn != nil)
		}
		// Issue 24 item 3: what the sign-in is for is said, in the page's colour: it is not an error.
		var note *widget.Label
		for _, x := range uitest.Objects(s.win.Content()) {
			if l, ok := x.(*widget.Label); ok && l.Visible() && strings.Contains(l.Text, "New profile \u201ceast\u201d") {
				note = l
			}
		}
		if note == nil {
			t.Fatal("the sign-in screen does not say which profile it signs in for")
		}
		if note.Importance == widget.DangerImportance || note.Importance == widget.WarningImportance {
			t.Fatalf("%q is shown as an error (importance %v)", note.Text, note.Importance)
		}
	})
}
