package recovery

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// rejectedPart lists the service log records the backend refused, with its reason: they are kept,
// and do not hold back the others, until the technician sends one again or discards it.
type rejectedPart struct {
	p       *Page
	list    *fyne.Container
	content *widget.Card
}

func newRejectedPart(p *Page) *rejectedPart {
	r := &rejectedPart{p: p, list: container.NewVBox()}
	r.content = widget.NewCard("Service log: records the backend did not accept",
		"They stay on this laptop and the others upload as usual. Send one again once the cause is fixed, or discard it.", r.list)
	r.content.Hide()
	return r
}

// load reads the refused records on the runner and shows them.
func (r *rejectedPart) load() {
	if r.p.deps.Data == nil {
		return
	}
	q := r.p.deps.Data.RecoveryLogQueue()
	type listing struct {
		recs []rec.LogRecord
		err  error
	}
	kit.Run(r.p.run, func(ctx context.Context) listing {
		l, err := q.Rejected(ctx)
		return listing{l, err}
	}, func(l listing) {
		r.list.RemoveAll()
		if l.err != nil {
			r.list.Add(wrapped("The service log could not be read. " + words.Text(l.err) + "."))
		}
		for _, x := range l.recs {
			r.list.Add(r.row(x))
		}
		show(len(r.list.Objects) > 0, r.content)
	})
}

func (r *rejectedPart) row(x rec.LogRecord) fyne.CanvasObject {
	what := x.When.Local().Format("2 Jan 15:04") + " " + x.Result + ": " + orUnknown(x.Image)
	if x.UnitSerial != "" {
		what += " on " + x.UnitSerial
	}
	reason := wrapped(what + "\nThe backend said: " + x.Rejected)
	q, id := r.p.deps.Data.RecoveryLogQueue(), x.ID
	act := func(do func(context.Context, string) error) func() {
		return func() {
			r.p.run.Go(func(ctx context.Context) func() {
				if err := do(ctx, id); err != nil {
					return func() { r.list.Add(wrapped("Could not change the record. " + words.Text(err) + ".")) }
				}
				return r.load
			})
		}
	}
	retry := widget.NewButtonWithIcon("Send again", theme.ViewRefreshIcon(), act(q.Retry))
	discard := widget.NewButtonWithIcon("Discard", theme.DeleteIcon(), act(q.Discard))
	if win := r.p.deps.Window; win != nil {
		// Discarding cannot be undone: the attempt never reaches the unit's service history.
		do := discard.OnTapped
		discard.OnTapped = func() {
			kit.ShowDialog(win, dialog.NewConfirm("Discard this record?",
				"It will never reach the service history on the backend.", func(ok bool) {
					if ok {
						do()
					}
				}, win))
		}
	}
	return container.NewBorder(nil, nil, nil, container.NewHBox(retry, discard), reason)
}
