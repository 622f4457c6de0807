package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// dealerOnly refuses customer tokens on the dealer's management endpoints.
func dealerOnly(p *principal) error {
	if p.actor.Role == scope.RoleDealer || p.actor.Role == scope.RoleAdmin {
		return nil
	}
	if p.readOnly() {
		return errReadOnly
	}
	return errf(http.StatusForbidden, api.CodeForbidden, "only dealer accounts can do this")
}

// refused turns a scope decision into the one 403 every endpoint gives, so the app sees the
// same code and the same reason wherever the rule bites.
func refused(dec scope.Decision) error {
	if dec.Allowed {
		return nil
	}
	return errf(http.StatusForbidden, api.CodeForbidden, "%s", dec.Reason)
}

// releaseByID finds a release named in a request; the caller holds b.mu.
func (b *Backend) releaseByID(id string) (*release, error) {
	rel := b.w.relByID[id]
	if rel == nil {
		return nil, errf(http.StatusBadRequest, api.CodeBadRequest, "unknown release %q", truncate(id, 60))
	}
	return rel, nil
}

// eligible is the same set the app computes for a fleet-wide rollout: same variant, online, not
// already on the release, not busy installing something else.
func eligible(d *dev, rel *release) bool {
	return rollout.Matches(rel.R, d.D) && d.D.Online && !d.Gone && d.OTA == nil && d.D.Firmware != rel.R.Version
}

// whyNot says why a unit cannot receive the release of a my_fleet rollout now: the app's own rule
// (rollout.Exclude, on the backend's clock), and what only the backend knows (an install under
// way, a unit written off). "" when it can.
func (b *Backend) whyNot(p *principal, d *dev, rel *release, now time.Time) string {
	if ex, bad := rollout.Exclude(rel.R, d.D, p.actor, now); bad {
		if ex.Detail != "" {
			return ex.Reason.Text() + ", " + ex.Detail
		}
		return ex.Reason.Text()
	}
	switch {
	case d.OTA != nil:
		return "already installing " + d.OTA.Version
	case d.Gone || !d.D.Online:
		return "offline"
	}
	return ""
}

func (b *Backend) eligibleNow(p *principal, d *dev, rel *release, now time.Time) bool {
	return b.whyNot(p, d, rel, now) == ""
}

// maxConfirmed bounds device_ids: far beyond any one dealer's units of one variant.
const maxConfirmed = 100_000

// confirmedUnits checks the units a dealer confirmed for a my_fleet rollout: each must be one the
// release can go to now, or nothing is sent and the answer gives both counts. Units eligible now
// but not named stay out: the dealer did not agree to them.
func (b *Backend) confirmedUnits(p *principal, rel *release, ids []string, now time.Time) ([]int32, error) {
	if len(ids) == 0 || len(ids) > maxConfirmed {
		return nil, errf(http.StatusBadRequest, api.CodeBadRequest, "device_ids must name from 1 to %d units", maxConfirmed)
	}
	seen := make(map[string]bool, len(ids))
	units := make([]int32, 0, len(ids))
	var lost []string
	for _, id := range ids {
		if seen[id] {
			return nil, errf(http.StatusBadRequest, api.CodeBadRequest, "device_ids names %s twice", truncate(id, 40))
		}
		seen[id] = true
		i, ok := b.w.byID[id]
		if !ok || !p.canSee(b.w.devs[i]) {
			lost = append(lost, truncate(id, 40)+": not in your fleet")
			continue
		}
		if why := b.whyNot(p, b.w.devs[i], rel, now); why != "" {
			lost = append(lost, id+": "+why)
			continue
		}
		units = append(units, i)
	}
	if len(lost) > 0 {
		more := ""
		if len(lost) > 5 {
			lost, more = lost[:5], fmt.Sprintf(" and %d more", len(lost)-5)
		}
		return nil, errf(http.StatusConflict, api.CodeUnitsChanged,
			"you confirmed %d units, but only %d of them can receive %s now (%s%s): nothing was sent; review the units and confirm again",
			len(ids), len(units), rel.R.Label(), strings.Join(lost, "; "), more)
	}
	return units, nil
}

// ---- rollouts ----

func (b *Backend) seesRollout(p *principal, ro *rolloutState) bool {
	return p.actor.Role == scope.RoleAdmin || (p.actor.Role == scope.RoleDealer && ro.Dealer == p.actor.Dealer)
}

// rolloutFor finds a rollout the principal may see; another dealer's rollout is the same 404 as
// none. The caller holds b.mu.
func (b *Backend) rolloutFor(p *principal, id string) (*rolloutState, error) {
	ro := b.w.rollouts[id]
	if ro == nil || !b.seesRollout(p, ro) {
		return nil, notFound("rollout " + truncate(id, 40))
	}
	return ro, nil
}

func copyRollout(ro *rolloutState) rollout.Rollout {
	out := ro.R
	out.Units = append([]rollout.UnitProgress{}, ro.R.Units...)
	return out
}

func (b *Backend) listRollouts(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	b.mu.Lock()
	out := api.RolloutList{Rollouts: []rollout.Rollout{}}
	for k := len(b.w.rollOrder) - 1; k >= 0; k-- {
		if ro := b.w.rollouts[b.w.rollOrder[k]]; b.seesRollout(p, ro) {
			out.Rollouts = append(out.Rollouts, copyRollout(ro))
		}
	}
	b.mu.Unlock()
	return writeJSON(w, http.StatusOK, out)
}

func (b *Backend) getRollout(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ro, err := b.rolloutFor(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, copyRollout(ro))
}

func (b *Backend) createRollout(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	var req rollout.CreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := refused(scope.CanDeployMyFleet(p.actor)); err != nil {
		return err
	}
	if p.actor.Role == scope.RoleAdmin {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "administrators push through %s", api.PathAdminPush)
	}
	now := b.clk.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	rel, err := b.releaseByID(req.ReleaseID)
	if err != nil {
		return err
	}
	if req.Console != rel.R.Console || req.Model != rel.R.Model || req.Transport != rel.R.Transport {
		return errf(http.StatusBadRequest, api.CodeVariant, "release %s is for %s on the %s, not %s %s on %s",
			rel.R.ID, rel.R.Variant(), rel.R.Console, truncate(string(req.Model), 20), truncate(string(req.Transport), 20), truncate(string(req.Console), 20))
	}
	th := req.Threshold
	if th == (rollout.Threshold{}) {
		th = rollout.DefaultThreshold
	}
	if th.Units < 0 || th.Percent < 0 || th.Percent > 100 {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "failure threshold must be 0 or more units and 0 to 100 percent")
	}
	var units []int32
	if req.Devices != nil && req.Target != rollout.TargetMyFleet {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "device_ids belong to a my_fleet rollout only")
	}
	switch {
	case req.Target == rollout.TargetMyFleet:
		if !b.w.validated[p.actor.Dealer+"\x00"+rel.R.ID] {
			return errf(http.StatusConflict, api.CodeValidationRequired,
				"validate %s on one test device first (a device:<id> rollout that comes back confirmed)", rel.R.ID)
		}
		if req.Devices != nil {
			var err error
			if units, err = b.confirmedUnits(p, rel, req.Devices, now); err != nil {
				return err
			}
			break
		}
		di := b.w.dealerIndex(p.actor.Dealer)
		log := &b.w.logs[di]
		for _, ix := range log.entries {
			if ix.removed || !log.current(ix, b.w.devs) {
				continue
			}
			d := b.w.devs[ix.dev]
			if b.eligibleNow(p, d, rel, now) {
				units = append(units, ix.dev)
			}
		}
		if len(units) == 0 {
			return errf(http.StatusConflict, api.CodeConflict, "no unit of your fleet is eligible for %s (online, %s, not already on %s)", rel.R.ID, rel.R.Variant(), rel.R.Version)
		}
	case req.Target.DeviceID() != "":
		i, d, err := b.lookup(p, req.Target.DeviceID())
		if err != nil {
			return err
		}
		if fleet.VariantOf(d.D) != rel.R.Variant() {
			return errf(http.StatusBadRequest, api.CodeVariant, "release %s is for %s; %s is a %s", rel.R.ID, rel.R.Variant(), d.D.ID, fleet.VariantOf(d.D))
		}
		switch {
		case d.OTA != nil:
			return errf(http.StatusConflict, api.CodeConflict, "%s is already installing %s", d.D.ID, d.OTA.Version)
		case d.D.Firmware == rel.R.Version:
			return errf(http.StatusConflict, api.CodeConflict, "%s already runs %s", d.D.ID, rel.R.Version)
		case !d.D.Online || d.Gone:
			return errf(http.StatusConflict, api.CodeConflict, "%s is offline: pick a test device that is online", d.D.ID)
		}
		units = []int32{i}
	case req.Target == "global":
		return errf(http.StatusForbidden, api.CodeForbidden, "global firmware pushes are for administrators only; dealers deploy to my_fleet")
	default:
		return errf(http.StatusBadRequest, api.CodeBadRequest, "target must be my_fleet or device:<id>")
	}
	ro := b.newRollout(rel, req.Target, p.actor.Dealer, th, units, now)
	b.logf("sim: %s started rollout %s of %s to %s (%d units)", p.actor.Email, ro.R.ID, rel.R.ID, req.Target, len(units))
	return writeJSON(w, http.StatusCreated, copyRollout(ro))
}

func (b *Backend) newRollout(rel *release, target rollout.Target, dealerID string, th rollout.Threshold, units []int32, now time.Time) *rolloutState {
	w := b.w
	w.nextRoll++
	ro := &rolloutState{
		R: rollout.Rollout{
			ID: fmt.Sprintf("ro-%05d", w.nextRoll), Console: rel.R.Console, ReleaseID: rel.R.ID, Version: rel.R.Version,
			Model: rel.R.Model, Transport: rel.R.Transport, Target: target, Status: rollout.StatusRunning,
			Threshold: th, CreatedAt: now, UpdatedAt: now, Units: make([]rollout.UnitProgress, 0, len(units)),
		},
		Dealer:  dealerID,
		unitIdx: make(map[string]int, len(units)),
	}
	for _, i := range units {
		d := w.devs[i]
		ro.unitIdx[d.D.ID] = len(ro.R.Units)
		ro.R.Units = append(ro.R.Units, rollout.UnitProgress{DeviceID: d.D.ID, Stage: rollout.StageQueued, Firmware: d.D.Firmware, UpdatedAt: now})
	}
	w.rollouts[ro.R.ID] = ro
	w.rollOrder = append(w.rollOrder, ro.R.ID)
	b.pump(ro, now)
	b.push(&event{at: now.Add(30 * time.Second), kind: evRollTick, roll: ro.R.ID})
	return ro
}

const (
	rolloutPause = iota
	rolloutResume
	rolloutCancel
)

func (b *Backend) rolloutAction(op int) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		if err := dealerOnly(p); err != nil {
			return err
		}
		now := b.clk.now()
		b.mu.Lock()
		defer b.mu.Unlock()
		ro, err := b.rolloutFor(p, r.PathValue("id"))
		if err != nil {
			return err
		}
		st := ro.R.Status
		switch {
		case op == rolloutPause && st == rollout.StatusRunning:
			ro.R.Status, ro.R.Reason = rollout.StatusPaused, "paused by "+p.actor.Email
		case op == rolloutResume && st == rollout.StatusPaused:
			ro.R.Status, ro.R.Reason = rollout.StatusRunning, ""
			b.pump(ro, now)
		case op == rolloutCancel && (st == rollout.StatusRunning || st == rollout.StatusPaused):
			ro.R.Status = rollout.StatusCancelled
			for k := range ro.R.Units {
				if u := &ro.R.Units[k]; u.Stage == rollout.StageQueued {
					u.Stage, u.Error, u.UpdatedAt = rollout.StageSkipped, "rollout cancelled", now
				}
			}
		default:
			return errf(http.StatusConflict, api.CodeConflict, "rollout %s is %s", ro.R.ID, st)
		}
		b.w.touchRollout(ro, now)
		b.w.dirtyMisc = true
		return writeJSON(w, http.StatusOK, copyRollout(ro))
	}
}

// ---- users and tokens ----

func (b *Backend) listUsers(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	b.mu.Lock()
	out := api.UserList{Users: []token.User{}}
	for _, c := range b.w.customers {
		if p.actor.Role == scope.RoleAdmin || c.User.Dealer == p.actor.Dealer {
			out.Users = append(out.Users, c.User)
		}
	}
	b.mu.Unlock()
	return writeJSON(w, http.StatusOK, out)
}

func copyInfo(t *tokenRec) token.Info {
	out := t.Info
	out.Devices = append([]string{}, t.Info.Devices...)
	if t.Info.LastUsed != nil {
		lu := *t.Info.LastUsed
		out.LastUsed = &lu
	}
	return out
}

func (b *Backend) listTokens(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	b.mu.Lock()
	out := api.TokenList{Tokens: []token.Info{}}
	for k := 1; k <= b.w.nextTok; k++ {
		t := b.w.tokens[tokenID(k)]
		if t != nil && (p.actor.Role == scope.RoleAdmin || t.Dealer == p.actor.Dealer) {
			out.Tokens = append(out.Tokens, copyInfo(t))
		}
	}
	b.mu.Unlock()
	return writeJSON(w, http.StatusOK, out)
}

func tokenID(k int) string { return fmt.Sprintf("tok-%05d", k) }

func (b *Backend) createToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	var req token.CreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	real := b.cfg.Now().UTC()
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "" || len(name) > 120:
		return errf(http.StatusBadRequest, api.CodeBadRequest, "a token needs a name (at most 120 characters)")
	case req.Access != token.AccessReadOnly && req.Access != token.AccessControl:
		return errf(http.StatusBadRequest, api.CodeBadRequest, "access must be read_only or control")
	case req.Access == token.AccessControl && strings.TrimSpace(req.Reason) == "":
		return errf(http.StatusBadRequest, api.CodeBadRequest, "control access needs a reason")
	case len(req.Devices) > 1000:
		return errf(http.StatusBadRequest, api.CodeBadRequest, "at most 1000 devices per token")
	}
	exp := req.ExpiresAt
	if exp.IsZero() {
		exp = real.Add(defTokenLife)
	}
	switch {
	case !exp.After(real):
		return errf(http.StatusBadRequest, api.CodeBadRequest, "expiry is in the past")
	case exp.After(real.Add(maxTokenLife)):
		return errf(http.StatusBadRequest, api.CodeBadRequest, "expiry is beyond the maximum of %d days", int(maxTokenLife.Hours()/24))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var cu *customer
	for _, c := range b.w.customers {
		if c.User.ID == req.UserID {
			cu = c
		}
	}
	// An unknown user and another dealer's user get the same answer: no existence oracle.
	if cu == nil {
		return errf(http.StatusForbidden, api.CodeForbidden, "that user account is outside your dealer scope")
	}
	var devs []fleet.Device
	for _, id := range req.Devices {
		i, ok := b.w.byID[id]
		if !ok {
			return errf(http.StatusForbidden, api.CodeForbidden, "%s is outside your dealer scope", truncate(id, 40))
		}
		devs = append(devs, b.w.devs[i].D)
	}
	if err := refused(scope.CanIssueToken(p.actor, cu.User.Dealer, devs)); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, d := range devs {
		if d.CustomerEmail != cu.User.Email {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "%s does not belong to %s's account", d.ID, cu.User.Email)
		}
		seen[d.ID] = true
	}
	secret := newSecret(prefixToken)
	b.w.nextTok++
	t := &tokenRec{
		Info: token.Info{
			ID: tokenID(b.w.nextTok), Name: name, UserID: cu.User.ID, UserEmail: cu.User.Email, Access: req.Access,
			Devices: append([]string{}, req.Devices...), CreatedAt: real, ExpiresAt: exp.UTC(),
		},
		Hash: hashSecret(secret), Dealer: cu.User.Dealer, devSet: seen, dirty: true,
	}
	b.w.tokens[t.Info.ID] = t
	b.w.tokByHash[t.Hash] = t
	b.w.dirtyMisc = true
	b.logf("sim: %s issued token %s (%s, %d devices) for %s", p.actor.Email, t.Info.ID, t.Info.Access, len(t.Info.Devices), cu.User.Email)
	return writeJSON(w, http.StatusCreated, token.Created{Token: copyInfo(t), Secret: secret})
}

func (b *Backend) revokeToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.w.tokens[r.PathValue("id")]
	if t == nil || (p.actor.Role != scope.RoleAdmin && t.Dealer != p.actor.Dealer) {
		return notFound("token " + truncate(r.PathValue("id"), 40))
	}
	if !t.Info.Revoked {
		t.Info.Revoked = true
		t.dirty = true
		b.w.dirtyMisc = true
		b.logf("sim: %s revoked token %s", p.actor.Email, t.Info.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- service log ----

func (b *Backend) postServiceLog(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := dealerOnly(p); err != nil {
		return err
	}
	var req api.ServiceLogRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Entries) == 0 || len(req.Entries) > 500 {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "send 1 to 500 entries")
	}
	for _, e := range req.Entries {
		// device_serial may be empty: a plain MCUboot unit does not say who it is.
		if e.ID == "" || len(e.ID) > 100 || e.Result == "" || e.At.IsZero() {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "every entry needs id (at most 100 characters), result and at")
		}
		if e.Bytes < 0 || e.DurationMS < 0 || e.Throughput < 0 {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "bytes, duration_ms and throughput cannot be negative")
		}
		if e.Outcome != "" && !slices.Contains(api.ServiceLogOutcomes, e.Outcome) {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "outcome %q is none of %s", e.Outcome, strings.Join(api.ServiceLogOutcomes, ", "))
		}
		if len(e.Proof) > api.MaxServiceLogProof {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "proof is longer than %d bytes", api.MaxServiceLogProof)
		}
	}
	var res api.ServiceLogResult
	b.mu.Lock()
	for _, e := range req.Entries {
		key := p.actor.Dealer + "\x00" + e.ID
		if b.w.service[key] != nil {
			res.Duplicates++
			continue
		}
		b.w.service[key] = &serviceRecord{Entry: e, Dealer: p.actor.Dealer, By: p.actor.Email}
		res.Accepted++
	}
	b.w.dirtyMisc = true
	b.mu.Unlock()
	return writeJSON(w, http.StatusOK, res)
}

// ServiceLog returns the stored service log entries of a dealer ("" for all), for tests and tools.
func (b *Backend) ServiceLog(dealerID string) []api.ServiceLogEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []api.ServiceLogEntry
	for _, s := range b.w.service {
		if dealerID == "" || s.Dealer == dealerID {
			out = append(out, s.Entry)
		}
	}
	return out
}

// ---- admin ----

func (b *Backend) adminPush(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := refused(scope.CanPushGlobal(p.actor)); err != nil {
		return err
	}
	var req api.GlobalPushRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	now := b.clk.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	rel, err := b.releaseByID(req.ReleaseID)
	if err != nil {
		return err
	}
	var units []int32
	for i, d := range b.w.devs {
		if eligible(d, rel) {
			units = append(units, int32(i))
		}
	}
	if len(units) == 0 {
		return errf(http.StatusConflict, api.CodeConflict, "no unit is eligible for %s", rel.R.ID)
	}
	ro := b.newRollout(rel, "global", "", rollout.DefaultThreshold, units, now)
	return writeJSON(w, http.StatusAccepted, copyRollout(ro))
}

// Override actions an administrator can take on any unit.
const (
	OverrideClearAlarms = "clear_alarms"
	OverrideClearFault  = "clear_fault"
	OverrideRestore     = "restore" // bring back a unit written off after a failed install
	// OverrideTransfer moves a unit to another dealer (OverrideRequest.Dealer), as when a unit
	// is sold on: it leaves the old dealer's scope (a removal in its deltas and stream).
	OverrideTransfer = "transfer"
)

func (b *Backend) adminOverride(w http.ResponseWriter, r *http.Request, p *principal) error {
	// The role is checked before the device is looked up, so a dealer learns nothing.
	if err := refused(scope.CanOverride(p.actor)); err != nil {
		return err
	}
	var req api.OverrideRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	now := b.clk.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	i, d, err := b.lookup(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if req.Dealer != "" && req.Action != OverrideTransfer {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "only transfer takes a dealer")
	}
	switch req.Action {
	case OverrideClearAlarms:
		d.D.Alarms = []string{}
	case OverrideClearFault:
		if d.D.RunState == fleet.RunFault {
			d.D.RunState = fleet.RunStopped
		}
	case OverrideRestore:
		if d.Gone {
			d.Gone = false
			b.heartbeat(i, now)
		}
	case OverrideTransfer:
		di := b.w.dealerIndex(req.Dealer)
		if di < 0 {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "transfer needs the ID of an existing dealer, not %q", truncate(req.Dealer, 40))
		}
		if di == d.dealer {
			return errf(http.StatusConflict, api.CodeConflict, "%s already belongs to %s", d.D.ID, req.Dealer)
		}
		ci := -1
		for k, c := range b.w.customers {
			if c.User.Dealer == req.Dealer {
				ci = k
				break
			}
		}
		if ci < 0 {
			return errf(http.StatusConflict, api.CodeConflict, "%s has no customer account to take %s", req.Dealer, d.D.ID)
		}
		b.w.transfer(i, di, ci, now)
		b.logf("sim: %s transferred %s to %s", p.actor.Email, d.D.ID, req.Dealer)
		return writeJSON(w, http.StatusOK, copyDevice(&d.D))
	default:
		return errf(http.StatusBadRequest, api.CodeBadRequest, "unknown override action %q (known: clear_alarms, clear_fault, restore, transfer)", truncate(req.Action, 40))
	}
	b.w.touch(i, now)
	b.logf("sim: %s override %s on %s", p.actor.Email, req.Action, d.D.ID)
	return writeJSON(w, http.StatusOK, copyDevice(&d.D))
}
