package recovery

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

var bauds = []string{"115200", "230400", "460800", "921600"}

// portRow is where the technician names the port: typed (a pty, an unusual path) or chosen from
// the ports this machine lists, with the baud rate, Connect, and why Connect is not possible yet.
type portRow struct {
	p       *Page
	ports   []rec.PortInfo
	entry   *kit.SelectEntry
	refresh *widget.Button
	baudSel *widget.Select
	connect *widget.Button
	hint    *widget.Label
	listed  *widget.Label
	found   string       // what the last listing found, without advice on choosing
	problem *problemView // why the last connect failed, right under the port it was about
	content fyne.CanvasObject
}

func newPortRow(p *Page) *portRow {
	r := &portRow{p: p}
	r.entry = kit.NewSelectEntry(nil)
	r.entry.SetPlaceHolder("Type the port path (e.g. /dev/ttyUSB0, COM3) or choose one")
	r.entry.OnChanged = func(text string) {
		p.flow.SetPort(r.path())
		if strings.TrimSpace(text) != "" && r.found != "" {
			say(r.listed, r.found) // advice on choosing is done with once a port is named
		}
		p.render()
	}
	r.entry.OnSubmitted = func(string) { r.doConnect() }
	r.refresh = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), r.list)
	r.baudSel = widget.NewSelect(bauds, nil)
	r.baudSel.SetSelected(strconv.Itoa(rec.DefaultBaud))
	if p.deps.Baud != 0 {
		r.baudSel.SetSelected(strconv.Itoa(p.deps.Baud)) // ignored unless it is one of the choices
	}
	r.connect = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), r.doConnect)
	// Status lines in the text colour: the disabled colour would say "ignore me", and these say
	// what to do next.
	r.hint = wrapped("")
	r.listed = wrapped("")
	row := container.NewBorder(nil, nil, widget.NewLabel("Port"),
		container.NewHBox(r.refresh, widget.NewLabel("Baud"), r.baudSel, r.connect), r.entry)
	r.problem = newProblemView()
	r.content = container.NewVBox(row, r.hint, r.listed, r.problem.content)
	return r
}

// path is the port to use: the path of a listed port whose label was chosen, else what was typed.
func (r *portRow) path() string {
	t := strings.TrimSpace(r.entry.Text)
	for _, pi := range r.ports {
		if pi.Label() == t {
			return pi.Path
		}
	}
	return t
}

func (r *portRow) baud() int {
	b, _ := strconv.Atoi(r.baudSel.Selected)
	return b
}

func (r *portRow) render(f *rec.Flow) {
	busy := f.Busy()
	enable(!busy, r.entry, r.refresh, r.baudSel)
	err := f.ConnectBlocked()
	enable(err == nil, r.connect)
	// Once a unit answered, the button reads the unit again (after a reset or a swapped cable).
	if label := map[bool]string{false: "Connect", true: "Connect again"}[f.Connected()]; r.connect.Text != label {
		r.connect.SetText(label)
	}
	switch {
	case f.Phase() == rec.PhaseConnecting:
		say(r.hint, "Connecting to "+f.Port()+"…")
	case f.Connected() && !busy:
		say(r.hint, "Connected to "+f.Port()+".")
	case err != nil && !busy:
		say(r.hint, sentence(err))
	default:
		say(r.hint, "")
	}
}

// list lists the ports (again); a typed path is kept. Into an empty port field goes only a port
// that looks like a unit's cable (recovery.ChoosePort): the one used last, or the one known USB
// serial adapter. Connect without looking must never talk to a built-in UART.
func (r *portRow) list() {
	say(r.listed, "Listing serial ports…")
	type listing struct {
		ports  []rec.PortInfo
		choice rec.PortChoice
		err    error
	}
	last := r.p.deps.LastPort
	kit.Run(r.p.run, func(context.Context) listing {
		ports, err := r.p.deps.ListPorts()
		// ChoosePort may look at the disk for a last port no enumerator lists (a pty).
		return listing{ports, rec.ChoosePort(ports, last, nil), err}
	}, func(l listing) {
		r.ports = l.ports
		labels := make([]string, len(l.ports))
		chosen := l.choice.Path
		for i, pi := range l.ports {
			labels[i] = pi.Label()
			if pi.Path == l.choice.Path {
				chosen = labels[i]
			}
		}
		r.entry.SetOptions(labels)
		var found string
		switch {
		case l.err != nil:
			found = "Could not list the serial ports (" + l.err.Error() + "); type the path instead."
		case len(labels) == 0:
			found = "No serial ports found: plug in the cable and press Refresh, or type the path."
		case len(labels) == 1:
			found = "1 serial port found."
		default:
			found = strconv.Itoa(len(labels)) + " serial ports found: choose one with the arrow."
		}
		r.found = found
		if strings.TrimSpace(r.entry.Text) != "" {
			say(r.listed, found) // the technician's own choice stays
			return
		}
		switch {
		case chosen != "":
			r.entry.SetText(chosen)
			found += " " + l.choice.Path + " is chosen: " + l.choice.Why + "."
		case l.choice.Why != "":
			found += " " + capitalize(l.choice.Why) + "."
		case len(labels) == 1:
			found = "1 serial port found, " + l.ports[0].Path + ": not a known USB serial adapter, so it is not chosen. " +
				"Choose it with the arrow if the unit's cable is on it, or type the path."
		case len(labels) > 1:
			found = strconv.Itoa(len(labels)) + " serial ports found, none on a known USB serial adapter, so none is chosen: " +
				"choose the unit's with the arrow, or type the path."
		}
		say(r.listed, found)
	})
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// doConnect opens the port and probes the unit on the runner.
func (r *portRow) doConnect() {
	p := r.p
	if p.flow.Connect() != nil {
		p.render()
		return
	}
	if p.link != nil {
		p.link.Close()
		p.link = nil
	}
	p.gen++
	gen := p.gen
	opt := p.options(p.flow.Port())
	p.fw.clear()
	p.flash.clear()
	r.problem.clear()
	p.fw.unit.SetText("Connecting to " + opt.Port + "…")
	ctx, cancel := context.WithCancel(p.run.Context())
	p.cancel = cancel
	p.render()
	type outcome struct {
		s   *rec.Link
		err error
	}
	kit.Run(p.run, func(context.Context) outcome {
		s, err := rec.Connect(ctx, opt)
		if s != nil && p.run.Context().Err() != nil {
			s.Close() // the page went away meanwhile: nobody will use the port
		}
		return outcome{s, err}
	}, func(o outcome) {
		cancel()
		if gen != p.gen {
			if o.s != nil {
				o.s.Close()
			}
			return
		}
		p.cancel = nil
		cancelled := p.flow.CancelAsked()
		p.flow.ConnectDone(o.err)
		if o.err != nil {
			p.fw.showDisconnected()
			if cancelled {
				r.problem.say("Connecting was cancelled.")
			} else {
				r.problem.set(rec.Explain(o.err, opt.Port))
			}
			p.render()
			return
		}
		p.link = o.s
		if p.deps.Remember != nil {
			p.deps.Remember(opt.Port, opt.Baud) // a unit answered there: start there next time
		}
		p.fw.showUnit()
		p.render()
		p.fw.loadReleases()
	})
}
