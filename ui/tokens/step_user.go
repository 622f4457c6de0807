package tokens

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// userStep is step 1, "Choose the correct user account": the customers' user accounts the backend
// lists, searchable, one of them chosen.
type userStep struct {
	w       *wizard
	all     []token.User // as the backend listed them, by email
	loading bool
	err     error // the last listing failed; retry offers another try
	chosen  *token.User

	search *kit.Entry
	list   *widget.List
	shown  []token.User
	note   *widget.Label
	retry  *widget.Button
	box    fyne.CanvasObject
}

func newUserStep(w *wizard) *userStep {
	s := &userStep{w: w, loading: true}
	s.search = kit.NewEntry()
	s.search.SetPlaceHolder("Search user accounts by email or name")
	s.search.OnChanged = func(string) { s.filter(); w.refresh() }
	s.note = widget.NewLabel("")
	s.note.Wrapping = fyne.TextWrapWord
	s.retry = widget.NewButton("Try again", s.load)
	s.retry.Hide()
	s.list = widget.NewList(
		func() int { return len(s.shown) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(s.shown) {
				o.(*widget.Label).SetText(s.line(s.shown[i]))
			}
		},
	)
	s.list.OnSelected = func(i widget.ListItemID) {
		if i < len(s.shown) {
			u := s.shown[i]
			s.chosen = &u
			s.note.SetText("Chosen: " + s.line(u))
			w.devices.picker.refilter()
			w.refresh()
		}
	}
	intro := widget.NewLabel("Which customer's user account is the token for? Only user accounts in your dealer scope can get one.")
	intro.Wrapping = fyne.TextWrapWord
	s.box = container.NewBorder(container.NewVBox(intro, s.search),
		container.NewBorder(nil, nil, nil, s.retry, s.note), nil, nil, s.list)
	return s
}

// load asks the backend for the user accounts.
func (s *userStep) load() {
	s.loading, s.err = true, nil
	s.retry.Hide()
	s.w.refresh()
	type listed struct {
		users []token.User
		err   error
	}
	call(s.w.p, func(ctx context.Context) listed {
		us, err := s.w.p.svc.Users(ctx)
		return listed{us, err}
	}, func(l listed) {
		s.loading, s.err = false, l.err
		sort.Slice(l.users, func(i, j int) bool {
			return strings.ToLower(l.users[i].Email) < strings.ToLower(l.users[j].Email)
		})
		s.all = l.users
		setVisible(s.retry, l.err != nil)
		s.filter()
		s.w.refresh()
	})
}

func (s *userStep) blockers() []string {
	switch {
	case s.loading:
		return []string{"loading the user accounts…"}
	case s.err != nil:
		return []string{"could not load the user accounts: " + words.Describe(s.err).Summary}
	}
	return nil
}

func (s *userStep) line(u token.User) string {
	l := u.Email
	if u.Name != "" {
		l += "  ·  " + u.Name
	}
	if actor := s.w.p.svc.Actor(); actor.Dealer != "" && u.Dealer != "" && u.Dealer != actor.Dealer {
		l += "  ·  another dealer's account"
	}
	return l
}

func (s *userStep) filter() {
	q := strings.ToLower(strings.TrimSpace(s.search.Text))
	s.shown = s.shown[:0]
	for _, u := range s.all {
		if fleet.MatchText(q, u.Email, u.Name, u.ID) {
			s.shown = append(s.shown, u)
		}
	}
	s.list.UnselectAll()
	s.list.Refresh()
	switch {
	case s.chosen != nil:
		s.note.SetText("Chosen: " + s.line(*s.chosen))
	case len(s.shown) == 0 && q != "" && !s.loading:
		s.note.SetText(fmt.Sprintf("No customer account in your dealer scope matches %q: tokens can only be issued to your own customers' user accounts.", s.search.Text))
	default:
		s.note.SetText("")
	}
}
