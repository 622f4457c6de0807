package tokens

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// memSession is an in-memory session.Session for the page's own tests (the end-to-end tests use
// the simulated backend and the real data layer). It keeps tokens the way a backend would and
// records every request, so tests can check what the page sent.
type memSession struct {
	uitest.Listeners // Subscribe, and the Notify the test data changes call

	mu        sync.Mutex
	actor     scope.Actor
	fleet     *fleet.Index
	users     []token.User
	tokens    []token.Info
	status    session.Status
	now       time.Time
	created   []token.CreateRequest
	revoked   []string
	secrets   []string
	failWith  error // CreateToken answers this when set
	usersErr  error // Users answers this when set
	revokeErr error // RevokeToken answers this when set
}

var _ session.Session = (*memSession)(nil)

func newMemSession(now time.Time) *memSession {
	devs := []fleet.Device{
		{ID: "XP-00211", Model: fleet.ModelXPro, Transport: fleet.TransportGSM, Firmware: "3.2.0", CustomerEmail: "ann@farm.example", Dealer: "d1", Online: true, LastSeen: now},
		{ID: "UN-00012", Model: fleet.ModelD180, Transport: fleet.TransportWiFi, Firmware: "5.1.4", CustomerEmail: "ann@farm.example", Dealer: "d1", Online: true, LastSeen: now},
		{ID: "UN-00450", Model: fleet.ModelV5, Transport: fleet.TransportWiFi, Firmware: "5.1.4", CustomerEmail: "ann@farm.example", Dealer: "d1", LastSeen: now.Add(-time.Hour)},
		{ID: "XP-00300", Model: fleet.ModelXPro, Transport: fleet.TransportWiFi, CustomerEmail: "bob@mill.example", Dealer: "d1", Online: true, LastSeen: now},
	}
	return &memSession{
		actor: scope.Actor{UserID: "u-dealer", Email: "dealer@d1.example", Role: scope.RoleDealer, Dealer: "d1"},
		fleet: fleet.NewIndex(devs),
		users: []token.User{
			{ID: "u-ann", Email: "ann@farm.example", Name: "Ann Farm", Dealer: "d1"},
			{ID: "u-bob", Email: "bob@mill.example", Name: "Bob Mill", Dealer: "d1"},
		},
		status: session.Status{Reachable: true, DealerName: "Dealer One"},
		now:    now,
	}
}

func (m *memSession) Fleet() *fleet.Index { m.mu.Lock(); defer m.mu.Unlock(); return m.fleet }
func (m *memSession) Status() session.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}
func (m *memSession) Actor() scope.Actor { return m.actor }
func (m *memSession) Now() time.Time     { return m.now }
func (m *memSession) SyncNow()           {}

func (m *memSession) setOnline(on bool, why string) {
	m.mu.Lock()
	m.status.Reachable, m.status.UnreachableWhy = on, why
	m.mu.Unlock()
	m.Notify(session.Change{Status: true})
}

var errOffline = errors.New("backend unreachable")

func (m *memSession) Users(context.Context) ([]token.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.usersErr != nil {
		return nil, m.usersErr
	}
	return append([]token.User(nil), m.users...), nil
}

func (m *memSession) ListTokens(context.Context) ([]token.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]token.Info(nil), m.tokens...), nil
}

func (m *memSession) CreateToken(_ context.Context, req token.CreateRequest) (token.Created, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.created = append(m.created, req)
	if !m.status.Reachable {
		return token.Created{}, errOffline
	}
	if m.failWith != nil {
		return token.Created{}, m.failWith
	}
	var email string
	for _, u := range m.users {
		if u.ID == req.UserID {
			email = u.Email
		}
	}
	info := token.Info{
		ID: fmt.Sprintf("tok-%d", len(m.tokens)+1), Name: req.Name, UserID: req.UserID, UserEmail: email,
		Access: req.Access, Devices: req.Devices, CreatedAt: m.now, ExpiresAt: req.ExpiresAt,
	}
	m.tokens = append(m.tokens, info)
	secret := fmt.Sprintf("fdt_secret%04d_%d", len(m.tokens), m.now.UnixNano())
	m.secrets = append(m.secrets, secret)
	return token.Created{Token: info, Secret: secret}, nil
}

func (m *memSession) RevokeToken(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.status.Reachable {
		return errOffline
	}
	if m.revokeErr != nil {
		return m.revokeErr
	}
	for i := range m.tokens {
		if m.tokens[i].ID == id {
			m.tokens[i].Revoked = true
			m.revoked = append(m.revoked, id)
			return nil
		}
	}
	return fmt.Errorf("token %s not found", id)
}

// The rest of the service is not used by the Tokens page.
var errUnused = errors.New("not used by the Tokens page")

func (m *memSession) SendCommand(context.Context, fleet.CommandRequest) (fleet.Command, error) {
	return fleet.Command{}, errUnused
}
func (m *memSession) Command(context.Context, string) (fleet.Command, error) {
	return fleet.Command{}, errUnused
}
func (m *memSession) CommandCheckError(string) error { return nil }

func (m *memSession) CommandHistory(string) ([]fleet.Command, error) { return nil, errUnused }
func (m *memSession) Releases(context.Context, fleet.Console) ([]rollout.Release, error) {
	return nil, errUnused
}
func (m *memSession) ReleaseImage(context.Context, string) ([]byte, error) { return nil, errUnused }
func (m *memSession) CreateRollout(context.Context, rollout.CreateRequest) (rollout.Rollout, error) {
	return rollout.Rollout{}, errUnused
}
func (m *memSession) Rollout(context.Context, string) (rollout.Rollout, error) {
	return rollout.Rollout{}, errUnused
}
func (m *memSession) ListRollouts(context.Context) ([]rollout.Rollout, error) { return nil, errUnused }
func (m *memSession) PauseRollout(context.Context, string) (rollout.Rollout, error) {
	return rollout.Rollout{}, errUnused
}
func (m *memSession) ResumeRollout(context.Context, string) (rollout.Rollout, error) {
	return rollout.Rollout{}, errUnused
}
func (m *memSession) CancelRollout(context.Context, string) (rollout.Rollout, error) {
	return rollout.Rollout{}, errUnused
}

// secrets0 is the first secret issued; before any, a string no window holds.
func (m *memSession) secrets0() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.secrets) == 0 {
		return "\x00none"
	}
	return m.secrets[0]
}

func (m *memSession) RolloutEvidence(context.Context, rollout.Release) (rollout.Evidence, error) {
	return rollout.Evidence{}, errors.New("not used by the Tokens page")
}
