package sim

import (
	"encoding/json"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// dealer is one seeded dealer.
type dealer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"-"`
	count    int    // devices in scope, kept current for DevicePage.Total
}

// customer is a customer account of a dealer: the owner of some units, and who tokens are for.
type customer struct {
	User token.User
	devs []int32 // indices into world.devs
}

// otaState is a firmware install in progress on one unit.
type otaState struct {
	ReleaseID  string    `json:"release_id"`
	Version    string    `json:"version"`
	OldVersion string    `json:"old_version"`
	CommandID  string    `json:"command_id,omitempty"`
	RolloutID  string    `json:"rollout_id,omitempty"`
	Outcome    int       `json:"outcome"` // outcomeOK, outcomeRollback, outcomeNever
	ReturnAt   time.Time `json:"return_at"`
	GiveUpAt   time.Time `json:"give_up_at"` // when a never-returning unit is written off
}

const (
	outcomeOK = iota
	outcomeRollback
	outcomeNever
)

// dev is one simulated unit: its public record plus what the simulation needs.
type dev struct {
	D        fleet.Device `json:"device"`
	Seq      uint64       `json:"seq"`      // change sequence of the last published change
	Customer int          `json:"customer"` // index into world.customers
	NextBeat time.Time    `json:"next_beat"`
	Gone     bool         `json:"gone"` // never reports again (failed OTA that did not return)
	OTA      *otaState    `json:"ota,omitempty"`
	dealer   int          // index into world.dealers
	gen      uint32       // invalidates scheduled heartbeats when the plan changes
	pending  []*command   // commands waiting for the unit to report
	js       []byte       // the public record as JSON, until the next change
	cmds     []*command   // every command sent to the unit
	dirty    bool
	// left records, per dealer the unit was transferred away from, the change that took it out
	// of that dealer's scope: the removal the dealer's deltas and event stream report.
	left []departure
}

// departure is a unit leaving a dealer's scope at a change sequence.
type departure struct {
	dealer int
	seq    uint64
}

// leftSeq is the sequence at which the unit last left dealer di's scope (0: never).
func (d *dev) leftSeq(di int) uint64 {
	for _, l := range d.left {
		if l.dealer == di {
			return l.seq
		}
	}
	return 0
}

// json is the public record's JSON, cached until the device changes (touch). A cached slice is
// never modified, so a writer may keep using it after the lock is released.
func (d *dev) json() []byte {
	if d.js == nil {
		b, err := json.Marshal(copyDevice(&d.D))
		if err != nil {
			panic("sim: marshal device: " + err.Error()) // a plain struct: cannot happen
		}
		d.js = b
	}
	return d.js
}

// command is a command and what the backend needs to run it.
type command struct {
	C        fleet.Command `json:"command"`
	IdemKey  string        `json:"idem_key,omitempty"`
	Actor    string        `json:"actor"`
	Dev      int32         `json:"dev"`
	ExpireAt time.Time     `json:"expire_at"`
	dirty    bool
	seq      uint64 // change sequence of its last transition (the event stream's)
}

// rolloutState is a rollout and its bookkeeping.
type rolloutState struct {
	R        rollout.Rollout `json:"rollout"`
	Dealer   string          `json:"dealer"` // "" for global pushes
	InFlight int             `json:"-"`
	unitIdx  map[string]int
	dirty    bool
	// What the event stream has published: the rollout's change sequence, each unit's, and the
	// units as last published (to find the ones that changed). unsent: touched since.
	seq     uint64
	unitSeq []uint64
	sent    []rollout.UnitProgress
	unsent  bool
}

// release is a firmware release with its image bytes.
type release struct {
	R     rollout.Release
	image []byte
}

// changeLog lists (seq, device) in sequence order for one scope: a dealer's (dealer is its
// index) or everyone's (dealer -1, the admin's). A device that changes again is appended anew; its
// older entry goes stale and is dropped at the next compaction. A unit transferred away from the
// dealer leaves a removal entry, current while the unit stays away. Listing since a cursor is a
// binary search and a walk, whatever the size of the fleet.
type changeLog struct {
	dealer  int
	entries []logEntry
	live    int
}

type logEntry struct {
	seq     uint64
	dev     int32
	removed bool // the unit left this scope at seq
}

// current reports whether e is still news: the device's latest change, or its latest departure
// from a scope it has not come back to.
func (l *changeLog) current(e logEntry, devs []*dev) bool {
	d := devs[e.dev]
	if e.removed {
		return d.dealer != l.dealer && d.leftSeq(l.dealer) == e.seq
	}
	return d.Seq == e.seq
}

func (l *changeLog) add(e logEntry, isNew bool, devs []*dev) {
	l.entries = append(l.entries, e)
	if isNew {
		l.live++
	}
	if len(l.entries) > 2*l.live+1024 {
		out := l.entries[:0]
		for _, e := range l.entries {
			if l.current(e, devs) {
				out = append(out, e)
			}
		}
		l.entries = out
	}
}

// from returns the position of the first entry after seq.
func (l *changeLog) from(seq uint64) int {
	return sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq > seq })
}

// serviceRecord is a stored service log entry.
type serviceRecord struct {
	Entry  api.ServiceLogEntry `json:"entry"`
	Dealer string              `json:"dealer"`
	By     string              `json:"by"`
	saved  bool
}

// world is the whole simulated state; the Backend's mutex guards all of it.
type world struct {
	epoch     string
	seed      int64
	seq       uint64
	dealers   []*dealer
	customers []*customer
	devs      []*dev
	byID      map[string]int32
	byEmail   map[string]int // customer email → index
	global    changeLog
	logs      []changeLog // per dealer
	releases  []*release
	relByID   map[string]*release
	commands  map[string]*command
	idem      map[string]*command // actor + "\x00" + key
	rollouts  map[string]*rolloutState
	rollOrder []string
	validated map[string]bool // dealer + "\x00" + release ID: passed a test-device rollout
	tokens    map[string]*tokenRec
	tokByHash map[string]*tokenRec
	service   map[string]*serviceRecord
	nextCmd   int
	nextRoll  int
	nextTok   int
	dirtyDevs []int32
	dirtyMisc bool

	// The event stream's other news, per dealer and for everyone: command transitions and
	// rollout progress, on the devices' sequence.
	globalNews newsLog
	news       []newsLog // per dealer
	bell       bell      // rung on every change, wakes the event streams
}

// makeLogs sets up the empty change and news logs once the dealers are known.
func (w *world) makeLogs() {
	w.global = changeLog{dealer: -1}
	w.logs = make([]changeLog, len(w.dealers))
	for i := range w.logs {
		w.logs[i].dealer = i
	}
	w.news = make([]newsLog, len(w.dealers))
}

func (w *world) dealerIndex(id string) int {
	for i, d := range w.dealers {
		if d.ID == id {
			return i
		}
	}
	return -1
}

// touch publishes a change of device i: a new sequence number, an entry in the change logs.
func (w *world) touch(i int32, now time.Time) {
	d := w.devs[i]
	isNew := d.Seq == 0
	w.seq++
	d.Seq = w.seq
	d.D.UpdatedAt = now.Truncate(time.Millisecond)
	d.js = nil
	w.global.add(logEntry{seq: d.Seq, dev: i}, isNew, w.devs)
	w.logs[d.dealer].add(logEntry{seq: d.Seq, dev: i}, isNew, w.devs)
	if !d.dirty {
		d.dirty = true
		w.dirtyDevs = append(w.dirtyDevs, i)
	}
	w.bell.ring()
}

// transfer moves unit i to dealer di and that dealer's customer ci: it leaves the old dealer's
// scope (a removal in that dealer's deltas and stream) and enters the new one's.
func (w *world) transfer(i int32, di, ci int, now time.Time) {
	d := w.devs[i]
	from := d.dealer
	if from == di {
		return
	}
	w.dealers[from].count--
	w.dealers[di].count++
	d.dealer, d.Customer = di, ci
	d.D.Dealer = w.dealers[di].ID
	d.D.CustomerEmail = w.customers[ci].User.Email
	// The old customer keeps the unit in its list, where it no longer sees it: its token's
	// deltas and stream report it removed.
	w.customers[ci].devs = append(w.customers[ci].devs, i)
	w.touch(i, now)
	d.left = append(slices.DeleteFunc(d.left, func(l departure) bool { return l.dealer == from }), departure{from, d.Seq})
	w.logs[from].add(logEntry{seq: d.Seq, dev: i, removed: true}, false, w.devs)
}

// commandChanged puts a command's transition on the sequence and in its dealer's news.
func (w *world) commandChanged(c *command) {
	w.seq++
	c.seq = w.seq
	e := newsEntry{seq: c.seq, cmd: c}
	w.globalNews.add(e)
	w.news[w.devs[c.Dev].dealer].add(e)
	w.bell.ring()
}

// touchRollout records a change of the rollout's state or its units' progress. The stream
// publishes it (sealRollouts) when it next reads, with the units that changed.
func (w *world) touchRollout(ro *rolloutState, now time.Time) {
	ro.R.UpdatedAt = now
	ro.dirty = true
	ro.unsent = true
	w.bell.ring()
}

// sealRollouts gives every rollout touched since the last call its place on the sequence, and
// each of its units that changed since it was last published theirs.
func (w *world) sealRollouts() {
	for _, id := range w.rollOrder {
		ro := w.rollouts[id]
		if !ro.unsent {
			continue
		}
		ro.unsent = false
		w.seq++
		ro.seq = w.seq
		for k, u := range ro.R.Units {
			if k >= len(ro.sent) {
				ro.sent = append(ro.sent, u)
				ro.unitSeq = append(ro.unitSeq, w.seq)
			} else if ro.sent[k] != u {
				ro.sent[k] = u
				ro.unitSeq[k] = w.seq
			}
		}
		e := newsEntry{seq: ro.seq, ro: ro}
		w.globalNews.add(e)
		if di := w.dealerIndex(ro.Dealer); di >= 0 {
			w.news[di].add(e)
		}
	}
}

// newsLog lists command transitions and rollout progress in sequence order for one scope; like
// changeLog, an object's older entries go stale when it changes again.
type newsLog struct {
	entries []newsEntry
	kept    int // entries after the last compaction
}

type newsEntry struct {
	seq uint64
	cmd *command      // a command's transition, or
	ro  *rolloutState // a rollout's progress
}

func (e newsEntry) current() bool {
	if e.cmd != nil {
		return e.cmd.seq == e.seq
	}
	return e.ro.seq == e.seq
}

func (l *newsLog) add(e newsEntry) {
	l.entries = append(l.entries, e)
	if len(l.entries) > 2*l.kept+1024 {
		out := l.entries[:0]
		for _, e := range l.entries {
			if e.current() {
				out = append(out, e)
			}
		}
		clear(l.entries[len(out):]) // let go of the stale objects
		l.entries = out
		l.kept = len(out)
	}
}

// from returns the position of the first entry after seq.
func (l *newsLog) from(seq uint64) int {
	return sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq > seq })
}

// bell wakes whoever waits for the next change: the event streams. Ringing costs a lock when
// nobody waits.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next ring.
func (b *bell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *bell) ring() {
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.mu.Unlock()
}

// copyDevice returns the public record with slices the caller may keep.
func copyDevice(d *fleet.Device) fleet.Device {
	out := *d
	if out.Alarms == nil {
		out.Alarms = []string{}
	}
	if d.GPS != nil {
		p := *d.GPS
		out.GPS = &p
	}
	return out
}
