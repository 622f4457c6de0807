package tokens

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// maxProblemLines is how many broken rules the review lists before counting the rest.
const maxProblemLines = 8

// reviewStep is step 4: the token's name and expiry, and what will be created (user account,
// access, devices) spelled out before Create token.
type reviewStep struct {
	w           *wizard
	name        *kit.Entry
	expires     *kit.Entry
	expiresHint *widget.Label
	account     *widget.Label
	access      *widget.Label
	devices     *widget.Label
	preview     *widget.Label
	summary     *widget.Label
	problems    *widget.Label
	box         fyne.CanvasObject
}

func newReviewStep(w *wizard) *reviewStep {
	now := w.p.svc.Now()
	s := &reviewStep{w: w}
	s.name = kit.NewEntry()
	s.name.SetPlaceHolder("What is it for? e.g. Farm SCADA dashboard")
	s.name.OnChanged = func(string) { w.refresh() }
	s.expires = kit.NewEntry()
	s.expires.SetText(w.p.policy.DefaultExpiry(now).Format(time.DateOnly))
	s.expires.OnChanged = func(string) { w.refresh() }
	s.expiresHint = widget.NewLabel("")
	wrapped := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	s.account, s.access, s.devices, s.summary = wrapped(), wrapped(), wrapped(), wrapped()
	s.preview = wrapped()
	s.preview.TextStyle = fyne.TextStyle{Bold: true}
	s.problems = wrapped()
	s.problems.Importance = widget.DangerImportance
	form := widget.NewForm(
		widget.NewFormItem("Name", s.name),
		widget.NewFormItem("Expires", container.NewVBox(s.expires, s.expiresHint)),
	)
	created := widget.NewForm(
		widget.NewFormItem("User account", s.account),
		widget.NewFormItem("Access", s.access),
		widget.NewFormItem("Devices", s.devices),
	)
	s.box = container.NewVBox(form, widget.NewSeparator(),
		widget.NewLabelWithStyle("Create token will create:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		created, s.preview, s.summary, s.problems)
	return s
}

// expiry reads the date field: the token lives through the whole chosen day.
func (s *reviewStep) expiry() (time.Time, error) {
	text := strings.TrimSpace(s.expires.Text)
	if text == "" {
		return time.Time{}, nil
	}
	now := s.w.p.svc.Now()
	d, err := time.ParseInLocation(time.DateOnly, text, now.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("write the expiry date as YYYY-MM-DD, e.g. %s", s.w.p.policy.DefaultExpiry(now).Format(time.DateOnly))
	}
	return token.EndOfDay(d), nil
}

// update restates the request as it stands, and every rule it still breaks.
func (s *reviewStep) update() {
	w := s.w
	now := w.p.svc.Now()
	s.expiresHint.SetText(fmt.Sprintf("YYYY-MM-DD, at most %d days: latest %s",
		int(w.p.policy.MaxLifetime.Hours()/24), w.p.policy.MaxExpiry(now).Format(time.DateOnly)))
	req := w.request()
	s.account.SetText("not chosen")
	if u := w.account(); u != nil {
		s.account.SetText(w.users.line(*u))
	}
	switch req.Access {
	case token.AccessControl:
		s.access.SetText("Control-enabled: may send commands and supported settings writes")
	case token.AccessReadOnly:
		s.access.SetText("Read-only: dashboards, reporting, monitoring")
	default:
		s.access.SetText("not decided")
	}
	s.devices.SetText(s.deviceLine(req.Devices))
	s.preview.SetText(token.Preview(req, w.p.svc.Fleet(), w.account()))
	var lines []string
	if req.Access == token.AccessControl {
		lines = append(lines, "Reason for control: "+req.Reason)
	}
	lines = append(lines, "The secret is shown once, right after creation. FleetDesk does not keep it.")
	s.summary.SetText(strings.Join(lines, "\n"))

	var probs []string
	if w.createErr != nil {
		probs = append(probs, "Not created: "+words.Describe(w.createErr).Summary+". Your choices are kept: correct them or try again.")
	}
	// Everything that keeps Create off, said once: on this step the wizard's hint line beside the
	// buttons stays empty (it showed the first of these again, in another colour).
	var bl []string
	for _, b := range w.blockers(stepReview) {
		if !slices.Contains(bl, b) {
			bl = append(bl, b)
		}
	}
	for i, b := range bl {
		if i == maxProblemLines {
			probs = append(probs, fmt.Sprintf("• and %d more", len(bl)-i))
			break
		}
		probs = append(probs, "• "+sentence(b))
	}
	s.problems.SetText(strings.Join(probs, "\n"))
}

func (s *reviewStep) deviceLine(ids []string) string {
	if len(ids) == 0 {
		return "Every device of the user account, including units added later"
	}
	fl := s.w.p.svc.Fleet()
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if d, ok := fl.Get(id); ok {
			names = append(names, d.Model.DisplayName()+" "+d.ID)
		} else {
			names = append(names, id)
		}
	}
	if len(names) > 12 {
		names = append(names[:12], fmt.Sprintf("and %d more", len(ids)-12))
	}
	return fmt.Sprintf("Restricted to %d: %s", len(ids), strings.Join(names, ", "))
}
