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
	entry   *widget.SelectEntry
	refresh *widget.Button
	baudSel *widget.Select
	connect *widget.Button
	hint    *widget.Label
	listed  *widget.Label
	problem *problemView // why the last connect failed, right under the port it was about
	content fyne.CanvasObject
}

func newPortRow(p *Page) *portRow {
	r := &portRow{p: p}
	r.entry = widget.NewSelectEntry(nil)
	r.entry.SetPlaceHolder("Type the port path (e.g. /dev/ttyUSB0, COM3) or choose one")
	r.entry.OnChanged = func(string) {
		p.flow.SetPort(r.path())
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
	r.hint = widget.NewLabel("")
	r.hint.Importance = widget.LowImportance
	r.listed = widget.NewLabel("")
	r.listed.Importance = widget.LowImportance
	row := container.NewBorder(nil, nil, widget.NewLabel("Port"),
		container.NewHBox(r.refresh, widget.NewLabel("Baud"), r.baudSel, r.connect), r.entry)
	r.problem = newProblemView()
	r.content = container.NewVBox(row, container.NewHBox(r.hint, r.listed), r.problem.content)
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
		r.hint.SetText("Connecting to " + f.Port() + "…")
	case f.Connected() && !busy:
		r.hint.SetText("Connected to " + f.Port() + ".")
	case err != nil && !busy:
		r.hint.SetText(sentence(err))
	default:
		r.hint.SetText("")
	}
}

// list lists the ports (again); a typed path is kept.
func (r *portRow) list() {
	r.listed.SetText("Listing serial ports…")
	type listing struct {
		ports []rec.PortInfo
		err   error
	}
	kit.Run(r.p.run, func(context.Context) listing {
		ports, err := r.p.deps.ListPorts()
		return listing{ports, err}
	}, func(l listing) {
		if l.err != nil {
			r.listed.SetText("Could not list the serial ports (" + l.err.Error() + "); type the path instead.")
			return
		}
		r.ports = l.ports
		labels := make([]string, len(l.ports))
		for i, pi := range l.ports {
			labels[i] = pi.Label()
		}
		r.entry.SetOptions(labels)
		switch {
		case len(labels) == 0:
			r.listed.SetText("No serial ports found: plug in the cable and press Refresh, or type the path.")
		case len(labels) == 1:
			r.listed.SetText("1 serial port found.")
		default:
			r.listed.SetText(strconv.Itoa(len(labels)) + " serial ports found: choose one with the arrow.")
		}
		if strings.TrimSpace(r.entry.Text) == "" && len(labels) == 1 {
			r.entry.SetText(labels[0])
		}
	})
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
		p.fw.showUnit()
		p.render()
		p.fw.loadReleases()
	})
}
