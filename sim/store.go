package sim

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/rollout"

	_ "modernc.org/sqlite" // the database/sql driver
)

// store keeps the world in SQLite. The in-memory world is authoritative; changes are written
// behind it about once a second and on Close, each batch in one transaction.
type store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dealers (idx INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (idx INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (idx INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (hash TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS service (k TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS validated (k TEXT PRIMARY KEY);
`

func openStore(path string) (*store, error) {
	// The path goes into a URI: escape what a URI would read as query or fragment.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	dsn := "file:" + esc + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sim: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sim: %s is not a usable fleetsim database: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// snapshot is what one flush writes, marshalled under the lock and written outside it.
type snapshot struct {
	meta      map[string]string
	dealers   map[int][]byte
	customers map[int][]byte
	devices   map[int][]byte
	commands  map[string][]byte
	rollouts  map[string][]byte
	tokens    map[string][]byte
	sessions  map[string][]byte // nil: leave as is
	service   map[string][]byte
	validated []string
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sim: marshal: " + err.Error()) // only our own plain structs get here
	}
	return b
}

// collect takes the changes since the last flush; b.mu must be held.
func (b *Backend) collect(all bool) *snapshot {
	w := b.w
	sn := &snapshot{
		meta: map[string]string{
			"epoch": w.epoch, "seed": strconv.FormatInt(w.seed, 10), "seq": strconv.FormatUint(w.seq, 10),
			"simtime": b.clk.now().Format(time.RFC3339Nano), "next_cmd": strconv.Itoa(w.nextCmd),
			"next_roll": strconv.Itoa(w.nextRoll), "next_tok": strconv.Itoa(w.nextTok),
		},
		dealers: map[int][]byte{}, customers: map[int][]byte{}, devices: map[int][]byte{},
		commands: map[string][]byte{}, rollouts: map[string][]byte{}, tokens: map[string][]byte{}, service: map[string][]byte{},
	}
	if all {
		for i, d := range w.dealers {
			sn.dealers[i] = mustJSON(d)
		}
		for i, c := range w.customers {
			sn.customers[i] = mustJSON(c.User)
		}
		for i := range w.devs {
			w.devs[i].dirty = true
		}
		w.dirtyDevs = w.dirtyDevs[:0]
		for i := range w.devs {
			w.dirtyDevs = append(w.dirtyDevs, int32(i))
		}
	}
	for _, i := range w.dirtyDevs {
		d := w.devs[i]
		d.dirty = false
		sn.devices[int(i)] = mustJSON(d)
	}
	w.dirtyDevs = w.dirtyDevs[:0]
	if !w.dirtyMisc && !all {
		return sn
	}
	w.dirtyMisc = false
	for id, c := range w.commands {
		if c.dirty || all {
			c.dirty = false
			sn.commands[id] = mustJSON(c)
		}
	}
	for id, ro := range w.rollouts {
		if ro.dirty || all {
			ro.dirty = false
			sn.rollouts[id] = mustJSON(ro)
		}
	}
	for id, t := range w.tokens {
		if t.dirty || all {
			t.dirty = false
			sn.tokens[id] = mustJSON(t)
		}
	}
	sn.sessions = map[string][]byte{}
	real := b.cfg.Now()
	for h, s := range b.sess {
		if real.After(s.Expires) {
			delete(b.sess, h) // expired sessions are dead weight
			continue
		}
		sn.sessions[h] = mustJSON(s)
	}
	for k, s := range w.service {
		if !s.saved {
			s.saved = true
			sn.service[k] = mustJSON(s)
		}
	}
	for k, ok := range w.validated {
		if ok {
			sn.validated = append(sn.validated, k)
		}
	}
	return sn
}

func (b *Backend) flush() error {
	b.mu.Lock()
	sn := b.collect(false)
	b.mu.Unlock()
	return b.store.write(sn)
}

func (s *store) saveAll(w *world, now time.Time) error {
	b := &Backend{w: w, sess: map[string]*session{}, cfg: Config{Now: func() time.Time { return now }}, clk: clock{real: func() time.Time { return now }, realStart: now, simStart: now, speed: 1}}
	return s.write(b.collect(true))
}

func (s *store) write(sn *snapshot) (err error) {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	exec := func(q string, args ...any) {
		if err == nil {
			_, err = tx.Exec(q, args...)
		}
	}
	for k, v := range sn.meta {
		exec(`INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)`, k, v)
	}
	putInt := func(table string, m map[int][]byte) {
		if len(m) == 0 || err != nil {
			return
		}
		var st *sql.Stmt
		st, err = tx.Prepare(`INSERT OR REPLACE INTO ` + table + `(idx, data) VALUES (?, ?)`)
		if err != nil {
			return
		}
		defer st.Close()
		for k, v := range m {
			if _, err = st.Exec(k, string(v)); err != nil {
				return
			}
		}
	}
	putStr := func(table, key string, m map[string][]byte) {
		for k, v := range m {
			exec(`INSERT OR REPLACE INTO `+table+`(`+key+`, data) VALUES (?, ?)`, k, string(v))
		}
	}
	putInt("dealers", sn.dealers)
	putInt("customers", sn.customers)
	putInt("devices", sn.devices)
	putStr("commands", "id", sn.commands)
	putStr("rollouts", "id", sn.rollouts)
	putStr("tokens", "id", sn.tokens)
	putStr("service", "k", sn.service)
	if sn.sessions != nil {
		exec(`DELETE FROM sessions`)
		putStr("sessions", "hash", sn.sessions)
	}
	for _, k := range sn.validated {
		exec(`INSERT OR IGNORE INTO validated(k) VALUES (?)`, k)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// load reads a saved world; a nil world means the database is new.
func (s *store) load() (*world, time.Time, map[string]*session, error) {
	raw, err := s.readRaw()
	if err != nil || raw.meta["epoch"] == "" {
		return nil, time.Time{}, nil, err
	}
	return decodeState(raw)
}

// readRaw reads every stored record into memory.
func (s *store) readRaw() (rawState, error) {
	raw := rawState{meta: map[string]string{}, rows: map[string][]kv{}}
	if err := s.each(`SELECT k, v FROM meta`, func(k string, v []byte) error { raw.meta[k] = string(v); return nil }); err != nil {
		return raw, fmt.Errorf("sim: reading the database: %w", err)
	}
	for _, q := range loadQueries {
		if err := s.each(q, func(k string, v []byte) error {
			raw.rows[q] = append(raw.rows[q], kv{k, append([]byte(nil), v...)})
			return nil
		}); err != nil {
			return raw, fmt.Errorf("sim: reading the database: %w", err)
		}
	}
	return raw, nil
}

// kv is one stored record.
type kv struct {
	k string
	v []byte
}

// rawState is the database read into memory, not yet decoded.
type rawState struct {
	meta map[string]string
	rows map[string][]kv // by query
}

const (
	qDealers   = `SELECT idx, data FROM dealers ORDER BY idx`
	qCustomers = `SELECT idx, data FROM customers ORDER BY idx`
	qDevices   = `SELECT idx, data FROM devices ORDER BY idx`
	qCommands  = `SELECT id, data FROM commands`
	qRollouts  = `SELECT id, data FROM rollouts ORDER BY id`
	qTokens    = `SELECT id, data FROM tokens`
	qSessions  = `SELECT hash, data FROM sessions`
	qService   = `SELECT k, data FROM service`
	qValidated = `SELECT k, '' FROM validated`
)

var loadQueries = []string{qDealers, qCustomers, qDevices, qCommands, qRollouts, qTokens, qSessions, qService, qValidated}

// decodeState rebuilds the world from stored records, refusing records that do not fit together.
func decodeState(raw rawState) (*world, time.Time, map[string]*session, error) {
	meta := raw.meta
	bad := func(what string, err error) error { return fmt.Errorf("sim: database has a bad %s: %v", what, err) }
	seed, err := strconv.ParseInt(meta["seed"], 10, 64)
	if err != nil {
		return nil, time.Time{}, nil, bad("seed", err)
	}
	w := newWorld(seed)
	w.epoch = meta["epoch"]
	w.seq, _ = strconv.ParseUint(meta["seq"], 10, 64)
	w.nextCmd, _ = strconv.Atoi(meta["next_cmd"])
	w.nextRoll, _ = strconv.Atoi(meta["next_roll"])
	w.nextTok, _ = strconv.Atoi(meta["next_tok"])
	simTime, _ := time.Parse(time.RFC3339Nano, meta["simtime"])

	load := func(q, what string, f func(k string, v []byte) error) error {
		for _, r := range raw.rows[q] {
			if err := f(r.k, r.v); err != nil {
				return bad(what, err)
			}
		}
		return nil
	}
	dealerIdx := map[string]int{}
	err = errors.Join(
		load(qDealers, "dealer", func(_ string, v []byte) error {
			d := &dealer{}
			if err := json.Unmarshal(v, d); err != nil {
				return err
			}
			d.Password = password(seed, d.Email)
			dealerIdx[d.ID] = len(w.dealers)
			w.dealers = append(w.dealers, d)
			return nil
		}),
		load(qCustomers, "customer", func(_ string, v []byte) error {
			c := &customer{}
			if err := json.Unmarshal(v, &c.User); err != nil {
				return err
			}
			w.byEmail[c.User.Email] = len(w.customers)
			w.customers = append(w.customers, c)
			return nil
		}),
		load(qDevices, "device", func(_ string, v []byte) error {
			d := &dev{}
			if err := json.Unmarshal(v, d); err != nil {
				return err
			}
			di, ok := dealerIdx[d.D.Dealer]
			if !ok || d.Customer < 0 || d.Customer >= len(w.customers) {
				return fmt.Errorf("device %s refers to an unknown dealer or customer", d.D.ID)
			}
			d.dealer = di
			if d.D.Alarms == nil {
				d.D.Alarms = []string{}
			}
			i := int32(len(w.devs))
			w.byID[d.D.ID] = i
			w.devs = append(w.devs, d)
			w.customers[d.Customer].devs = append(w.customers[d.Customer].devs, i)
			w.dealers[di].count++
			return nil
		}),
	)
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	// Rebuild the change logs in sequence order.
	order := make([]int32, len(w.devs))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(a, c int) bool { return w.devs[order[a]].Seq < w.devs[order[c]].Seq })
	w.makeLogs()
	for _, i := range order {
		d := w.devs[i]
		w.global.add(logEntry{seq: d.Seq, dev: i}, true, w.devs)
		w.logs[d.dealer].add(logEntry{seq: d.Seq, dev: i}, true, w.devs)
	}
	sess := map[string]*session{}
	err = errors.Join(
		load(qCommands, "command", func(_ string, v []byte) error {
			c := &command{}
			if err := json.Unmarshal(v, c); err != nil {
				return err
			}
			i, ok := w.byID[c.C.DeviceID]
			if !ok {
				return fmt.Errorf("command %s for unknown device", c.C.ID)
			}
			c.Dev = i
			w.commands[c.C.ID] = c
			w.devs[i].cmds = append(w.devs[i].cmds, c)
			if c.IdemKey != "" {
				w.idem[c.Actor+"\x00"+c.IdemKey] = c
			}
			return nil
		}),
		load(qRollouts, "rollout", func(_ string, v []byte) error {
			ro := &rolloutState{}
			if err := json.Unmarshal(v, ro); err != nil {
				return err
			}
			ro.unitIdx = map[string]int{}
			if ro.R.Units == nil {
				ro.R.Units = []rollout.UnitProgress{}
			}
			for k, u := range ro.R.Units {
				if _, ok := w.byID[u.DeviceID]; !ok {
					return fmt.Errorf("rollout %s has an unknown device", ro.R.ID)
				}
				ro.unitIdx[u.DeviceID] = k
				if u.Stage == rollout.StageInstalling || u.Stage == rollout.StageOnline {
					ro.InFlight++
				}
			}
			w.rollouts[ro.R.ID] = ro
			w.rollOrder = append(w.rollOrder, ro.R.ID)
			return nil
		}),
		load(qTokens, "token", func(_ string, v []byte) error {
			t := &tokenRec{}
			if err := json.Unmarshal(v, t); err != nil {
				return err
			}
			if t.Info.Devices == nil {
				t.Info.Devices = []string{}
			}
			t.devSet = map[string]bool{}
			for _, id := range t.Info.Devices {
				t.devSet[id] = true
			}
			w.tokens[t.Info.ID] = t
			w.tokByHash[t.Hash] = t
			return nil
		}),
		load(qSessions, "session", func(k string, v []byte) error {
			s := &session{}
			if err := json.Unmarshal(v, s); err != nil {
				return err
			}
			sess[k] = s
			return nil
		}),
		load(qService, "service log entry", func(k string, v []byte) error {
			r := &serviceRecord{saved: true}
			if err := json.Unmarshal(v, r); err != nil {
				return err
			}
			w.service[k] = r
			return nil
		}),
		load(qValidated, "validation", func(k string, _ []byte) error {
			w.validated[k] = true
			return nil
		}),
	)
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	return w, simTime, sess, nil
}

func (s *store) each(q string, f func(k string, v []byte) error) error {
	rows, err := s.db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if err := f(k, v); err != nil {
			return err
		}
	}
	return rows.Err()
}
