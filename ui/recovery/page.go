// Package recovery is the Recovery page: a technician on site types or picks the serial port,
// connects to a unit in MCUboot serial recovery, sees its identity and image slots, chooses
// firmware (a release that fits the unit, or a file), reads the preflight summary, flashes with
// progress, speed and ETA, and watches verify, reset, reconnect and confirm happen. Cancel works
// at any step. Nothing here needs the network.
//
// The page only shows: what may happen next is app/recovery's Flow, the checks are the flasher's,
// and all serial and cache work runs on the page's kit.Runner. The page is split in parts, each
// owning its widgets: the port row (connect.go), the unit and firmware cards (firmware.go), the
// flash controls and steps (flash.go), failures as what to check (problem.go) and the service log
// records the backend refused (servicelog.go).
package recovery

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// rejectsEvery is how often the page looks for service log records the backend refused.
const rejectsEvery = 30 * time.Second

// Deps wires the page into the shell.
type Deps struct {
	// UI delivers background results on the UI goroutine; nil is the app's (kit.FyneDo). Tests
	// pass uitest.Loop.Do.
	UI kit.UI
	// Window hosts the file dialog; without one, "Open file…" is not offered.
	Window fyne.Window
	// Data is the cache side: releases, the service log and the records the backend refused.
	// Without it the page offers image files only and keeps no service log.
	Data session.Recovery
	// Baud is the serial speed selected at first; 0 for recovery.DefaultBaud (Settings sets it,
	// and Remember keeps the last one used).
	Baud int
	// LastPort is the port a unit last answered on (Remember keeps it): preselected when it is
	// there, as recovery.ChoosePort says.
	LastPort string
	// Remember is told the port and baud of every connect a unit answered, to start there next
	// time; may be nil.
	Remember func(port string, baud int)
	// ListPorts defaults to recovery.ListPorts.
	ListPorts func() ([]rec.PortInfo, error)
	// Tune adjusts the link's options (tests shorten timeouts); may be nil.
	Tune func(*rec.Options)
}

// Page is the Recovery page. Everything but the runner's work is touched on the UI goroutine only.
type Page struct {
	deps   Deps
	run    *kit.Runner
	flow   rec.Flow
	link   *rec.Link
	cancel func() // stops the running connect or flash
	gen    int    // bumps on every connect so late answers for an old link are dropped

	port    *portRow
	fw      *firmwarePart
	flash   *flashPart
	rejects *rejectedPart
	content fyne.CanvasObject
}

// NewPage builds the page and starts listing ports.
func NewPage(d Deps) *Page {
	if d.ListPorts == nil {
		d.ListPorts = rec.ListPorts
	}
	p := &Page{deps: d, run: kit.NewRunner(d.UI)}
	p.port = newPortRow(p)
	p.fw = newFirmwarePart(p)
	p.flash = newFlashPart(p)
	p.rejects = newRejectedPart(p)
	p.content = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle("Serial recovery", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.port.content,
		p.fw.unitCard,
		p.fw.card,
		p.flash.content,
		p.rejects.content,
	))
	p.render()
	p.port.list()
	p.rejects.load()
	// A sync in the background can refuse a record while the page is open: look again now and then
	// (one small query of the local cache).
	p.run.Ticker(rejectsEvery, p.rejects.load)
	return p
}

// Content is the page's root object.
func (p *Page) Content() fyne.CanvasObject { return p.content }

// Prefill chooses the model and transport for a unit that does not identify itself, as the
// Manage page knows them when it links here. A unit that does identify itself wins, and the page
// says so if it disagrees.
func (p *Page) Prefill(model fleet.Model, transport fleet.Transport) { p.fw.prefill(model, transport) }

// Close stops the page's work (a running flash stops at the next chunk) and releases the port;
// the shell calls it when the page goes away.
func (p *Page) Close() {
	if p.cancel != nil {
		p.cancel()
	}
	p.run.Close()
	if p.link != nil {
		p.link.Close()
		p.link = nil
	}
}

// render makes every control show what the flow allows now.
func (p *Page) render() {
	p.port.render(&p.flow)
	p.fw.render(&p.flow, p.link != nil)
	p.flash.render(&p.flow)
}

// options are the link options for port.
func (p *Page) options(port string) rec.Options {
	o := rec.Options{Port: port, Baud: p.port.baud()}
	if p.deps.Data != nil {
		o.Log = p.deps.Data.RecoveryLog()
	}
	if p.deps.Tune != nil {
		p.deps.Tune(&o)
	}
	return o
}

type disableable interface {
	Enable()
	Disable()
}

func enable(on bool, ws ...disableable) {
	for _, w := range ws {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

func show(on bool, os ...fyne.CanvasObject) {
	for _, o := range os {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
}
