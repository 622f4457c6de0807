package recovery

import (
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sim/unit"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// A built-in UART is never preselected: Connect without looking would talk to the wrong port.
// Only a port on a known USB serial adapter is (or the one used last, below). Each page is a
// subtest of its own: one UI goroutine at a time, as in the app.
func TestOnlyAUnitsPortIsPreselected(t *testing.T) {
	t.Run("a built-in UART", func(t *testing.T) {
		e := start(t, unit.Config{}, &data{}, func(string) []rec.PortInfo { return []rec.PortInfo{{Path: "/dev/ttyS0"}} })
		e.until("ports listed", func() bool { return strings.Contains(e.p.port.listed.Text, "1 serial port found") })
		e.run(func() {
			if e.p.port.entry.Text != "" || !e.p.port.connect.Disabled() {
				t.Fatalf("a built-in UART is preselected: %q (Connect disabled %v)", e.p.port.entry.Text, e.p.port.connect.Disabled())
			}
			if !strings.Contains(e.p.port.listed.Text, "/dev/ttyS0: not a known USB serial adapter, so it is not chosen") {
				t.Fatalf("the page does not say why nothing is chosen: %q", e.p.port.listed.Text)
			}
		})
	})
	// A USB serial adapter beside the UART is the unit's cable: chosen, and the page says why.
	t.Run("a USB serial adapter beside it", func(t *testing.T) {
		e := start(t, unit.Config{}, &data{}, func(pty string) []rec.PortInfo {
			return []rec.PortInfo{{Path: "/dev/ttyS0"}, listed(pty)[0]}
		})
		e.until("ports listed", func() bool { return strings.Contains(e.p.port.listed.Text, "2 serial ports found") })
		e.run(func() {
			if e.p.flow.Port() != e.pty {
				t.Fatalf("chosen %q, want the adapter %s", e.p.flow.Port(), e.pty)
			}
			if !strings.Contains(e.p.port.listed.Text, "FTDI FT232R USB serial adapter") {
				t.Fatalf("the page does not say why it chose the port: %q", e.p.port.listed.Text)
			}
		})
	})
}

// The port a unit answered on (a pty no enumerator lists) and its baud go to Remember; a page
// given them as the last ones (ui/desk keeps them in the preferences, see its restart test)
// starts there; a last port that is gone is not filled in, and the page says so.
func TestLastPortAndBaudComeBack(t *testing.T) {
	t.Run("remembered on connect", func(t *testing.T) {
		type used struct {
			port string
			baud int
		}
		var remembered []used
		e := startWith(t, unit.Config{}, &data{}, nil, func(_ *env, d *Deps) {
			d.Remember = func(port string, baud int) { remembered = append(remembered, used{port, baud}) }
		})
		e.until("ports listed", func() bool { return strings.Contains(e.p.port.listed.Text, "No serial ports found") })
		e.run(func() {
			test.Type(e.p.port.entry, e.pty)
			e.p.port.baudSel.SetSelected("921600")
			test.Tap(e.p.port.connect)
		})
		e.phase(rec.PhaseConnected)
		e.run(func() {
			if len(remembered) != 1 || remembered[0] != (used{e.pty, 921600}) {
				t.Fatalf("remembered %+v, want the pty at 921600", remembered)
			}
		})
	})
	t.Run("the next start", func(t *testing.T) {
		// The pty is there although nothing lists it.
		e := startWith(t, unit.Config{}, &data{}, nil, func(e *env, d *Deps) { d.LastPort, d.Baud = e.pty, 921600 })
		e.until("ports listed", func() bool { return e.p.port.listed.Text != "Listing serial ports…" })
		e.run(func() {
			if e.p.port.entry.Text != e.pty || e.p.port.baudSel.Selected != "921600" {
				t.Fatalf("next start: port %q baud %q, want %s at 921600", e.p.port.entry.Text, e.p.port.baudSel.Selected, e.pty)
			}
			if !strings.Contains(e.p.port.listed.Text, "a unit answered on it last time") {
				t.Fatalf("the page does not say why the port is chosen: %q", e.p.port.listed.Text)
			}
		})
	})
	t.Run("a last port that is gone", func(t *testing.T) {
		e := startWith(t, unit.Config{}, &data{}, nil, func(_ *env, d *Deps) { d.LastPort = "/dev/pts/no-such-pty" })
		e.until("ports listed", func() bool { return e.p.port.listed.Text != "Listing serial ports…" })
		e.run(func() {
			if e.p.port.entry.Text != "" || !strings.Contains(e.p.port.listed.Text, "/dev/pts/no-such-pty, where a unit answered last time, is not there now") {
				t.Fatalf("a gone port: entry %q, listed %q", e.p.port.entry.Text, e.p.port.listed.Text)
			}
		})
	})
}

// Before Flash is pressed no step reads as running: the check is ticked, Upload waits.
func TestUploadIsNotCurrentBeforeFlash(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 6000)
	e := start(t, unit.Config{Baud: 921600}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 1 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() {
		for i, ic := range e.p.flash.icons {
			if ic.Resource == theme.MediaPlayIcon() {
				t.Fatalf("step %q shows as running before Flash was pressed", rec.StepNames[i])
			}
		}
		if e.p.flash.icons[0].Resource != theme.ConfirmIcon() || e.p.flash.icons[1].Resource != theme.RadioButtonIcon() {
			t.Fatal("Check image is not ticked, or Upload is not waiting")
		}
	})
}

// A refused file keeps its name on screen beside the reason: the release list cannot show it.
func TestRefusedFileNameStaysBesideTheReason(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 6000)
	e := start(t, unit.Config{}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 1 })
	wifi, _ := fwimage.Build(d180wifi, "2.4.0", fwimage.Payload(d180wifi, "2.4.0", 3000))
	e.run(func() {
		// What Open file… does once the file is read.
		e.p.fw.sel.ClearSelected()
		say(e.p.fw.fromFile, "File: d180-wifi-2.4.0.bin")
		e.p.fw.use("d180-wifi-2.4.0.bin", wifi)
		text := e.visibleText()
		if !strings.Contains(text, "File: d180-wifi-2.4.0.bin") {
			t.Fatalf("the refused file's name is not shown:\n%s", text)
		}
		if r := e.p.fw.refusal.title.Text; !strings.HasPrefix(r, "d180-wifi-2.4.0.bin is refused") || !strings.Contains(r, "transport WiFi, unit is GSM") {
			t.Fatalf("refusal %q", r)
		}
		// Choosing a release instead: the file line goes, the release is named by the list.
		e.p.fw.sel.SetSelectedIndex(0)
	})
	e.phase(rec.PhaseReady)
	e.run(func() {
		if e.p.fw.fromFile.Visible() || strings.Contains(e.visibleText(), "d180-wifi") {
			t.Fatal("the refused file is still shown after a release was chosen")
		}
	})
}

// The release list marks the installed version (and older ones), as the Manage page does.
func TestReleaseListMarksInstalled(t *testing.T) {
	d := &data{}
	for _, v := range []string{"2.4.0", "2.3.0", "2.2.0"} {
		d.release(t, d180gsm, v, 4000)
	}
	e := start(t, unit.Config{Version: "2.3.0"}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 3 })
	e.run(func() {
		want := []string{"D180, GSM 2.4.0", "D180, GSM 2.3.0 (installed)", "D180, GSM 2.2.0 (older than installed)"}
		if got := e.p.fw.sel.Options; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("options %q, want %q", got, want)
		}
	})
}

// What the technician must read (why Flash or Connect cannot be pressed, what the port listing
// found) is in the text colour, at least 4.5:1 against the background in both themes, never in
// the faint disabled colour.
func TestStatusLinesReadable(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.2.0", 4000)
	e := start(t, unit.Config{Version: "2.3.0"}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 1 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady) // a downgrade: Flash waits for the tick and says so
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		e.run(func() {
			fyne.CurrentApp().Settings().SetTheme(uitest.VariantTheme(theme.DefaultTheme(), v))
			bg := theme.DefaultTheme().Color(theme.ColorNameBackground, v)
			for _, l := range []*widget.Label{e.p.flash.hint, e.p.port.hint, e.p.port.listed} {
				if l.Text == "" {
					t.Fatalf("an empty status line: a useless probe")
				}
				l.Refresh()
				for _, c := range textColors(l) {
					if r := uitest.Contrast(c, bg); r < 4.5 {
						t.Errorf("variant %s: %q is drawn at %.1f:1 against the background", v2s(v), l.Text, r)
					}
				}
			}
		})
	}
	e.run(func() {
		if !strings.Contains(e.p.flash.hint.Text, "tick \"Downgrade\"") {
			t.Fatalf("flash hint %q", e.p.flash.hint.Text)
		}
	})
}

func v2s(v fyne.ThemeVariant) string {
	if v == theme.VariantDark {
		return "dark"
	}
	return "light"
}

// textColors are the colours a label draws its text in.
func textColors(o fyne.CanvasObject) []color.Color {
	var out []color.Color
	uitest.Walk(o, true, func(x fyne.CanvasObject) {
		if t, ok := x.(*canvas.Text); ok && strings.TrimSpace(t.Text) != "" {
			out = append(out, t.Color)
		}
	})
	return out
}
