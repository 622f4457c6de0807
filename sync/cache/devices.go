package cache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// Batch is one page of a sync, written in one transaction together with the cursor that follows
// it: after a crash the cache holds either all of it or none of it.
type Batch struct {
	Devices  []fleet.Device
	Removed  []string
	Cursor   string    // the cursor to resume from after this batch
	Total    int       // devices in scope, for progress on the next start
	Complete time.Time // non-zero on the last page: the time of this good sync (backend time)
	// State is the backend state the cursor belongs to (the Fleet-Backend-State header; "" from a
	// backend without it): a later answer from another state means the cursor is worthless.
	State string
	// ClockOffset, with Complete and ClockKnown, is how far the backend's clock was ahead of this
	// PC's at the sync, kept so a fleet reviewed offline is aged on the backend's clock.
	ClockOffset time.Duration
	ClockKnown  bool
	// Commands and Rollouts go into the command log and the rollouts in the same transaction: a
	// live delta of the event stream is applied whole, with the cursor after it, or not at all.
	// Each rollout is stored whole (the caller merged the stream's units into it).
	Commands []fleet.Command
	Rollouts []rollout.Rollout
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

const upsertHead = `INSERT INTO devices(id, name, customer_email, model, console, transport, firmware, online, last_seen, run_state, alarms, dealer, updated_at, lat, lon, fix_time) VALUES`

const upsertTail = `
ON CONFLICT(id) DO UPDATE SET name = excluded.name, customer_email = excluded.customer_email, model = excluded.model,
 console = excluded.console, transport = excluded.transport, firmware = excluded.firmware, online = excluded.online,
 last_seen = excluded.last_seen, run_state = excluded.run_state, alarms = excluded.alarms, dealer = excluded.dealer,
 updated_at = excluded.updated_at, lat = excluded.lat, lon = excluded.lon, fix_time = excluded.fix_time`

const deviceCols = 16

// upsertChunk rows go in one statement: each statement costs a trip through the driver, so 64
// rows at a time write a page several times faster than one by one.
const upsertChunk = 64

func upsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(upsertHead)
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", deviceCols), ",") + ")"
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(upsertTail)
	return b.String()
}

var upsertOne, upsertMany = upsertSQL(1), upsertSQL(upsertChunk)

// deviceValues sets the 16 values of d's row into vals (deviceCols long), as the driver takes
// them: the statement's parameters are set straight into the driver's own argument type.
func deviceValues(vals []driver.NamedValue, d *fleet.Device) {
	alarms := ""
	if len(d.Alarms) > 0 {
		a, _ := json.Marshal(d.Alarms)
		alarms = string(a)
	}
	var lat, lon, fix driver.Value
	if d.GPS != nil {
		lat, lon, fix = d.GPS.Lat, d.GPS.Lon, nanos(d.GPS.FixTime)
	}
	vals[0].Value, vals[1].Value, vals[2].Value = d.ID, d.Name, d.CustomerEmail
	vals[3].Value, vals[4].Value, vals[5].Value = string(d.Model), string(d.Console), string(d.Transport)
	vals[6].Value, vals[7].Value, vals[8].Value = d.Firmware, d.Online, nanos(d.LastSeen)
	vals[9].Value, vals[10].Value, vals[11].Value = string(d.RunState), alarms, d.Dealer
	vals[12].Value, vals[13].Value, vals[14].Value, vals[15].Value = nanos(d.UpdatedAt), lat, lon, fix
}

// ApplyBatch writes one sync page atomically.
func (c *Cache) ApplyBatch(ctx context.Context, b Batch) error {
	// The writer's one connection: the devices go through its driver connection (see
	// upsertDevices), the rest through the transaction begun on it.
	conn, err := c.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cache: starting the sync transaction: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cache: starting the sync transaction: %w", err)
	}
	defer tx.Rollback()
	if len(b.Devices) > 0 {
		if err := conn.Raw(func(dc any) error { return upsertDevices(ctx, dc, b.Devices) }); err != nil {
			return err
		}
	}
	if len(b.Removed) > 0 {
		rst, err := tx.PrepareContext(ctx, "DELETE FROM devices WHERE id = ?")
		if err != nil {
			return err
		}
		defer rst.Close()
		for _, id := range b.Removed {
			if _, err := rst.ExecContext(ctx, id); err != nil {
				return fmt.Errorf("cache: removing device %s: %w", id, err)
			}
		}
	}
	for _, cmd := range b.Commands {
		if err := recordCommand(ctx, tx, cmd); err != nil {
			return err
		}
	}
	for _, r := range b.Rollouts {
		if err := putRollout(ctx, tx, r); err != nil {
			return err
		}
	}
	set := func(k, v string) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", k, v)
		return err
	}
	if err := set(keyCursor, b.Cursor); err != nil {
		return err
	}
	if err := set(keyTotal, strconv.Itoa(b.Total)); err != nil {
		return err
	}
	if err := set(keyState, b.State); err != nil {
		return err
	}
	if !b.Complete.IsZero() {
		if err := set(keyLastSync, b.Complete.UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
		if b.ClockKnown {
			if err := set(keyClockOffset, strconv.FormatInt(int64(b.ClockOffset), 10)); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cache: committing the sync batch: %w", err)
	}
	return nil
}

// upsertDevices writes devs on the driver connection dc, inside the transaction the caller began
// on it. It bypasses database/sql, whose argument checks copied every value of every statement
// into a slice of their own: a first sync of 100,000 units was 90 MB of that garbage, collected
// while the writer ran. The values are set straight into one reused driver argument slice.
func upsertDevices(ctx context.Context, dc any, devs []fleet.Device) error {
	for i := range devs {
		if devs[i].ID == "" {
			return fmt.Errorf("cache: a device without an id")
		}
	}
	conn, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("cache: the SQLite driver's connection (%T) cannot prepare with a context", dc)
	}
	vals := make([]driver.NamedValue, upsertChunk*deviceCols)
	for i := range vals {
		vals[i].Ordinal = i + 1
	}
	exec := func(query string, rows []fleet.Device) error {
		st, err := conn.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("cache: preparing the device upsert: %w", err)
		}
		defer st.Close()
		run, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("cache: the SQLite driver's statement (%T) cannot execute with a context", st)
		}
		per := len(vals) / deviceCols
		if query == upsertOne {
			per = 1
		}
		for len(rows) >= per {
			for i := 0; i < per; i++ {
				deviceValues(vals[i*deviceCols:(i+1)*deviceCols], &rows[i])
			}
			if _, err := run.ExecContext(ctx, vals[:per*deviceCols]); err != nil {
				if per == 1 {
					return fmt.Errorf("cache: writing device %s: %w", rows[0].ID, err)
				}
				return fmt.Errorf("cache: writing devices %s..%s: %w", rows[0].ID, rows[per-1].ID, err)
			}
			rows = rows[per:]
		}
		return nil
	}
	many := len(devs) / upsertChunk * upsertChunk
	if many > 0 {
		if err := exec(upsertMany, devs[:many]); err != nil {
			return err
		}
	}
	if many < len(devs) {
		return exec(upsertOne, devs[many:])
	}
	return nil
}

// MarkSynced records a good sync that brought no device changes.
func (c *Cache) MarkSynced(ctx context.Context, at time.Time) error {
	return c.SetMeta(ctx, keyLastSync, at.UTC().Format(time.RFC3339Nano))
}

const selectDevices = `SELECT id, name, customer_email, model, console, transport, firmware, online, last_seen,
 run_state, alarms, dealer, updated_at, lat, lon, fix_time FROM devices`

// LoadDevices reads every cached device, ordered by ID (the order fleet.NewIndex wants). Big
// caches are read in two ID ranges at once, one per reader connection, inside one snapshot-free
// window: nothing writes while a session opens.
func (c *Cache) LoadDevices(ctx context.Context) ([]fleet.Device, error) {
	var n int
	if err := c.r.QueryRowContext(ctx, "SELECT count(*) FROM devices").Scan(&n); err != nil {
		return nil, fmt.Errorf("cache: counting devices: %w", err)
	}
	if n < 20000 || runtime.GOMAXPROCS(0) < 2 {
		return c.loadRange(ctx, "", "", make([]fleet.Device, 0, n))
	}
	var mid string
	if err := c.r.QueryRowContext(ctx, "SELECT id FROM devices ORDER BY id LIMIT 1 OFFSET ?", n/2).Scan(&mid); err != nil {
		return nil, fmt.Errorf("cache: reading devices: %w", err)
	}
	// Both halves fill one array, so 100,000 devices are not copied (and briefly held twice) to
	// join them; a half that outgrows its part (a write since the count) is joined by copying.
	all := make([]fleet.Device, n)
	var low []fleet.Device
	var lowErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		low, lowErr = c.loadRange(ctx, "", mid, all[:0:n/2])
	}()
	high, err := c.loadRange(ctx, mid, "", all[n/2:n/2])
	<-done
	if err != nil {
		return nil, err
	}
	if lowErr != nil {
		return nil, lowErr
	}
	if len(low) == n/2 && &low[0] == &all[0] && (len(high) == 0 || &high[0] == &all[n/2]) {
		return all[:n/2+len(high)], nil
	}
	return append(slices.Clip(low), high...), nil
}

// loadRange appends the devices with from <= id < to ("" leaves that end open) to out.
func (c *Cache) loadRange(ctx context.Context, from, to string, out []fleet.Device) ([]fleet.Device, error) {
	q, args := selectDevices, []any{}
	switch {
	case from != "" && to != "":
		q, args = q+" WHERE id >= ? AND id < ?", []any{from, to}
	case from != "":
		q, args = q+" WHERE id >= ?", []any{from}
	case to != "":
		q, args = q+" WHERE id < ?", []any{to}
	}
	rows, err := c.r.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("cache: reading devices: %w", err)
	}
	defer rows.Close()
	// One backing array for all positions: 100,000 small allocations cost more than the scan.
	positions := make([]fleet.Position, 0, cap(out)-len(out))
	in := interner{}
	for rows.Next() {
		var d fleet.Device
		var model, console, transport, runState, alarms, dealer, firmware string
		var online int
		var lastSeen, updated int64
		var lat, lon sql.NullFloat64
		var fix sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Name, &d.CustomerEmail, &model, &console, &transport, &firmware, &online, &lastSeen,
			&runState, &alarms, &dealer, &updated, &lat, &lon, &fix); err != nil {
			return nil, fmt.Errorf("cache: reading a device: %w", err)
		}
		// The few distinct values of these columns share one string each, so 100,000 devices do
		// not keep 100,000 copies of "unified" alive.
		d.Model, d.Console, d.Transport = fleet.Model(in.get(model)), fleet.Console(in.get(console)), fleet.Transport(in.get(transport))
		d.RunState, d.Dealer, d.Firmware = fleet.RunState(in.get(runState)), in.get(dealer), in.get(firmware)
		d.Online = online != 0
		d.LastSeen, d.UpdatedAt = fromNanos(lastSeen), fromNanos(updated)
		if alarms != "" {
			if err := json.Unmarshal([]byte(alarms), &d.Alarms); err != nil {
				return nil, fmt.Errorf("cache: device %s has unreadable alarms: %w", d.ID, err)
			}
		}
		if lat.Valid && lon.Valid {
			positions = append(positions, fleet.Position{Lat: lat.Float64, Lon: lon.Float64, FixTime: fromNanos(fix.Int64)})
			d.GPS = &positions[len(positions)-1]
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cache: reading devices: %w", err)
	}
	return out, nil
}

type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	if len(in) < 4096 {
		in[s] = s
	}
	return s
}

// countDevices is the number of cached devices.
func (c *Cache) countDevices(ctx context.Context) (int, error) {
	var n int
	err := c.r.QueryRowContext(ctx, "SELECT count(*) FROM devices").Scan(&n)
	return n, err
}
