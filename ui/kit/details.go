package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/words"
)

// ShowDetails shows an error's technical text (words.Describe's Detail) in a dialog the dealer can
// select and copy from, for a support ticket: the screens say what went wrong in words, and the
// exact failure stays one click away.
func ShowDetails(win fyne.Window, summary, detail string) {
	text := NewMultiLineEntry()
	text.SetText(detail)
	text.Wrapping = fyne.TextWrapBreak
	// Read-only by refusing edits: a disabled entry would grey the text and block selection.
	text.OnChanged = func(s string) {
		if s != detail {
			text.SetText(detail)
		}
	}
	copyBtn := widget.NewButton("Copy", func() {
		if app := fyne.CurrentApp(); app != nil {
			app.Clipboard().SetContent(detail)
		}
	})
	head := widget.NewLabel(summary)
	head.Wrapping = fyne.TextWrapWord
	body := container.NewBorder(head, container.NewHBox(copyBtn), nil, nil, text)
	d := dialog.NewCustom("Details", "Close", body, win)
	d.Resize(fyne.NewSize(560, 300))
	ShowDialog(win, d)
}

// ShowError shows a failed action in the dealer's words (words.Describe, the one mapping from
// errors to words) with the technical text under Details. title says what failed ("Not sent").
func ShowError(win fyne.Window, title string, err error) {
	d := words.Describe(err)
	msg := widget.NewLabel(d.Summary + ".")
	msg.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(msg)
	if d.Detail != "" {
		body.Add(container.NewHBox(widget.NewButton("Details", func() { ShowDetails(win, d.Summary, d.Detail) })))
	}
	dlg := dialog.NewCustom(title, "Close", body, win)
	dlg.Resize(fyne.NewSize(460, 0))
	ShowDialog(win, dlg)
}

// WindowOf is the window that shows o, or nil when o is not on one: for a page that opens a
// dialog without being handed its window.
func WindowOf(o fyne.CanvasObject) fyne.Window {
	a := fyne.CurrentApp()
	if a == nil {
		return nil
	}
	c := a.Driver().CanvasForObject(o)
	for _, w := range a.Driver().AllWindows() {
		if c != nil && w.Canvas() == c {
			return w
		}
	}
	return nil
}
