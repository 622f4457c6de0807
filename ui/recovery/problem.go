package recovery

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
)

// problemView shows a failure as what happened and what to check, with the technical detail
// folded away one click below ("Technical detail"), for a support call.
type problemView struct {
	title   *widget.Label
	checks  *widget.Label
	detail  *widget.Label
	fold    *widget.Accordion
	content *fyne.Container
}

func newProblemView() *problemView {
	v := &problemView{title: widget.NewLabel(""), checks: widget.NewLabel(""), detail: widget.NewLabel("")}
	v.title.Wrapping, v.checks.Wrapping, v.detail.Wrapping = fyne.TextWrapWord, fyne.TextWrapWord, fyne.TextWrapWord
	v.title.Importance = widget.DangerImportance
	v.detail.TextStyle.Monospace = true
	v.fold = widget.NewAccordion(widget.NewAccordionItem("Technical detail", v.detail))
	v.content = container.NewVBox(v.title, v.checks, v.fold)
	v.clear()
	return v
}

// set shows a problem; a Detail that says no more than the title is not repeated.
func (v *problemView) set(p rec.Problem) {
	v.title.SetText(p.Title)
	var b strings.Builder
	if len(p.Checks) > 0 {
		b.WriteString("Check that:")
		for _, c := range p.Checks {
			b.WriteString("\n• " + c)
		}
	}
	v.checks.SetText(b.String())
	show(len(p.Checks) > 0, v.checks)
	v.detail.SetText(p.Detail)
	v.fold.CloseAll()
	show(p.Detail != "" && p.Detail != p.Title, v.fold)
	v.content.Show()
}

// say shows a plain message that needs no checks or detail.
func (v *problemView) say(text string) { v.set(rec.Problem{Title: text}) }

func (v *problemView) clear() {
	v.title.SetText("")
	v.detail.SetText("")
	v.content.Hide()
}
