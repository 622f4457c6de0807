package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// statusBar is the strip at the bottom of the window.
type statusBar struct {
	s        *Shell
	demo     *fyne.Container
	who      *widget.Label
	dot      *canvas.Circle
	online   *widget.Label
	updates  *widget.Label // "Live", "Every 30 s", "Reconnecting…"
	synced   *widget.Label
	progress *widget.ProgressBar
	infinite *widget.ProgressBarInfinite
	syncBtn  *widget.Button
	last     session.Status
	content  fyne.CanvasObject
}

var demoColor = color.NRGBA{R: 0xef, G: 0x6c, B: 0x00, A: 0xff}

func newStatusBar(s *Shell) *statusBar {
	b := &statusBar{s: s}
	badge := canvas.NewText(" DEMO ", color.White)
	badge.TextStyle.Bold = true
	bg := canvas.NewRectangle(demoColor)
	bg.CornerRadius = 4
	b.demo = container.NewCenter(container.NewStack(bg, container.NewPadded(badge)))
	b.demo.Hide()
	b.who = widget.NewLabel("")
	b.who.Truncation = fyne.TextTruncateEllipsis
	b.dot = kit.NewDot(fleet.HealthLost)
	b.online = widget.NewLabel("")
	b.synced = widget.NewLabel("")
	b.updates = widget.NewLabel("")
	b.updates.TextStyle.Bold = true
	b.progress = widget.NewProgressBar()
	b.progress.TextFormatter = func() string {
		return fmt.Sprintf("syncing %s of %s", kit.Thousands(b.last.SyncDone), kit.Thousands(b.last.SyncTotal))
	}
	b.progress.Hide()
	b.infinite = widget.NewProgressBarInfinite()
	b.infinite.Stop()
	b.infinite.Hide()
	b.syncBtn = widget.NewButtonWithIcon("Sync now", theme.ViewRefreshIcon(), func() {
		if s.svc != nil {
			s.svc.SyncNow()
		}
	})
	b.syncBtn.Importance = widget.LowImportance
	right := container.NewHBox(
		container.NewGridWrap(fyne.NewSize(220, 30), container.NewStack(b.progress, b.infinite)),
		container.NewCenter(container.NewGridWrap(fyne.NewSize(kit.DotSize, kit.DotSize), b.dot)),
		b.online, b.updates, b.synced, b.syncBtn)
	b.content = container.NewVBox(widget.NewSeparator(),
		container.NewBorder(nil, nil, b.demo, right, b.who))
	return b
}

func (b *statusBar) update(st session.Status) {
	b.last = st
	if st.Demo {
		b.demo.Show()
	} else {
		b.demo.Hide()
	}
	parts := []string{}
	if st.Demo {
		parts = append(parts, "Simulated backend "+st.BackendURL)
	} else if st.BackendURL != "" {
		parts = append(parts, st.BackendURL)
	}
	if st.DealerName != "" {
		parts = append(parts, st.DealerName)
	}
	if st.UserEmail != "" {
		parts = append(parts, st.UserEmail)
	}
	setText(b.who, strings.Join(parts, " · "))
	if st.Reachable {
		kit.SetDot(b.dot, fleet.HealthLive)
		setText(b.online, "Online")
	} else {
		kit.SetDot(b.dot, fleet.HealthLost)
		setText(b.online, OfflineSinceText(b.now(), st.UnreachableSince))
	}
	// Offline, Sync now is the manual retry; only a sign-in can help when the backend refused it
	// (the banner offers it), and a running sync needs no second one.
	if st.Syncing || st.SignInNeeded {
		b.syncBtn.Disable()
	} else {
		b.syncBtn.Enable()
	}
	switch {
	case !st.Syncing:
		b.progress.Hide()
		b.infinite.Stop()
		b.infinite.Hide()
	case st.SyncTotal > 0:
		b.infinite.Stop()
		b.infinite.Hide()
		b.progress.Max = float64(st.SyncTotal)
		b.progress.SetValue(float64(min(st.SyncDone, st.SyncTotal)))
		b.progress.Show()
	default:
		b.progress.Hide()
		b.infinite.Show()
		b.infinite.Start()
	}
	b.tick()
}

// tick re-renders the relative time once a second; the text changes at most every 10 s, and an
// unchanged text costs no frame. While live, the fleet is current: no freshness is shown.
func (b *statusBar) tick() {
	st := b.last
	showIf(b.updates, st.Reachable && !(st.Syncing && st.LastSync.IsZero()))
	setText(b.updates, UpdatesText(st))
	showIf(b.synced, !st.Reachable || st.Updates != session.UpdatesLive || st.LastSync.IsZero())
	setText(b.synced, SyncedText(b.now(), st))
}

// UpdatesText says how the fleet is kept current, in the status bar's and Settings' words:
// "Live" (the backend's event stream), "Reconnecting…" (it dropped and is being resumed), or the
// interval it is asked for changes at ("Every 30 s").
func UpdatesText(st session.Status) string {
	switch st.Updates {
	case session.UpdatesLive:
		return "Live"
	case session.UpdatesReconnecting:
		return "Reconnecting…"
	}
	return EveryText(st.SyncEvery)
}

// EveryText is a polling interval in the status bar's words: "Every 30 s", "Every 2 min".
func EveryText(d time.Duration) string {
	switch {
	case d <= 0:
		return "Every 30 s"
	case d < time.Second:
		return fmt.Sprintf("Every %.1f s", d.Seconds())
	case d < time.Minute || d%time.Minute != 0:
		return fmt.Sprintf("Every %d s", int(d.Round(time.Second)/time.Second))
	}
	return fmt.Sprintf("Every %d min", int(d/time.Minute))
}

// UpdatesDetail is Settings' fuller account of the same: what Live means, or why it is not.
func UpdatesDetail(st session.Status) string {
	switch st.Updates {
	case session.UpdatesLive:
		return "Live: the backend sends each change as it happens (its event stream); the fleet on screen follows within a second."
	case session.UpdatesReconnecting:
		return "Reconnecting: " + st.UpdatesWhy + "."
	}
	text := EveryText(st.SyncEvery) + ": FleetDesk asks the backend for what changed at this interval"
	if st.UpdatesWhy != "" {
		text += ", because " + st.UpdatesWhy
	}
	if !st.Reachable {
		text += " (offline now: it tries again by itself)"
	}
	return text + "."
}

// now is the session's clock, the backend's: LastSync and OfflineSince are on it, as every unit's
// time is.
func (b *statusBar) now() time.Time {
	if b.s.svc != nil {
		return b.s.svc.Now()
	}
	return time.Now()
}

// OfflineSinceText is the status bar's "Offline since 14:02" (the guide's words), with the day
// when it is not today; plain "Offline" when the moment is unknown.
func OfflineSinceText(now, since time.Time) string {
	if since.IsZero() {
		return "Offline"
	}
	l, n := since.Local(), now.Local()
	if l.Year() == n.Year() && l.YearDay() == n.YearDay() {
		return "Offline since " + l.Format("15:04")
	}
	return "Offline since " + l.Format("2 Jan 15:04")
}

// SyncedText is the status bar's freshness: "synced 12 s ago", "syncing…", "never synced".
func SyncedText(now time.Time, st session.Status) string {
	switch {
	case st.Syncing && st.LastSync.IsZero():
		return "first sync…"
	case st.LastSync.IsZero():
		return "never synced"
	}
	d := now.Sub(st.LastSync)
	switch {
	case d < 10*time.Second:
		return "synced just now"
	case d < time.Minute:
		// In steps of 10 s: true ("at least 20 s ago") and no repaint every second.
		return fmt.Sprintf("synced %d s ago", int(d.Seconds())/10*10)
	}
	return "synced " + fleet.Ago(now, st.LastSync)
}

// banner is the strip at the top: offline state (with Sign in, Retry now and Details) and
// one-off news, each on a row of its own that the dealer can dismiss: the data layer's notice, a
// backend that was restarted (the whole fleet synced again), a PC clock far from the backend's.
type banner struct {
	s          *Shell
	offline    *fyne.Container
	offlineTxt *widget.Label
	signInBtn  *widget.Button
	retryBtn   *widget.Button
	detailsBtn *widget.Button
	detail     string
	notice     *newsRow // Status.Notice
	resync     *newsRow // Status.Resync
	clock      *newsRow // fleet.ClockNote(Status.ClockOffset)
	// clockSeen is the offset the clock note was dismissed at: the note stays away while the
	// offset stays within a few minutes of it, though its rounded words may flicker.
	clockSeen, clockOffset time.Duration
	clockDismissed         bool
	content                fyne.CanvasObject
}

// newsRow is one dismissable line of news. Dismissed, it stays hidden until its text changes.
type newsRow struct {
	box       *fyne.Container
	txt       *widget.Label
	dismissed string
	onDismiss func() // optional
}

func newNewsRow() *newsRow {
	r := &newsRow{txt: widget.NewLabel("")}
	r.txt.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		r.dismissed = r.txt.Text
		r.box.Hide()
		if r.onDismiss != nil {
			r.onDismiss()
		}
	})
	closeBtn.Importance = widget.LowImportance
	// The × is drawn in the dark theme's light foreground, as the text is: the light theme's dark
	// one is 1.3:1 on the blue, where a control needs 3:1 to be seen.
	r.box = container.NewStack(canvas.NewRectangle(noticeColor),
		container.NewBorder(nil, nil, nil, container.NewThemeOverride(closeBtn, forcedDark{}), whiteText(r.txt)))
	r.box.Hide()
	return r
}

// show puts text on the row, unless it is empty or the dealer dismissed this very text.
func (r *newsRow) show(text string) {
	if text == "" || text == r.dismissed {
		r.box.Hide()
		return
	}
	setText(r.txt, text)
	r.box.Show()
}

var (
	offlineColor = color.NRGBA{R: 0xb7, G: 0x1c, B: 0x1c, A: 0xff}
	noticeColor  = color.NRGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}
)

func newBanner(s *Shell) *banner {
	b := &banner{s: s}
	b.offlineTxt = widget.NewLabel("")
	b.offlineTxt.Wrapping = fyne.TextWrapWord
	b.offlineTxt.TextStyle.Bold = true
	b.signInBtn = widget.NewButton("Sign in", s.signInAgain)
	b.signInBtn.Importance = widget.HighImportance
	b.retryBtn = widget.NewButtonWithIcon("Retry now", theme.ViewRefreshIcon(), func() {
		if s.svc != nil {
			s.svc.SyncNow()
		}
	})
	b.detailsBtn = widget.NewButton("Details", func() {
		kit.ShowDetails(s.win, b.offlineTxt.Text, b.detail)
	})
	buttons := container.NewHBox(b.signInBtn, b.retryBtn, b.detailsBtn)
	b.offline = container.NewStack(canvas.NewRectangle(offlineColor),
		container.NewBorder(nil, nil, nil, container.NewCenter(buttons), whiteText(b.offlineTxt)))
	b.offline.Hide()
	b.notice, b.resync, b.clock = newNewsRow(), newNewsRow(), newNewsRow()
	b.clock.onDismiss = func() { b.clockSeen, b.clockDismissed = b.clockOffset, true }
	b.content = container.NewVBox(b.offline, b.resync.box, b.clock.box, b.notice.box)
	return b
}

// whiteText keeps a label readable on the banners' dark colours in both themes.
func whiteText(l *widget.Label) fyne.CanvasObject {
	return container.NewThemeOverride(l, forcedDark{})
}

func (b *banner) update(st session.Status) {
	if st.Reachable {
		b.offline.Hide()
	} else {
		setText(b.offlineTxt, OfflineText(st))
		b.detail = st.UnreachableDetail
		showIf(b.signInBtn, st.SignInNeeded)
		showIf(b.retryBtn, !st.SignInNeeded)
		if st.Syncing {
			b.retryBtn.Disable()
		} else {
			b.retryBtn.Enable()
		}
		showIf(b.detailsBtn, st.UnreachableDetail != "")
		b.offline.Show()
	}
	b.notice.show(st.Notice)
	b.resync.show(st.Resync)
	b.clockOffset = st.ClockOffset
	if d := st.ClockOffset - b.clockSeen; b.clockDismissed && d > -clockMoved && d < clockMoved {
		b.clock.show("")
	} else {
		b.clock.dismissed = ""
		b.clock.show(fleet.ClockNote(st.ClockOffset))
	}
}

// clockMoved is how far the clock offset must move from the one the dealer dismissed the note at
// before the note comes back: news, not the estimate's rounding.
const clockMoved = 10 * time.Minute

// OfflineText is the banner shown while the backend cannot be reached or the sign-in is gone:
// what the data is, why, and what FleetDesk does about it.
func OfflineText(st session.Status) string {
	s := "Offline — "
	if st.LastSync.IsZero() {
		s += "no data synced yet. "
	} else {
		s += "data as of " + st.LastSync.Local().Format("2 Jan 2006 15:04") + ". "
	}
	why := strings.TrimSuffix(st.UnreachableWhy, ".")
	switch {
	case st.SignInNeeded:
		if why == "" {
			why = "You are not signed in"
		}
		s += why + ". "
		if !st.LastSync.IsZero() {
			s += "Your cached fleet is shown read-only until you sign in."
		}
		return strings.TrimSpace(s)
	case why != "":
		s += why + " — retrying"
	default:
		s += "Retrying"
	}
	if !st.LastSync.IsZero() {
		s += "; your cached fleet is shown"
	}
	return s + ". Actions that need the backend are disabled."
}

func showIf(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// forcedDark is the dark variant of the current theme, for text on a dark banner.
type forcedDark struct{}

func (forcedDark) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, theme.VariantDark)
}
func (forcedDark) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (forcedDark) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (forcedDark) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }

// setText changes a label only when its text changes: a status update that says the same costs
// no frame (an idle window should not repaint every few seconds).
func setText(l *widget.Label, t string) {
	if l.Text != t {
		l.SetText(t)
	}
}
