// Package recovery is the Recovery page: a technician on site picks the serial port, connects to
// a unit in MCUboot serial recovery, sees its identity and image slots, chooses firmware (a cached
// release that fits the unit, or a file), reads the preflight summary, flashes with progress,
// speed and ETA, and watches verify, reset, reconnect and confirm happen. Cancel works at any
// step. Nothing here needs the network; all serial work runs in goroutines and reaches widgets
// only through kit.Do (Deps.Do).
package recovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Deps wires the page into the shell.
type Deps struct {
	// Window hosts the file dialog; without one, "Open file…" is not offered.
	Window fyne.Window
	// Firmware lists cached releases for a variant; nil offers files only.
	Firmware rec.FirmwareSource
	// Log receives a service log entry for every flash attempt and refusal; may be nil.
	Log rec.ServiceLog
	// Baud is the serial speed selected at first; 0 for recovery.DefaultBaud (Settings sets it).
	Baud int
	// ListPorts defaults to recovery.ListPorts.
	ListPorts func() ([]rec.PortInfo, error)
	// Tune adjusts session options (tests shorten timeouts); may be nil.
	Tune func(*rec.Options)
	// Do runs a function on the UI goroutine; default kit.Do. Fyne's test driver runs it on
	// the caller's goroutine, so tests pass one that serialises with their own widget access.
	Do func(func())
}

// phase is where the page is; kept atomically so tests can wait on it without racing widgets.
type phase int32

const (
	phaseIdle phase = iota
	phaseConnecting
	phaseConnected // connected, no flashable plan
	phaseReady     // a plan passed preflight
	phaseFlashing
	phaseDone
	phaseFailed
)

var bauds = []string{"115200", "230400", "460800", "921600"}

// step rows shown while flashing, in order; the first is the preflight check.
var stepNames = []string{"Check image", "Upload", "Verify hash", "Reset", "Reconnect", "Confirm version"}

// Page is the Recovery page. All fields are touched on the UI goroutine only.
type Page struct {
	deps  Deps
	phase atomic.Int32

	ports    []rec.PortInfo
	sess     *rec.Session
	releases []rec.CachedImage
	fwName   string
	fwData   []byte
	plan     *rec.Plan
	cancel   context.CancelFunc
	gen      int // bumps on every connect so late answers for an old session are dropped
	active   int // the step marked active or failed, -1 for none

	portSel      *widget.Select
	refreshBtn   *widget.Button
	baudSel      *widget.Select
	connectBtn   *widget.Button
	unitLbl      *widget.Label
	slotsLbl     *widget.Label
	choiceBox    *fyne.Container
	modelSel     *widget.Select
	transportSel *widget.Select
	fwSel        *widget.Select
	fileBtn      *widget.Button
	summaryLbl   *widget.Label
	refusalLbl   *widget.Label
	flashBtn     *widget.Button
	cancelBtn    *widget.Button
	bar          *widget.ProgressBar
	speedLbl     *widget.Label
	stepIcons    []*widget.Icon
	resultLbl    *widget.Label
	content      fyne.CanvasObject
}

// NewPage builds the page and starts listing ports.
func NewPage(d Deps) *Page {
	if d.ListPorts == nil {
		d.ListPorts = rec.ListPorts
	}
	if d.Do == nil {
		d.Do = kit.Do
	}
	p := &Page{deps: d}
	p.portSel = widget.NewSelect(nil, nil)
	p.portSel.PlaceHolder = "(choose the serial port)"
	p.refreshBtn = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), p.refreshPorts)
	p.baudSel = widget.NewSelect(bauds, nil)
	p.baudSel.SetSelected(strconv.Itoa(rec.DefaultBaud))
	if d.Baud != 0 {
		p.baudSel.SetSelected(strconv.Itoa(d.Baud)) // ignored unless it is one of the choices
	}
	p.connectBtn = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), p.connect)

	p.unitLbl = widget.NewLabel("Not connected.")
	p.unitLbl.Wrapping = fyne.TextWrapWord
	p.slotsLbl = widget.NewLabel("")
	var models, transports []string
	for _, m := range fleet.AllModels {
		models = append(models, m.DisplayName())
	}
	for _, t := range fleet.AllTransports {
		transports = append(transports, t.DisplayName())
	}
	p.modelSel = widget.NewSelect(models, func(string) { p.choiceChanged() })
	p.modelSel.PlaceHolder = "(model)"
	p.transportSel = widget.NewSelect(transports, func(string) { p.choiceChanged() })
	p.transportSel.PlaceHolder = "(transport)"
	p.choiceBox = container.NewVBox(
		widget.NewLabel("This unit does not say what it is. Read the model and transport off its label:"),
		container.NewGridWithColumns(2, p.modelSel, p.transportSel))
	p.choiceBox.Hide()

	p.fwSel = widget.NewSelect(nil, p.releaseChosen)
	p.fwSel.PlaceHolder = "(cached releases for this unit)"
	p.fileBtn = widget.NewButtonWithIcon("Open file…", theme.FolderOpenIcon(), p.openFile)
	if d.Window == nil {
		p.fileBtn.Hide()
	}
	p.summaryLbl = widget.NewLabel("")
	p.summaryLbl.Wrapping = fyne.TextWrapWord
	p.refusalLbl = widget.NewLabel("")
	p.refusalLbl.Wrapping = fyne.TextWrapWord
	p.refusalLbl.Importance = widget.DangerImportance

	p.flashBtn = widget.NewButtonWithIcon("Flash", theme.UploadIcon(), p.flash)
	p.flashBtn.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.doCancel)
	p.bar = widget.NewProgressBar()
	p.speedLbl = widget.NewLabel("")
	steps := container.NewVBox()
	for _, n := range stepNames {
		ic := widget.NewIcon(theme.RadioButtonIcon())
		p.stepIcons = append(p.stepIcons, ic)
		steps.Add(container.NewHBox(ic, widget.NewLabel(n)))
	}
	p.resultLbl = widget.NewLabel("")
	p.resultLbl.Wrapping = fyne.TextWrapWord

	portRow := container.NewBorder(nil, nil, widget.NewLabel("Port"),
		container.NewHBox(p.refreshBtn, widget.NewLabel("Baud"), p.baudSel, p.connectBtn), p.portSel)
	fwRow := container.NewBorder(nil, nil, widget.NewLabel("Firmware"), p.fileBtn, p.fwSel)
	p.content = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle("Serial recovery", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		portRow,
		widget.NewCard("Unit", "", container.NewVBox(p.unitLbl, p.slotsLbl, p.choiceBox)),
		widget.NewCard("Firmware", "", container.NewVBox(fwRow, p.summaryLbl, p.refusalLbl)),
		container.NewHBox(p.flashBtn, p.cancelBtn),
		p.bar, p.speedLbl, steps, p.resultLbl,
	))
	p.setPhase(phaseIdle)
	p.refreshPorts()
	return p
}

// do runs f on the UI goroutine.
func (p *Page) do(f func()) { p.deps.Do(f) }

// fetch runs work off the UI goroutine (it may touch the disk or the serial port) and hands its
// outcome back on the UI goroutine: the error to fail, or else the value to use.
func fetch[T any](p *Page, work func() (T, error), fail func(error), use func(T)) {
	go func() {
		v, err := work()
		p.do(func() {
			if err != nil {
				fail(err)
				return
			}
			use(v)
		})
	}()
}

// fetchFirmware is fetch for the firmware choices: an outcome that arrives after the page has
// moved on to another unit (p.gen is no longer gen) is dropped, and a failure shows in the
// refusal line after failMsg.
func fetchFirmware[T any](p *Page, gen int, work func() (T, error), failMsg string, use func(T)) {
	fetch(p, work, func(err error) {
		if gen == p.gen {
			p.refusalLbl.SetText(failMsg + err.Error())
		}
	}, func(v T) {
		if gen == p.gen {
			use(v)
		}
	})
}

// Content is the page's root object.
func (p *Page) Content() fyne.CanvasObject { return p.content }

// Close releases the serial port; the shell calls it when the page goes away.
func (p *Page) Close() {
	if p.cancel != nil {
		p.cancel()
	}
	if p.sess != nil && phase(p.phase.Load()) != phaseFlashing {
		p.sess.Close()
		p.sess = nil
	}
}

// setPhase records the phase and enables exactly the controls that make sense in it.
func (p *Page) setPhase(ph phase) {
	busy := ph == phaseConnecting || ph == phaseFlashing
	enable(!busy, p.portSel, p.refreshBtn, p.baudSel, p.connectBtn, p.fwSel, p.fileBtn, p.modelSel, p.transportSel)
	enable(busy, p.cancelBtn)
	enable(ph == phaseReady, p.flashBtn)
	if p.sess == nil {
		enable(false, p.fwSel, p.fileBtn)
	}
	p.phase.Store(int32(ph))
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

func (p *Page) refreshPorts() {
	list := p.deps.ListPorts
	fetch(p, list, func(err error) {
		p.resultLbl.SetText("Could not list serial ports: " + err.Error())
	}, func(ports []rec.PortInfo) {
		p.ports = ports
		labels := make([]string, len(p.ports))
		for i, pi := range p.ports {
			labels[i] = pi.Label()
		}
		keep := p.portSel.Selected
		p.portSel.SetOptions(labels)
		switch {
		case keep != "" && contains(labels, keep):
			p.portSel.SetSelected(keep)
		case len(labels) == 1:
			p.portSel.SetSelectedIndex(0)
		}
		if len(labels) == 0 {
			p.portSel.PlaceHolder = "(no serial ports: plug in the cable, then refresh)"
			p.portSel.Refresh()
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *Page) options(port string) rec.Options {
	baud, _ := strconv.Atoi(p.baudSel.Selected)
	o := rec.Options{Port: port, Baud: baud, Log: p.deps.Log}
	if p.deps.Tune != nil {
		p.deps.Tune(&o)
	}
	return o
}

func (p *Page) connect() {
	i := p.portSel.SelectedIndex()
	if i < 0 || i >= len(p.ports) {
		p.resultLbl.SetText("Choose the serial port first.")
		return
	}
	if p.sess != nil {
		p.sess.Close()
		p.sess = nil
	}
	p.clearFirmware()
	p.gen++
	gen := p.gen
	opt := p.options(p.ports[i].Path)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.unitLbl.SetText("Connecting to " + opt.Port + "…")
	p.slotsLbl.SetText("")
	p.resultLbl.SetText("")
	p.setPhase(phaseConnecting)
	go func() {
		s, err := rec.Connect(ctx, opt)
		p.do(func() {
			if gen != p.gen {
				if s != nil {
					s.Close()
				}
				return
			}
			p.cancel = nil
			if err != nil {
				p.unitLbl.SetText("Not connected: " + err.Error())
				p.setPhase(phaseFailed)
				return
			}
			p.sess = s
			p.showUnit()
			p.setPhase(phaseConnected)
			p.loadReleases()
		})
	}()
}

// showUnit renders what the session knows about the unit.
func (p *Page) showUnit() {
	u := p.sess.Unit()
	if u.HasIdentity {
		t := "Unit: " + u.Variant.String() + " (" + u.Variant.Console.DisplayName() + ")"
		if u.Serial != "" {
			t += ", serial " + u.Serial
		}
		p.unitLbl.SetText(t)
		p.choiceBox.Hide()
	} else {
		p.unitLbl.SetText("Unit: plain MCUboot, no identity.")
		p.choiceBox.Show()
	}
	var lines []string
	for _, s := range u.Slots {
		flags := []string{}
		for _, f := range []struct {
			on   bool
			name string
		}{{s.Active, "active"}, {s.Confirmed, "confirmed"}, {s.Pending, "pending"}, {s.Bootable, "bootable"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		lines = append(lines, fmt.Sprintf("Slot %d: version %s  %s", s.Slot, s.Version, strings.Join(flags, ", ")))
	}
	buf := fmt.Sprintf("Receive buffer: %d bytes", u.BufSize)
	if !u.ParamsKnown {
		buf += " (assumed; the unit does not say)"
	}
	lines = append(lines, buf)
	p.slotsLbl.SetText(strings.Join(lines, "\n"))
}

// target is the variant firmware must fit: the unit's identity, else the technician's choice.
func (p *Page) target() (fleet.Variant, *fleet.Variant, bool) {
	if p.sess == nil {
		return fleet.Variant{}, nil, false
	}
	if u := p.sess.Unit(); u.HasIdentity {
		return u.Variant, nil, true
	}
	m, err1 := fleet.ParseModel(p.modelSel.Selected)
	t, err2 := fleet.ParseTransport(p.transportSel.Selected)
	if err1 != nil || err2 != nil {
		return fleet.Variant{}, nil, false
	}
	v := fleet.Variant{Console: fleet.ConsoleFor(m), Engine: m, Transport: t}
	return v, &v, true
}

func (p *Page) choiceChanged() {
	if p.sess == nil {
		return
	}
	p.loadReleases()
	p.preflight()
}

func (p *Page) loadReleases() {
	p.releases = nil
	p.fwSel.ClearSelected()
	p.fwSel.SetOptions(nil)
	v, _, ok := p.target()
	if !ok || p.deps.Firmware == nil {
		return
	}
	src := p.deps.Firmware
	fetchFirmware(p, p.gen, func() ([]rec.CachedImage, error) {
		return src.Releases(v)
	}, "Cached releases unavailable: ", func(list []rec.CachedImage) {
		p.releases = list
		names := make([]string, len(p.releases))
		for i, c := range p.releases {
			names[i] = c.Name
		}
		p.fwSel.SetOptions(names)
		if len(names) == 0 {
			p.fwSel.PlaceHolder = "(no cached release for " + v.String() + ")"
			p.fwSel.Refresh()
		}
	})
}

func (p *Page) releaseChosen(string) {
	i := p.fwSel.SelectedIndex()
	if i < 0 || i >= len(p.releases) {
		return
	}
	c := p.releases[i]
	fetchFirmware(p, p.gen, c.Load, "Could not read "+c.Name+" from the cache: ", func(b []byte) {
		p.useFirmware(c.Name, b)
	})
}

func (p *Page) openFile() {
	if p.deps.Window == nil {
		return
	}
	gen := p.gen
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		name := rc.URI().Name()
		fetchFirmware(p, gen, func() ([]byte, error) {
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, 64<<20))
		}, "Could not read "+name+": ", func(b []byte) {
			p.fwSel.ClearSelected()
			p.useFirmware(name, b)
		})
	}, p.deps.Window)
	kit.ShowDialog(p.deps.Window, d)
}

// useFirmware sets the chosen image and runs the preflight check on it.
func (p *Page) useFirmware(name string, data []byte) {
	p.fwName, p.fwData = name, data
	p.preflight()
}

func (p *Page) clearFirmware() {
	p.fwName, p.fwData, p.plan = "", nil, nil
	p.summaryLbl.SetText("")
	p.refusalLbl.SetText("")
	p.bar.SetValue(0)
	p.speedLbl.SetText("")
	p.markSteps(-1, false)
}

// preflight checks the chosen image against the unit; it sends nothing, so it runs here.
func (p *Page) preflight() {
	p.plan = nil
	p.summaryLbl.SetText("")
	p.refusalLbl.SetText("")
	p.markSteps(-1, false)
	if p.sess == nil || p.fwData == nil {
		p.setPhase(phaseConnected)
		return
	}
	_, choice, ok := p.target()
	if !ok {
		p.refusalLbl.SetText("Choose the unit's model and transport before choosing firmware.")
		p.setPhase(phaseConnected)
		return
	}
	plan, err := p.sess.Preflight(p.fwName, p.fwData, choice)
	if err != nil {
		p.refusalLbl.SetText("Refused, nothing will be sent: " + err.Error())
		p.markSteps(0, true)
		s, name, data := p.sess, p.fwName, p.fwData
		go s.RecordRefusal(name, data, err) // the log may write to disk
		p.setPhase(phaseConnected)
		return
	}
	p.plan = plan
	p.markSteps(1, false)
	p.summaryLbl.SetText(strings.Join(plan.Summary(), "\n"))
	p.setPhase(phaseReady)
}

// markSteps shows steps before i as done and step i as active (or failed); i < 0 clears all.
func (p *Page) markSteps(i int, failed bool) {
	p.active = i
	for k, ic := range p.stepIcons {
		switch {
		case i < 0 || k > i:
			ic.SetResource(theme.RadioButtonIcon())
		case k < i:
			ic.SetResource(theme.ConfirmIcon())
		case failed:
			ic.SetResource(theme.ErrorIcon())
		default:
			ic.SetResource(theme.MediaPlayIcon())
		}
	}
}

func (p *Page) flash() {
	if p.plan == nil || p.sess == nil {
		return
	}
	s, plan := p.sess, p.plan
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.resultLbl.SetText("")
	p.bar.SetValue(0)
	p.setPhase(phaseFlashing)
	p.markSteps(1, false)
	var last time.Time
	var lastStage rec.Stage = -1
	progress := func(pr rec.Progress) {
		// Redraw at most ten times a second, but never miss a stage change or a note.
		if pr.Stage == lastStage && pr.Note == "" && time.Since(last) < 100*time.Millisecond && pr.Sent < pr.Total {
			return
		}
		last, lastStage = time.Now(), pr.Stage
		p.do(func() { p.showProgress(pr) })
	}
	go func() {
		res, err := s.Flash(ctx, plan, progress)
		p.do(func() { p.finished(res, err) })
	}()
}

func (p *Page) showProgress(pr rec.Progress) {
	if pr.Total > 0 {
		p.bar.SetValue(float64(pr.Sent) / float64(pr.Total))
	}
	p.markSteps(int(pr.Stage)+1, false)
	switch {
	case pr.Stage == rec.StageUpload && pr.Rate > 0:
		t := fmt.Sprintf("%s of %s bytes, %.2f KB/s, about %s left", kit.Thousands(int(pr.Sent)),
			kit.Thousands(int(pr.Total)), pr.Rate/1000, pr.ETA.Round(time.Second))
		if pr.Note != "" {
			t += " — " + pr.Note
		}
		p.speedLbl.SetText(t)
	case pr.Note != "":
		p.speedLbl.SetText(pr.Note)
	}
}

func (p *Page) finished(res rec.Result, err error) {
	p.cancel = nil
	if err != nil {
		p.markSteps(p.failedStep(), true)
		if errors.Is(err, rec.ErrCancelled) {
			p.resultLbl.SetText("Cancelled: " + err.Error())
		} else {
			p.resultLbl.SetText("Failed: " + err.Error())
		}
		// Offer a retry with the same image; the check runs again and sends nothing.
		p.plan = nil
		if p.sess != nil && p.fwData != nil {
			_, choice, _ := p.target()
			if plan, perr := p.sess.Preflight(p.fwName, p.fwData, choice); perr == nil {
				p.plan = plan
			}
		}
		p.setPhase(phaseFailed)
		enable(p.plan != nil, p.flashBtn)
		return
	}
	p.markSteps(len(p.stepIcons), false)
	p.bar.SetValue(1)
	p.resultLbl.SetText(fmt.Sprintf("Done: the unit runs %s (was %s). %s bytes in %.1f s, %.2f KB/s.",
		res.VersionAfter, orUnknown(res.VersionBefore), kit.Thousands(int(res.Bytes)), res.UploadTime.Seconds(), res.Throughput/1000))
	p.showUnit()
	// The summary described the unit before the flash; the result line now says what it runs.
	p.plan = nil
	p.summaryLbl.SetText("")
	p.setPhase(phaseDone)
}

// failedStep is the step that was active when a flash stopped.
func (p *Page) failedStep() int {
	return max(min(p.active, len(p.stepIcons)-1), 1)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (p *Page) doCancel() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancelBtn.Disable()
	if phase(p.phase.Load()) == phaseFlashing {
		p.speedLbl.SetText("Cancelling at the next chunk; the unit will not be reset…")
	}
}
