package manage

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// historySection is the unit's command history: from the backend when the session can ask it
// (session.CommandHistoryRefresher) and FleetDesk is online, else from the offline cache.
type historySection struct {
	svc   session.Session
	run   *kit.Runner
	id    string
	list  []fleet.Command
	items *widget.List
	note  *widget.Label
	card  *widget.Card
}

func newHistorySection(svc session.Session, run *kit.Runner, id string) *historySection {
	h := &historySection{svc: svc, run: run, id: id}
	h.items = widget.NewList(func() int { return len(h.list) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("2026-01-02 15:04:05  FW Update 9.99.99  delivered")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(h.list) {
				o.(*widget.Label).SetText(historyLine(h.list[i]))
			}
		})
	h.note = widget.NewLabel("")
	h.note.Wrapping = fyne.TextWrapWord
	// The list scrolls inside a fixed height, so a long history never pushes the page apart.
	height := canvas.NewRectangle(color.Transparent)
	height.SetMinSize(fyne.NewSize(0, 180))
	h.card = widget.NewCard("Command history", "", container.NewBorder(h.note, nil, nil, nil,
		container.NewStack(height, h.items)))
	return h
}

// load reads the history off the UI goroutine and shows it: from the backend when fromBackend
// and the session can ask it, else from the offline cache (which the event stream keeps current).
// then, when set, is given the list once it is shown.
func (h *historySection) load(fromBackend bool, then func([]fleet.Command)) {
	online := h.svc.Status().Reachable
	refresher, canRefresh := h.svc.(session.CommandHistoryRefresher)
	kit.Run(h.run, func(ctx context.Context) histResult {
		if canRefresh && online && fromBackend {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if list, err := refresher.RefreshCommandHistory(ctx, h.id); err == nil {
				return histResult{list: list}
			}
		}
		list, err := h.svc.CommandHistory(h.id)
		return histResult{list, err, true}
	}, func(r histResult) {
		switch {
		case r.err != nil:
			h.note.SetText("Could not read the command history. " + words.Text(r.err) + ".")
		case len(r.list) == 0:
			h.note.SetText("No commands sent to this unit yet.")
		case r.cached && !online:
			h.note.SetText("From the offline cache.")
		default:
			h.note.SetText("")
		}
		if h.note.Text == "" {
			h.note.Hide()
		} else {
			h.note.Show()
		}
		h.list = r.list
		h.items.Refresh()
		if then != nil && r.err == nil {
			then(r.list)
		}
	})
}

type histResult struct {
	list   []fleet.Command
	err    error
	cached bool
}
