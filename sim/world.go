package sim

import (
	"encoding/json"
	"sort"
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
}

// rolloutState is a rollout and its bookkeeping.
type rolloutState struct {
	R        rollout.Rollout `json:"rollout"`
	Dealer   string          `json:"dealer"` // "" for global pushes
	InFlight int             `json:"-"`
	unitIdx  map[string]int
	dirty    bool
}

// release is a firmware release with its image bytes.
type release struct {
	R     rollout.Release
	image []byte
}

// changeLog lists (seq, device) in sequence order for one scope. A device that changes again is
// appended anew; its older entry goes stale and is dropped at the next compaction. Listing since a
// cursor is a binary search and a walk, whatever the size of the fleet.
type changeLog struct {
	entries []logEntry
	live    int
}

type logEntry struct {
	seq uint64
	dev int32
}

func (l *changeLog) add(seq uint64, dev int32, isNew bool, devs []*dev) {
	l.entries = append(l.entries, logEntry{seq, dev})
	if isNew {
		l.live++
	}
	if len(l.entries) > 2*l.live+1024 {
		out := l.entries[:0]
		for _, e := range l.entries {
			if devs[e.dev].Seq == e.seq {
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
	w.global.add(d.Seq, i, isNew, w.devs)
	w.logs[d.dealer].add(d.Seq, i, isNew, w.devs)
	if !d.dirty {
		d.dirty = true
		w.dirtyDevs = append(w.dirtyDevs, i)
	}
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
