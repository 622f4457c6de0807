package manage

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// statusSection is the header and the Status card: every field that confirms which unit the
// dealer is about to act on, redrawn from the session's snapshot.
type statusSection struct {
	title   *widget.Label
	dot     *canvas.Circle
	health  *widget.Label
	fields  map[string]*widget.Label
	mapLink *widget.Button
	head    fyne.CanvasObject
	card    *widget.Card
}

// The Status card's two columns: who the unit is, and how it is doing.
var (
	identityFields = []string{"Device ID", "Name", "Customer", "Dealer", "Model (engine)", "Firmware console", "Transport"}
	stateFields    = []string{"Firmware", "Connection", "Run state", "Alarms", "Last known location"}
)

// staleFix is the age past which a last known location reads as old: the unit has not reported
// a position for longer than a working shift.
const staleFix = 6 * time.Hour

func newStatusSection(id string, onBack func(), backLabel string, onMap func()) *statusSection {
	s := &statusSection{fields: map[string]*widget.Label{}}
	s.title = widget.NewLabel(id)
	s.title.TextStyle.Bold = true
	s.title.SizeName = theme.SizeNameSubHeadingText
	s.dot = kit.NewDot(fleet.HealthLost)
	s.health = widget.NewLabel("")
	head := container.NewHBox()
	if onBack != nil {
		if backLabel == "" {
			backLabel = "Fleet Console"
		}
		head.Add(widget.NewButtonWithIcon(backLabel, theme.NavigateBackIcon(), onBack))
	}
	head.Add(s.title)
	head.Add(container.NewCenter(container.NewGridWrap(fyne.NewSize(kit.DotSize, kit.DotSize), s.dot)))
	head.Add(s.health)
	s.head = head

	column := func(keys []string) *fyne.Container {
		form := container.New(layout.NewFormLayout())
		for _, k := range keys {
			key := widget.NewLabel(k)
			key.TextStyle.Bold = true
			val := widget.NewLabel("")
			val.Wrapping = fyne.TextWrapWord
			val.Selectable = true
			s.fields[k] = val
			var cell fyne.CanvasObject = val
			if k == "Last known location" && onMap != nil {
				s.mapLink = widget.NewButtonWithIcon("Show on map", theme.SearchIcon(), onMap)
				s.mapLink.Importance = widget.LowImportance
				cell = container.NewBorder(nil, nil, nil, s.mapLink, val)
			}
			form.Add(key)
			form.Add(cell)
		}
		return form
	}
	s.card = widget.NewCard("Status", "Confirm this is the unit you mean to act on",
		container.NewGridWithColumns(2, column(identityFields), column(stateFields)))
	return s
}

func (s *statusSection) set(k, v string) { s.fields[k].SetText(v) }

// showMissing says the unit is not in the fleet; every field then reads "—".
func (s *statusSection) showMissing(id string) {
	s.title.SetText(id)
	s.health.SetText("not in your fleet")
	for _, l := range s.fields {
		l.SetText("—")
	}
	if s.mapLink != nil {
		s.mapLink.Hide()
	}
}

// show redraws every field from the unit as the snapshot has it.
func (s *statusSection) show(d fleet.Device, st session.Status, ownDealer string, now time.Time) {
	h := d.HealthAt(now)
	title := d.ID
	if d.Name != "" {
		title += " — " + d.Name
	}
	s.title.SetText(title)
	s.showHealth(d, h, st.Reachable, now)

	s.set("Device ID", d.ID)
	s.set("Name", orNone(d.Name))
	s.set("Customer", orNone(d.CustomerEmail))
	s.set("Dealer", dealerName(d, ownDealer, st.DealerName))
	s.set("Model (engine)", d.Model.DisplayName())
	// The field's key already says "Firmware console": "Unified", not "Unified firmware console".
	s.set("Firmware console", strings.TrimSuffix(consoleName(d), " firmware console"))
	s.set("Transport", d.Transport.DisplayName())
	s.set("Firmware", orNone(d.Firmware))
	s.set("Connection", connection(d, st, now))
	s.set("Run state", runState(d.RunState))
	alarms := s.fields["Alarms"]
	if len(d.Alarms) == 0 {
		alarms.Importance = widget.MediumImportance
		s.set("Alarms", "None")
	} else {
		alarms.Importance = widget.DangerImportance
		s.set("Alarms", strings.Join(d.Alarms, "; "))
	}
	alarms.Refresh()
	loc := s.fields["Last known location"]
	switch {
	case d.GPS == nil:
		loc.Importance = widget.MediumImportance
		s.set("Last known location", "No position reported")
	case now.Sub(d.GPS.FixTime) > staleFix:
		loc.Importance = widget.WarningImportance
		s.set("Last known location", fmt.Sprintf("%.5f, %.5f — old fix from %s (%s)", d.GPS.Lat, d.GPS.Lon,
			d.GPS.FixTime.Local().Format("Jan 2 15:04"), fleet.Ago(now, d.GPS.FixTime)))
	default:
		loc.Importance = widget.MediumImportance
		s.set("Last known location", fmt.Sprintf("%.5f, %.5f (fix %s)", d.GPS.Lat, d.GPS.Lon, fleet.Ago(now, d.GPS.FixTime)))
	}
	loc.Refresh()
	if s.mapLink != nil {
		if d.GPS == nil {
			s.mapLink.Hide()
		} else {
			s.mapLink.Show()
		}
	}
}

// showHealth is the title's dot and words. With the backend out of reach a unit's "reporting
// normally" is only what the last sync said, so the title says so as the console's rows do
// ("Online at last sync") and the dot is grey, not the live green; lost contact stays lost.
func (s *statusSection) showHealth(d fleet.Device, h fleet.Health, reachable bool, now time.Time) {
	if reachable || h == fleet.HealthLost {
		kit.SetDot(s.dot, h)
		s.health.SetText(kit.HealthLabel(h))
		return
	}
	grey := theme.Color(theme.ColorNameDisabled)
	if s.dot.FillColor != grey || s.dot.StrokeWidth != 0 {
		s.dot.FillColor, s.dot.StrokeColor, s.dot.StrokeWidth = grey, grey, 0
		s.dot.Refresh()
	}
	s.health.SetText(d.ConnectionAsOf(now, false) + " · " + kit.HealthLabel(h))
}

// dealerName is the dealer's name when the unit is the signed-in dealer's (the session knows that
// name), else the ID the backend reports.
func dealerName(d fleet.Device, ownDealer, name string) string {
	if d.Dealer == "" {
		return "—"
	}
	if name != "" && d.Dealer == ownDealer {
		return name
	}
	return d.Dealer
}

// connection is the guide's "Online / Offline since …" (the one rule, fleet.Device.Connection),
// when the unit last reported, then the finer health signal.
func connection(d fleet.Device, st session.Status, now time.Time) string {
	s := d.ConnectionAsOf(now, st.Reachable) + " · last seen " + fleet.Ago(now, d.LastSeen) +
		" · " + kit.HealthLabel(d.HealthAt(now))
	if !st.Reachable {
		// The cache only knows what the unit said before FleetDesk lost the backend.
		s += " (as of the last sync)"
	}
	return s
}
