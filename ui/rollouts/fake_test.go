package rollouts

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

// memSession is an in-memory session.Session for the page's own tests; the end-to-end test uses
// the simulated backend and the real data layer. Like the backend it refuses a release sent to a
// unit of another variant and a my_fleet rollout of a release no test device has confirmed, and
// it records every request so tests can check what the page sent. Rollouts move only when the
// test moves them.
type memSession struct {
	uitest.Listeners // Subscribe, and the Notify the test data changes call

	mu        sync.Mutex
	actor     scope.Actor
	devs      map[string]fleet.Device
	releases  []rollout.Release
	rollouts  []*rollout.Rollout
	validated map[string]bool
	now       time.Time
	requests  []rollout.CreateRequest
	controls  []string // "pause ro-2", ...
	offline   bool
	refuse    error // the backend's answer to the next CreateRollout, when set
	listErr   error // the answer to ListRollouts, when set
	syncs     int
	updates   session.Updates // how the data layer says it keeps the fleet current
	reads     int             // Rollout calls
}

var _ session.Session = (*memSession)(nil)

var errOffline = errors.New("FleetDesk is offline: this needs the backend")

func newMemSession(now time.Time) *memSession {
	m := &memSession{
		actor:     scope.Actor{UserID: "u-dealer", Email: "dealer@d1.example", Role: scope.RoleDealer, Dealer: "d1"},
		devs:      map[string]fleet.Device{},
		validated: map[string]bool{},
		now:       now,
	}
	add := func(prefix string, n int, md fleet.Model, tr fleet.Transport, fw string, online bool) {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%s-%02d", prefix, i)
			seen := now.Add(-time.Minute)
			if !online {
				seen = now.Add(-3 * 24 * time.Hour)
			}
			m.devs[id] = fleet.Device{ID: id, Name: "Genset " + id, CustomerEmail: "ann@farm.example", Model: md,
				Console: fleet.ConsoleFor(md), Transport: tr, Firmware: fw, Online: online, LastSeen: seen,
				RunState: fleet.RunRunning, Dealer: "d1"}
		}
	}
	add("UN-D180G", 8, fleet.ModelD180, fleet.TransportGSM, "2.3.0", true)
	add("UN-D180W", 3, fleet.ModelD180, fleet.TransportWiFi, "2.3.0", true)
	add("UN-D180G-OFF", 1, fleet.ModelD180, fleet.TransportGSM, "2.3.0", false)
	add("UN-V5G", 2, fleet.ModelV5, fleet.TransportGSM, "2.3.0", true)
	add("XP-W", 4, fleet.ModelXPro, fleet.TransportWiFi, "3.0.0", true)
	add("UL-G", 3, fleet.ModelUltra, fleet.TransportGSM, "5.0.0", true)
	add("UL-W", 3, fleet.ModelUltra, fleet.TransportWiFi, "5.0.0", true)
	for _, md := range fleet.AllModels {
		for _, tr := range fleet.AllTransports {
			vers := map[fleet.Console][]string{fleet.ConsoleUnified: {"2.3.0", "2.4.1", "2.5.0"},
				fleet.ConsoleXPro: {"3.0.0", "3.1.0"}, fleet.ConsoleUltra: {"5.0.0", "5.1.0"}}[fleet.ConsoleFor(md)]
			for i, v := range vers {
				m.releases = append(m.releases, rollout.Release{ID: fmt.Sprintf("rel-%s-%s-%s", md, tr, v),
					Console: fleet.ConsoleFor(md), Model: md, Transport: tr, Version: v, SHA256: "aa" + v,
					Notes: "notes " + v, CreatedAt: now.AddDate(0, i-3, 0)})
			}
		}
	}
	return m
}

func (m *memSession) Fleet() *fleet.Index {
	m.mu.Lock()
	defer m.mu.Unlock()
	ds := make([]fleet.Device, 0, len(m.devs))
	for _, d := range m.devs {
		ds = append(ds, d)
	}
	return fleet.NewIndex(ds)
}
func (m *memSession) Status() session.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return session.Status{Reachable: !m.offline, Updates: m.updates}
}
func (m *memSession) Actor() scope.Actor { return m.actor }
func (m *memSession) Now() time.Time     { m.mu.Lock(); defer m.mu.Unlock(); return m.now }
func (m *memSession) SyncNow()           { m.mu.Lock(); m.syncs++; m.mu.Unlock() }

func (m *memSession) SendCommand(context.Context, fleet.CommandRequest) (fleet.Command, error) {
	return fleet.Command{}, errors.New("not used by the Rollouts page")
}
func (m *memSession) Command(context.Context, string) (fleet.Command, error) {
	return fleet.Command{}, errors.New("not used by the Rollouts page")
}
func (m *memSession) CommandCheckError(string) error { return nil }

func (m *memSession) CommandHistory(string) ([]fleet.Command, error) { return nil, nil }

func (m *memSession) Releases(_ context.Context, c fleet.Console) ([]rollout.Release, error) {
	var out []rollout.Release
	for _, r := range m.releases {
		if c == "" || r.Console == c {
			out = append(out, r)
		}
	}
	return out, nil
}
func (m *memSession) ReleaseImage(context.Context, string) ([]byte, error) {
	return nil, errors.New("not used by the Rollouts page")
}

func (m *memSession) release(id string) (rollout.Release, bool) {
	for _, r := range m.releases {
		if r.ID == id {
			return r, true
		}
	}
	return rollout.Release{}, false
}

func (m *memSession) CreateRollout(_ context.Context, req rollout.CreateRequest) (rollout.Rollout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, req)
	if m.offline {
		return rollout.Rollout{}, errOffline
	}
	if err := m.refuse; err != nil {
		m.refuse = nil
		return rollout.Rollout{}, err
	}
	r, ok := m.release(req.ReleaseID)
	if !ok {
		return rollout.Rollout{}, errors.New("not_found: no such release")
	}
	if r.Model != req.Model || r.Transport != req.Transport || r.Console != req.Console {
		return rollout.Rollout{}, errors.New("variant_mismatch: request does not match the release")
	}
	ro := &rollout.Rollout{ID: fmt.Sprintf("ro-%d", len(m.rollouts)+1), Console: r.Console, ReleaseID: r.ID,
		Version: r.Version, Model: r.Model, Transport: r.Transport, Target: req.Target, Status: rollout.StatusRunning,
		Threshold: req.Threshold, CreatedAt: m.now, UpdatedAt: m.now}
	if id := req.Target.DeviceID(); id != "" {
		d, ok := m.devs[id]
		if !ok || d.Dealer != m.actor.Dealer {
			return rollout.Rollout{}, errors.New("not_found: no such device")
		}
		if fleet.VariantOf(d) != r.Variant() {
			return rollout.Rollout{}, errors.New("variant_mismatch: " + id + " is a " + fleet.VariantOf(d).String() + " unit")
		}
		ro.Units = []rollout.UnitProgress{{DeviceID: id, Stage: rollout.StageQueued, Firmware: d.Firmware, UpdatedAt: m.now}}
	} else if req.Target == rollout.TargetMyFleet {
		if !m.validated[r.ID] {
			return rollout.Rollout{}, errors.New("validation_required: validate the release on a test device first")
		}
		for _, d := range m.devs {
			if fleet.VariantOf(d) == r.Variant() && d.Online && d.Firmware != r.Version && d.Dealer == m.actor.Dealer {
				ro.Units = append(ro.Units, rollout.UnitProgress{DeviceID: d.ID, Stage: rollout.StageQueued,
					Firmware: d.Firmware, UpdatedAt: m.now})
			}
		}
	} else {
		return rollout.Rollout{}, errors.New("forbidden: dealers deploy to my_fleet only")
	}
	m.rollouts = append(m.rollouts, ro)
	return *ro, nil
}

func (m *memSession) find(id string) (*rollout.Rollout, error) {
	for _, r := range m.rollouts {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, errors.New("not_found")
}

func (m *memSession) Rollout(_ context.Context, id string) (rollout.Rollout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	r, err := m.find(id)
	if err != nil {
		return rollout.Rollout{}, err
	}
	return copyRollout(*r), nil
}

func copyRollout(r rollout.Rollout) rollout.Rollout {
	r.Units = append([]rollout.UnitProgress(nil), r.Units...)
	return r
}

func (m *memSession) ListRollouts(context.Context) ([]rollout.Rollout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listErr != nil {
		return nil, m.listErr
	}
	var out []rollout.Rollout
	for _, r := range m.rollouts {
		out = append(out, copyRollout(*r))
	}
	return out, nil
}

func (m *memSession) control(id, verb string, from []rollout.Status, to rollout.Status) (rollout.Rollout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.controls = append(m.controls, verb+" "+id)
	if m.offline {
		return rollout.Rollout{}, errOffline
	}
	r, err := m.find(id)
	if err != nil {
		return rollout.Rollout{}, err
	}
	ok := false
	for _, s := range from {
		ok = ok || r.Status == s
	}
	if !ok {
		return rollout.Rollout{}, fmt.Errorf("conflict: cannot %s a %s rollout", verb, r.Status)
	}
	r.Status, r.UpdatedAt = to, m.now
	if to == rollout.StatusCancelled {
		for i := range r.Units {
			if r.Units[i].Stage == rollout.StageQueued {
				r.Units[i].Stage = rollout.StageSkipped
			}
		}
	}
	return copyRollout(*r), nil
}

func (m *memSession) PauseRollout(_ context.Context, id string) (rollout.Rollout, error) {
	return m.control(id, "pause", []rollout.Status{rollout.StatusRunning}, rollout.StatusPaused)
}
func (m *memSession) ResumeRollout(_ context.Context, id string) (rollout.Rollout, error) {
	return m.control(id, "resume", []rollout.Status{rollout.StatusPaused}, rollout.StatusRunning)
}
func (m *memSession) CancelRollout(_ context.Context, id string) (rollout.Rollout, error) {
	return m.control(id, "cancel", []rollout.Status{rollout.StatusRunning, rollout.StatusPaused}, rollout.StatusCancelled)
}

func (m *memSession) Users(context.Context) ([]token.User, error)      { return nil, nil }
func (m *memSession) ListTokens(context.Context) ([]token.Info, error) { return nil, nil }
func (m *memSession) CreateToken(context.Context, token.CreateRequest) (token.Created, error) {
	return token.Created{}, errors.New("not used by the Rollouts page")
}
func (m *memSession) RevokeToken(context.Context, string) error { return errors.New("not used") }

// unit moves one unit of a rollout, as the backend would report it, and optionally updates the
// device record the way a sync would; then tells the listeners.
func (m *memSession) unit(roID, devID string, st rollout.Stage, fw string, online bool) {
	m.mu.Lock()
	r, err := m.find(roID)
	if err != nil {
		m.mu.Unlock()
		panic(err)
	}
	for i := range r.Units {
		if r.Units[i].DeviceID == devID {
			r.Units[i].Stage, r.Units[i].UpdatedAt = st, m.now
			if fw != "" {
				r.Units[i].Firmware = fw
			}
		}
	}
	final := true
	for _, u := range r.Units {
		final = final && u.Stage.Final()
	}
	if final && r.Status == rollout.StatusRunning {
		r.Status = rollout.StatusFinished
	}
	if st == rollout.StageConfirmed && r.Target.DeviceID() == devID {
		m.validated[r.ReleaseID] = true
	}
	d := m.devs[devID]
	if fw != "" {
		d.Firmware = fw
	}
	d.Online = online
	if online {
		d.LastSeen = m.now
	}
	m.devs[devID] = d
	r.UpdatedAt = m.now
	m.mu.Unlock()
	m.NotifyAsync(session.Change{Devices: []string{devID}, Rollouts: true})
}

func (m *memSession) advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

func (m *memSession) lastRequest() rollout.CreateRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.requests) == 0 {
		return rollout.CreateRequest{}
	}
	return m.requests[len(m.requests)-1]
}

func (m *memSession) rolloutByTarget(t rollout.Target) rollout.Rollout {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.rollouts) - 1; i >= 0; i-- {
		if m.rollouts[i].Target == t {
			return copyRollout(*m.rollouts[i])
		}
	}
	return rollout.Rollout{}
}

// RolloutEvidence is the fake's rollouts: no command log is kept.
func (m *memSession) RolloutEvidence(ctx context.Context, _ rollout.Release) (rollout.Evidence, error) {
	rs, err := m.ListRollouts(ctx)
	return rollout.Evidence{Rollouts: rs}, err
}
