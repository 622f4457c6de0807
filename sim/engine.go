package sim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// Event kinds. Units are never polled: each one has its next heartbeat (or install return, or
// command step) in one heap, so a tick costs only what is due.
const (
	evBeat = iota + 1
	evOffline
	evCmdDeliver
	evCmdDone
	evCmdExpire
	evRebootBack
	evOTAReturn
	evOTAGiveUp
	evConfirm
	evRollTick
)

type event struct {
	at   time.Time
	kind uint8
	dev  int32
	gen  uint32
	cmd  *command
	ota  *otaState
	roll string
}

type eventHeap []*event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}

func (b *Backend) push(e *event) {
	heap.Push(&b.events, e)
	if b.events[0] == e {
		b.poke()
	}
}

// jitter returns d scaled by a random factor in [lo, hi).
func (b *Backend) jitter(d time.Duration, lo, hi float64) time.Duration {
	return time.Duration(float64(d) * (lo + (hi-lo)*b.rnd.Float64()))
}

func (b *Backend) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(b.rnd.Int64N(int64(hi-lo)+1))
}

// Timings of the simulated units, per transport.
func deliveryDelay(t fleet.Transport) (lo, hi time.Duration) {
	if t == fleet.TransportWiFi {
		return 1 * time.Second, 4 * time.Second
	}
	return 5 * time.Second, 30 * time.Second
}

func installTime(t fleet.Transport) (lo, hi time.Duration) {
	if t == fleet.TransportWiFi {
		return 90 * time.Second, 180 * time.Second
	}
	return 6 * time.Minute, 14 * time.Minute
}

// giveUpAfter is how long a rollout waits for an installing unit before writing it off.
func giveUpAfter(t fleet.Transport) time.Duration {
	_, hi := installTime(t)
	return 3 * hi
}

// commandTTL is how long a queued command waits for the unit. FW Update, the normal remote
// update, waits days for the unit's next check-in; the others are meant for now and expire after
// a few missed heartbeats.
func commandTTL(t fleet.Transport, act fleet.Action) time.Duration {
	if act == fleet.ActionFWUpdate {
		return fwUpdateTTL
	}
	return 4 * fleet.ThresholdsFor(t).Heartbeat
}

// fwUpdateTTL is how long an FW Update waits for an offline unit to check in.
const fwUpdateTTL = 7 * 24 * time.Hour

func (b *Backend) scheduleBeat(i int32, at time.Time) {
	d := b.w.devs[i]
	d.gen++
	d.NextBeat = at
	b.push(&event{at: at, kind: evBeat, dev: i, gen: d.gen})
}

// scheduleAll plans every unit's next step after seeding or loading.
func (b *Backend) scheduleAll() {
	now := b.clk.now()
	w := b.w
	for i, d := range w.devs {
		i := int32(i)
		th := fleet.ThresholdsFor(d.D.Transport)
		switch {
		case d.Gone:
		case d.OTA != nil:
			if d.OTA.Outcome != outcomeNever {
				b.push(&event{at: d.OTA.ReturnAt, kind: evOTAReturn, dev: i, ota: d.OTA})
			}
			b.push(&event{at: d.OTA.GiveUpAt, kind: evOTAGiveUp, dev: i, ota: d.OTA})
		default:
			at := d.NextBeat
			if at.Before(now) || b.cfg.ChangeRate > 0 {
				// Spread evenly over one interval (at a ChangeRate, whatever was planned).
				at = now.Add(b.jitter(b.beatEvery(d.D.Transport), 0, 1))
			}
			b.scheduleBeat(i, at)
			if d.D.Online && d.D.LastSeen.Add(th.LiveFor).Before(at) {
				b.push(&event{at: d.D.LastSeen.Add(th.LiveFor), kind: evOffline, dev: i, gen: d.gen})
			}
		}
	}
	for _, c := range w.commands {
		if c.C.Status.Final() {
			continue
		}
		d := w.devs[c.Dev]
		switch c.C.Status {
		case fleet.CommandQueued:
			d.pending = append(d.pending, c)
			b.push(&event{at: c.ExpireAt, kind: evCmdExpire, cmd: c})
		case fleet.CommandDelivered:
			switch c.C.Action {
			case fleet.ActionStart, fleet.ActionStop:
				b.push(&event{at: now, kind: evCmdDone, cmd: c})
			case fleet.ActionReboot:
				b.push(&event{at: now, kind: evRebootBack, dev: c.Dev, cmd: c})
			}
		}
	}
	for _, id := range w.rollOrder {
		ro := w.rollouts[id]
		if ro.R.Status == rollout.StatusRunning || ro.R.Status == rollout.StatusPaused {
			b.push(&event{at: now, kind: evRollTick, roll: id})
			for _, u := range ro.R.Units {
				if u.Stage == rollout.StageOnline {
					b.push(&event{at: now, kind: evConfirm, dev: w.byID[u.DeviceID], roll: id})
				}
			}
		}
	}
}

// run carries out one due event.
func (b *Backend) run(e *event, now time.Time) {
	w := b.w
	switch e.kind {
	case evBeat:
		if d := w.devs[e.dev]; d.gen == e.gen && !d.Gone && d.OTA == nil {
			b.heartbeat(e.dev, now)
		}
	case evOffline:
		if d := w.devs[e.dev]; d.gen == e.gen && d.OTA == nil && d.D.Online {
			d.D.Online = false
			w.touch(e.dev, now)
		}
	case evCmdDeliver:
		b.deliver(e.cmd, now)
	case evCmdDone:
		b.finishCommand(e.cmd, now)
	case evCmdExpire:
		c := e.cmd
		if c.C.Status == fleet.CommandQueued {
			d := w.devs[c.Dev]
			b.setStatus(c, fleet.CommandExpired, fmt.Sprintf("%s did not report before the command expired", d.D.ID), now)
			b.dropPending(d, c)
		}
	case evRebootBack:
		d := w.devs[e.dev]
		if d.OTA == nil && !d.Gone {
			b.comeBack(e.dev, now)
		}
		if e.cmd != nil && e.cmd.C.Status == fleet.CommandDelivered {
			b.setStatus(e.cmd, fleet.CommandDone, "", now)
		}
	case evOTAReturn:
		if d := w.devs[e.dev]; d.OTA == e.ota {
			b.otaReturn(e.dev, now)
		}
	case evOTAGiveUp:
		if d := w.devs[e.dev]; d.OTA == e.ota {
			b.otaGiveUp(e.dev, now)
		}
	case evConfirm:
		b.confirmUnit(e.roll, e.dev, now)
	case evRollTick:
		if ro := w.rollouts[e.roll]; ro != nil {
			b.pump(ro, now)
			if ro.R.Status == rollout.StatusRunning || ro.R.Status == rollout.StatusPaused {
				b.push(&event{at: now.Add(30 * time.Second), kind: evRollTick, roll: e.roll})
			}
		}
	}
}

// heartbeat is a unit reporting: it is online, its alarms and run state may change, waiting
// commands reach it, and its next report (or a spell of silence) is planned.
func (b *Backend) heartbeat(i int32, now time.Time) {
	d := b.w.devs[i]
	th := fleet.ThresholdsFor(d.D.Transport)
	d.D.Online = true
	d.D.LastSeen = now.Truncate(time.Second)
	if d.D.GPS != nil {
		g := *d.D.GPS
		g.FixTime = d.D.LastSeen
		d.D.GPS = &g
	}
	r := b.rnd.Float64()
	switch {
	case len(d.D.Alarms) > 0 && r < 0.08:
		d.D.Alarms = []string{}
	case len(d.D.Alarms) == 0 && r > 0.996:
		d.D.Alarms = []string{alarmCodes[b.rnd.IntN(len(alarmCodes))]}
	}
	r = b.rnd.Float64()
	switch {
	case d.D.RunState == fleet.RunFault && r < 0.05:
		d.D.RunState = fleet.RunStopped
	case d.D.RunState != fleet.RunFault && r > 0.9995:
		d.D.RunState = fleet.RunFault
	case r > 0.995 && d.D.RunState == fleet.RunStopped:
		d.D.RunState = fleet.RunRunning // auto-start on a mains failure
	case r > 0.99 && d.D.RunState == fleet.RunRunning:
		d.D.RunState = fleet.RunStopped
	}
	b.w.touch(i, now)
	if len(d.pending) > 0 {
		lo, hi := deliveryDelay(d.D.Transport)
		for _, c := range d.pending {
			b.push(&event{at: now.Add(b.between(lo/2, hi/2)), kind: evCmdDeliver, cmd: c})
		}
		d.pending = nil
	}
	pSilent := 0.002
	if d.D.Transport == fleet.TransportGSM {
		pSilent = 0.01
	}
	if b.rnd.Float64() < pSilent {
		// Goes quiet: a dead cell, a power cut. Usually back within the lost window, sometimes not.
		quiet := th.LiveFor + b.jitter(th.LostAfter, 0.1, 1.5)
		b.scheduleBeat(i, now.Add(quiet))
		b.push(&event{at: now.Add(th.LiveFor), kind: evOffline, dev: i, gen: d.gen})
		return
	}
	b.scheduleBeat(i, now.Add(b.jitter(b.beatEvery(d.D.Transport), 0.9, 1.1)))
}

// beatEvery is a unit's reporting interval: its transport's heartbeat, or with a ChangeRate the
// interval that makes the whole fleet report at that rate.
func (b *Backend) beatEvery(t fleet.Transport) time.Duration {
	if r := b.cfg.ChangeRate; r > 0 {
		return time.Duration(float64(len(b.w.devs)) / r * float64(time.Second))
	}
	return fleet.ThresholdsFor(t).Heartbeat
}

// comeBack is a unit reporting again after a reboot or an install.
func (b *Backend) comeBack(i int32, now time.Time) {
	b.heartbeat(i, now)
}

func (b *Backend) dropPending(d *dev, c *command) {
	for k, p := range d.pending {
		if p == c {
			d.pending = append(d.pending[:k], d.pending[k+1:]...)
			return
		}
	}
}

func (b *Backend) setStatus(c *command, s fleet.CommandStatus, why string, now time.Time) {
	c.C.Status = s
	c.C.Error = why
	c.C.UpdatedAt = now
	b.markCmd(c)
}

func (b *Backend) markCmd(c *command) {
	c.dirty = true
	b.w.dirtyMisc = true
	b.w.commandChanged(c)
}

// newCommand queues a command; it reaches the unit after a transport delay if the unit is online,
// else at its next report, else it expires.
func (b *Backend) newCommand(i int32, act fleet.Action, rel string, actor, key string, now time.Time) *command {
	w := b.w
	d := w.devs[i]
	w.nextCmd++
	c := &command{
		C: fleet.Command{
			ID: fmt.Sprintf("cmd-%07d", w.nextCmd), DeviceID: d.D.ID, Action: act, ReleaseID: rel,
			Status: fleet.CommandQueued, CreatedAt: now, UpdatedAt: now,
		},
		IdemKey: key, Actor: actor, Dev: i, ExpireAt: now.Add(commandTTL(d.D.Transport, act)),
	}
	c.C.ExpiresAt = c.ExpireAt
	w.commands[c.C.ID] = c
	d.cmds = append(d.cmds, c)
	if key != "" {
		w.idem[actor+"\x00"+key] = c
	}
	b.markCmd(c)
	// FW Update is delivered at the unit's next check-in (heartbeat.pending); the other commands,
	// Force OTA among them, go to an online unit at once.
	if act != fleet.ActionFWUpdate && d.D.Online && d.OTA == nil && !d.Gone {
		lo, hi := deliveryDelay(d.D.Transport)
		b.push(&event{at: now.Add(b.between(lo, hi)), kind: evCmdDeliver, cmd: c})
	} else {
		d.pending = append(d.pending, c)
	}
	b.push(&event{at: c.ExpireAt, kind: evCmdExpire, cmd: c})
	return c
}

func (b *Backend) deliver(c *command, now time.Time) {
	if c.C.Status != fleet.CommandQueued {
		return
	}
	d := b.w.devs[c.Dev]
	if !d.D.Online || d.OTA != nil || d.Gone {
		d.pending = append(d.pending, c)
		return
	}
	b.setStatus(c, fleet.CommandDelivered, "", now)
	switch c.C.Action {
	case fleet.ActionStart, fleet.ActionStop:
		b.push(&event{at: now.Add(b.between(3*time.Second, 8*time.Second)), kind: evCmdDone, cmd: c})
	case fleet.ActionReboot:
		d.D.Online = false
		d.gen++ // no heartbeat while it reboots
		b.w.touch(c.Dev, now)
		b.push(&event{at: now.Add(b.between(30*time.Second, 90*time.Second)), kind: evRebootBack, dev: c.Dev, cmd: c})
	case fleet.ActionFWUpdate, fleet.ActionForceOTA:
		rel := b.w.relByID[c.C.ReleaseID]
		if rel == nil {
			b.setStatus(c, fleet.CommandFailed, "release no longer exists", now)
			return
		}
		if c.C.Action == fleet.ActionFWUpdate && d.D.Firmware == rel.R.Version {
			b.setStatus(c, fleet.CommandDone, "already on "+rel.R.Version, now)
			return
		}
		b.startOTA(c.Dev, rel, c, "", now)
	}
}

func (b *Backend) finishCommand(c *command, now time.Time) {
	if c.C.Status != fleet.CommandDelivered {
		return
	}
	d := b.w.devs[c.Dev]
	if d.D.RunState == fleet.RunFault && c.C.Action == fleet.ActionStart {
		b.setStatus(c, fleet.CommandFailed, d.D.ID+" reports a fault and refused to start", now)
		return
	}
	switch c.C.Action {
	case fleet.ActionStart:
		d.D.RunState = fleet.RunRunning
	case fleet.ActionStop:
		if d.D.RunState != fleet.RunFault {
			d.D.RunState = fleet.RunStopped
		}
	}
	b.w.touch(c.Dev, now)
	b.setStatus(c, fleet.CommandDone, "", now)
}

// startOTA takes the unit offline to install rel; how it ends is drawn now from the failure share.
func (b *Backend) startOTA(i int32, rel *release, c *command, rolloutID string, now time.Time) {
	d := b.w.devs[i]
	lo, hi := installTime(d.D.Transport)
	o := &otaState{
		ReleaseID: rel.R.ID, Version: rel.R.Version, OldVersion: d.D.Firmware, RolloutID: rolloutID,
		ReturnAt: now.Add(b.between(lo, hi)), GiveUpAt: now.Add(giveUpAfter(d.D.Transport)),
	}
	if c != nil {
		o.CommandID = c.C.ID
	}
	if b.cfg.OTAFails != nil {
		if b.cfg.OTAFails(d.D.ID) {
			o.Outcome = outcomeRollback
		}
	} else if b.rnd.Float64() < b.cfg.OTAFailureShare {
		o.Outcome = outcomeRollback
		if b.rnd.IntN(2) == 0 {
			o.Outcome = outcomeNever
		}
	}
	d.OTA = o
	d.gen++
	d.D.Online = false
	b.w.touch(i, now)
	if o.Outcome != outcomeNever {
		b.push(&event{at: o.ReturnAt, kind: evOTAReturn, dev: i, ota: o})
	}
	b.push(&event{at: o.GiveUpAt, kind: evOTAGiveUp, dev: i, ota: o})
}

func (b *Backend) otaReturn(i int32, now time.Time) {
	w := b.w
	d := w.devs[i]
	o := d.OTA
	d.OTA = nil
	if o.Outcome == outcomeOK {
		d.D.Firmware = o.Version
	}
	d.D.RunState = fleet.RunStopped
	b.comeBack(i, now)
	if c := w.commands[o.CommandID]; c != nil && c.C.Status == fleet.CommandDelivered {
		if o.Outcome == outcomeOK {
			b.setStatus(c, fleet.CommandDone, "", now)
			// Updated from its Manage page and back online on the release: that validates the
			// release for the dealer's my_fleet, as a test rollout would (the app counts it too).
			w.validated[d.D.Dealer+"\x00"+o.ReleaseID] = true
		} else {
			b.setStatus(c, fleet.CommandFailed, fmt.Sprintf("install of %s failed; %s rolled back to %s", o.Version, d.D.ID, o.OldVersion), now)
		}
	}
	if ro := w.rollouts[o.RolloutID]; ro != nil {
		if u := ro.unit(d.D.ID); u != nil && u.Stage == rollout.StageInstalling {
			u.Stage, u.Firmware, u.UpdatedAt = rollout.StageOnline, d.D.Firmware, now
			b.w.touchRollout(ro, now)
			b.push(&event{at: now.Add(b.between(5*time.Second, 20*time.Second)), kind: evConfirm, dev: i, roll: ro.R.ID})
		}
	}
}

// otaGiveUp writes off a unit that did not come back from an install: it is gone for good.
func (b *Backend) otaGiveUp(i int32, now time.Time) {
	w := b.w
	d := w.devs[i]
	o := d.OTA
	d.OTA = nil
	d.Gone = true
	d.gen++
	w.touch(i, now)
	if c := w.commands[o.CommandID]; c != nil && c.C.Status == fleet.CommandDelivered {
		b.setStatus(c, fleet.CommandFailed, fmt.Sprintf("%s did not come back after installing %s", d.D.ID, o.Version), now)
	}
	if ro := w.rollouts[o.RolloutID]; ro != nil {
		if u := ro.unit(d.D.ID); u != nil && !u.Stage.Final() {
			u.Stage, u.Error, u.UpdatedAt = rollout.StageNotReturned, "did not come back after the install", now
			b.unitFinal(ro, true, now)
		}
	}
}

func (ro *rolloutState) unit(id string) *rollout.UnitProgress {
	k, ok := ro.unitIdx[id]
	if !ok {
		return nil
	}
	return &ro.R.Units[k]
}

// maxInFlight is how many units of a rollout install at once: waves, so a bad release trips the
// failure threshold before it reaches everyone.
func maxInFlight(n int) int {
	k := int(math.Ceil(float64(n) / 5))
	return max(1, min(k, 50))
}

// pump sends the release to the next queued units while the rollout runs.
func (b *Backend) pump(ro *rolloutState, now time.Time) {
	w := b.w
	b.w.dirtyMisc = true
	if ro.R.Status == rollout.StatusRunning {
		rel := w.relByID[ro.R.ReleaseID]
		limit := maxInFlight(len(ro.R.Units))
		for k := range ro.R.Units {
			if ro.InFlight >= limit {
				break
			}
			u := &ro.R.Units[k]
			if u.Stage != rollout.StageQueued {
				continue
			}
			i := w.byID[u.DeviceID]
			d := w.devs[i]
			switch {
			case d.OTA != nil:
				continue // busy with another install; try at the next tick
			case d.Gone || !d.D.Online:
				u.Stage, u.Error, u.UpdatedAt = rollout.StageSkipped, "offline when its turn came", now
			case d.D.Firmware == rel.R.Version:
				u.Stage, u.Firmware, u.Error, u.UpdatedAt = rollout.StageSkipped, d.D.Firmware, "already on "+rel.R.Version, now
			default:
				u.Stage, u.UpdatedAt = rollout.StageInstalling, now
				ro.InFlight++
				b.startOTA(i, rel, nil, ro.R.ID, now)
			}
			b.w.touchRollout(ro, now)
		}
	}
	b.checkFinished(ro, now)
}

func (b *Backend) checkFinished(ro *rolloutState, now time.Time) {
	for _, u := range ro.R.Units {
		if !u.Stage.Final() {
			return
		}
	}
	if ro.R.Status == rollout.StatusRunning || ro.R.Status == rollout.StatusPaused {
		ro.R.Status = rollout.StatusFinished
		b.w.touchRollout(ro, now)
	}
}

// confirmUnit checks the version a returned unit reports against the rollout's.
func (b *Backend) confirmUnit(id string, i int32, now time.Time) {
	ro := b.w.rollouts[id]
	if ro == nil {
		return
	}
	d := b.w.devs[i]
	u := ro.unit(d.D.ID)
	if u == nil || u.Stage != rollout.StageOnline {
		return
	}
	u.Firmware, u.UpdatedAt = d.D.Firmware, now
	failed := d.D.Firmware != ro.R.Version
	if failed {
		u.Stage, u.Error = rollout.StageFailed, fmt.Sprintf("came back on %s, not %s", d.D.Firmware, ro.R.Version)
	} else {
		u.Stage = rollout.StageConfirmed
		if ro.R.Target.DeviceID() != "" && ro.Dealer != "" {
			b.w.validated[ro.Dealer+"\x00"+ro.R.ReleaseID] = true
		}
	}
	b.unitFinal(ro, failed, now)
}

// unitFinal accounts for a unit that reached a final stage: the failure threshold, the next wave,
// the end of the rollout.
func (b *Backend) unitFinal(ro *rolloutState, failed bool, now time.Time) {
	ro.InFlight--
	b.w.touchRollout(ro, now)
	if failed && ro.R.Status == rollout.StatusRunning {
		n, fails := len(ro.R.Units), 0
		for _, u := range ro.R.Units {
			if u.Stage == rollout.StageFailed || u.Stage == rollout.StageNotReturned {
				fails++
			}
		}
		th := ro.R.Threshold
		if (th.Units > 0 && fails >= th.Units) || (th.Percent > 0 && float64(fails)*100 >= th.Percent*float64(n)) {
			ro.R.Status = rollout.StatusPaused
			ro.R.Reason = fmt.Sprintf("paused itself: %d of %d units failed, reaching the threshold (%d units or %g%%)", fails, n, th.Units, th.Percent)
		}
	}
	b.pump(ro, now)
}

func popEvent(b *Backend) *event { return heap.Pop(&b.events).(*event) }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
