package sim

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// FuzzLoadRecords: a database whose records were tampered with (or written by another version)
// decodes or is refused with an error; it never panics, neither decoding nor simulating
// afterwards. The fuzzer replaces one record of a real saved state (read once from SQLite).
func FuzzLoadRecords(f *testing.F) {
	var once sync.Once
	var template rawState
	build := func(t *testing.T) {
		once.Do(func() {
			p := filepath.Join(t.TempDir(), "tmpl.db")
			b, err := NewBackend(Config{Devices: 12, Dealers: 1, Seed: 5, DBPath: p})
			if err != nil {
				t.Fatal(err)
			}
			b.mu.Lock()
			now := b.clk.now()
			b.newCommand(0, fleet.ActionStart, "", "acc-dlr-001", "k", now)
			d := b.w.devs[1].D
			rel := b.w.relByID["rel-"+lower(d.Model)+"-"+string(d.Transport)+"-"+consoleVersions[d.Console][2]]
			if rel.R.Version == d.Firmware {
				rel = b.w.relByID["rel-"+lower(d.Model)+"-"+string(d.Transport)+"-"+consoleVersions[d.Console][0]]
			}
			b.newRollout(rel, rollout.DeviceTarget(d.ID), "dlr-001", rollout.DefaultThreshold, []int32{1}, now)
			b.w.service["dlr-001\x00x"] = &serviceRecord{Dealer: "dlr-001"}
			b.w.dirtyMisc = true
			b.mu.Unlock()
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			st, err := openStore(p)
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			if template, err = st.readRaw(); err != nil {
				t.Fatal(err)
			}
		})
	}
	f.Add(uint8(2), []byte(`{"device":{"id":"X"},"customer":99}`))
	f.Add(uint8(3), []byte(`{"command":{"id":"c","device_id":"nope"}}`))
	f.Add(uint8(4), []byte(`{"rollout":{"id":"r","units":[{"device_id":"nope"}]}}`))
	f.Add(uint8(2), []byte(`{"device":{"id":"XP-1","dealer":"dlr-001","transport":"carrier-pigeon"},"ota":{"outcome":7}}`))
	f.Add(uint8(5), []byte(`{"info":{"id":"tok-00001"}}`))
	f.Add(uint8(0), []byte(`not json`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		build(t)
		q := loadQueries[int(which)%len(loadQueries)]
		raw := rawState{meta: template.meta, rows: map[string][]kv{}}
		for k, v := range template.rows {
			raw.rows[k] = append([]kv(nil), v...)
		}
		if len(raw.rows[q]) == 0 {
			raw.rows[q] = []kv{{"fuzz", data}}
		} else {
			raw.rows[q][0].v = data
		}
		w, simTime, sess, err := decodeState(raw)
		if err != nil {
			return // refused with an error: fine
		}
		if err := w.buildReleases(simTime); err != nil {
			t.Fatal(err)
		}
		// Simulate two days on the decoded state.
		t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		stopped := func() time.Time { return t0 }
		b := &Backend{cfg: Config{Now: stopped, Logf: func(string, ...any) {}}, w: w, sess: sess, wake: make(chan struct{}, 1)}
		b.clk = clock{real: stopped, realStart: t0, simStart: t0, speed: 1}
		b.rnd = newRand(1)
		b.scheduleAll()
		now := t0.Add(48 * time.Hour)
		for n := 0; len(b.events) > 0 && n < 5000; n++ {
			b.run(popEvent(b), now)
		}
	})
}

func lower(m fleet.Model) string {
	s := []byte(m)
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			s[i] = c + 32
		}
	}
	return string(s)
}
