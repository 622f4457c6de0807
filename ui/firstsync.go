package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/fleetconsole"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// firstSync stands in for the Fleet Console until the first sync has brought the fleet: an empty
// console would say "0 of 0 units", which a dealer reads as "my fleet is gone".
type firstSync struct {
	title    *widget.Label
	text     *widget.Label
	progress *widget.ProgressBar
	infinite *widget.ProgressBarInfinite
	content  fyne.CanvasObject
}

func newFirstSync() *firstSync {
	f := &firstSync{}
	f.title = widget.NewLabel("Fetching your fleet")
	f.title.SizeName = "subHeadingText"
	f.title.TextStyle.Bold = true
	f.text = widget.NewLabel("")
	f.text.Wrapping = fyne.TextWrapWord
	f.progress = widget.NewProgressBar()
	f.progress.Hide()
	f.infinite = widget.NewProgressBarInfinite()
	f.infinite.Stop()
	f.infinite.Hide()
	f.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 160),
		container.NewVBox(f.title, f.text, f.progress, f.infinite)))
	return f
}

// FirstSyncText is what the Fleet Console's place says before the first sync has completed
// (units: how many the session holds already).
func FirstSyncText(st session.Status, units int) string {
	switch {
	case !st.Syncing && units > 0:
		return fmt.Sprintf("Opening the Fleet Console with %s units…", kit.Thousands(units))
	case st.Syncing && st.SyncTotal > 0:
		return fmt.Sprintf("First sync: %s of %s units received. The Fleet Console opens when it is done.",
			kit.Thousands(min(st.SyncDone, st.SyncTotal)), kit.Thousands(st.SyncTotal))
	case st.Syncing:
		return "First sync: asking the backend for your fleet…"
	case st.SignInNeeded:
		return "No fleet has been synced on this computer yet, and " + lowerFirst(st.UnreachableWhy) + "."
	case !st.Reachable && st.UnreachableWhy != "":
		return "No fleet has been synced on this computer yet. " + st.UnreachableWhy + ": FleetDesk keeps trying by itself."
	}
	return "Waiting for the first sync…"
}

func (f *firstSync) update(st session.Status, units int) {
	f.text.SetText(FirstSyncText(st, units))
	switch {
	case st.Syncing && st.SyncTotal > 0:
		f.infinite.Stop()
		f.infinite.Hide()
		f.progress.Max = float64(st.SyncTotal)
		f.progress.SetValue(float64(min(st.SyncDone, st.SyncTotal)))
		f.progress.Show()
	case st.Syncing || st.Reachable:
		f.progress.Hide()
		f.infinite.Show()
		f.infinite.Start()
	default:
		f.progress.Hide()
		f.infinite.Stop()
		f.infinite.Hide()
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// consoleView is the Fleet Console, or the first sync's progress while there is no synced fleet yet:
// the Fleet Console must never claim an empty fleet that has not been synced. (The Fleet Console itself also
// says it is waiting until its first search has landed and a sync has completed.)
func (s *Shell) consoleView() fyne.CanvasObject {
	if s.svc == nil {
		return s.console.Content()
	}
	if s.svc.Fleet().Len() == 0 && s.svc.Status().LastSync.IsZero() {
		return s.firstSync.content
	}
	return s.console.Content()
}

// showConsoleView swaps the Fleet Console and the first-sync view as the status changes; an open
// Manage page stays.
func (s *Shell) showConsoleView() {
	if s.slot == nil || s.ManagePage() == PageFleetConsole {
		return
	}
	want := s.consoleView()
	if len(s.slot.Objects) == 1 && s.slot.Objects[0] == want {
		return
	}
	s.slot.Objects = []fyne.CanvasObject{want}
	s.slot.Refresh()
}

func (s *Shell) newConsole(svc session.Session) *fleetconsole.Page {
	nav := s.nav()
	return fleetconsole.New(svc, fleetconsole.Options{OnManage: nav.OpenManage, Window: s.win, Tick: s.opts.ConsoleTick,
		OnFilterChanged: nav.FleetConsoleFilterChanged, UI: s.opts.UI})
}
