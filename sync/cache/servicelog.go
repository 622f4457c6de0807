package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
)

// The service_log table's pending column: where a record's upload stands.
const (
	logUploaded = 0
	logPending  = 1
	logRejected = 2 // the backend refused it: kept, shown, not sent until retried
)

// serviceLogRow is how a recovery.LogRecord is kept in the data column. Its JSON names are the
// ones earlier versions wrote (the contract's), so records queued by them still read and upload.
type serviceLogRow struct {
	ID            string    `json:"id"`
	DeviceSerial  string    `json:"device_serial"`
	Model         string    `json:"model"`
	Transport     string    `json:"transport"`
	ImageVersion  string    `json:"image_version"`
	ImageSHA256   string    `json:"image_sha256"`
	VersionBefore string    `json:"version_before"`
	VersionAfter  string    `json:"version_after"`
	Result        string    `json:"result"`
	Technician    string    `json:"technician"`
	At            time.Time `json:"at"`
	Console       string    `json:"console,omitempty"`
	Port          string    `json:"port,omitempty"`
	VariantSource string    `json:"variant_source,omitempty"`
	Image         string    `json:"image,omitempty"`
	Error         string    `json:"error,omitempty"`
	Bytes         int64     `json:"bytes,omitempty"`
	DurationMS    int64     `json:"duration_ms,omitempty"`
	Throughput    float64   `json:"throughput,omitempty"`
	Outcome       string    `json:"outcome,omitempty"`
	Proof         string    `json:"proof,omitempty"`
	Rejected      string    `json:"rejected,omitempty"`
}

func rowOf(r recovery.LogRecord) serviceLogRow {
	return serviceLogRow{ID: r.ID, DeviceSerial: r.UnitSerial, Model: string(r.Variant.Model),
		Transport: string(r.Variant.Transport), Console: string(r.Variant.Console), ImageVersion: r.ImageVersion,
		ImageSHA256: r.ImageHash, VersionBefore: r.VersionBefore, VersionAfter: r.VersionAfter, Result: r.Result,
		Technician: r.Technician, At: r.When, Port: r.Port, VariantSource: r.VariantSource, Image: r.Image,
		Error: r.Error, Bytes: r.Bytes, DurationMS: r.Duration.Milliseconds(), Throughput: r.Throughput,
		Outcome: r.Outcome.Code(), Proof: r.Proof, Rejected: r.Rejected}
}

func (w serviceLogRow) record() recovery.LogRecord {
	return recovery.LogRecord{ID: w.ID, Technician: w.Technician, Rejected: w.Rejected,
		ServiceLogEntry: recovery.ServiceLogEntry{When: w.At, Port: w.Port, UnitSerial: w.DeviceSerial,
			Variant:       fleet.Variant{Console: fleet.Console(w.Console), Model: fleet.Model(w.Model), Transport: fleet.Transport(w.Transport)},
			VariantSource: w.VariantSource, Image: w.Image, ImageVersion: w.ImageVersion, ImageHash: w.ImageSHA256,
			VersionBefore: w.VersionBefore, VersionAfter: w.VersionAfter, Result: w.Result, Error: w.Error,
			Bytes: w.Bytes, Duration: time.Duration(w.DurationMS) * time.Millisecond, Throughput: w.Throughput,
			Outcome: recovery.ParseOutcome(w.Outcome), Proof: w.Proof}}
}

func encodeRecord(r recovery.LogRecord) (string, error) {
	b, err := json.Marshal(rowOf(r))
	if err != nil {
		// A NaN, say: storing "" would poison every later read of the queue.
		return "", fmt.Errorf("cache: service log entry %s: %w", r.ID, err)
	}
	return string(b), nil
}

func (c *Cache) serviceLog(ctx context.Context, where string, args ...any) ([]recovery.LogRecord, error) {
	rows, err := queryJSON[serviceLogRow](ctx, c.r, "service log entry", "SELECT data FROM service_log "+where, args...)
	out := make([]recovery.LogRecord, len(rows))
	for i, w := range rows {
		out[i] = w.record()
	}
	return out, err
}

// AddServiceLog records an on-site recovery entry, pending upload. Adding the same ID twice keeps
// the first.
func (c *Cache) AddServiceLog(ctx context.Context, r recovery.LogRecord) error {
	if r.ID == "" {
		return errors.New("cache: a service log entry needs an id")
	}
	data, err := encodeRecord(r)
	if err != nil {
		return err
	}
	_, err = c.w.ExecContext(ctx, "INSERT OR IGNORE INTO service_log(id, at, pending, data) VALUES(?, ?, ?, ?)",
		r.ID, nanos(r.When), logPending, data)
	return err
}

// PendingServiceLog lists the entries waiting for upload, oldest first (rejected ones excepted).
func (c *Cache) PendingServiceLog(ctx context.Context) ([]recovery.LogRecord, error) {
	return c.serviceLog(ctx, "WHERE pending = ? ORDER BY at, id", logPending)
}

// RejectedServiceLog lists the entries the backend refused, oldest first.
func (c *Cache) RejectedServiceLog(ctx context.Context) ([]recovery.LogRecord, error) {
	return c.serviceLog(ctx, "WHERE pending = ? ORDER BY at, id", logRejected)
}

// ServiceLog lists every entry, newest first.
func (c *Cache) ServiceLog(ctx context.Context) ([]recovery.LogRecord, error) {
	return c.serviceLog(ctx, "ORDER BY at DESC, id")
}

// MarkUploaded clears the pending flag of the entries the backend accepted.
func (c *Cache) MarkUploaded(ctx context.Context, ids []string) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE service_log SET pending = ? WHERE id = ?", logUploaded, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RejectServiceLog quarantines an entry the backend refused, keeping its reason.
func (c *Cache) RejectServiceLog(ctx context.Context, r recovery.LogRecord, reason string) error {
	r.Rejected = reason
	data, err := encodeRecord(r)
	if err != nil {
		return err
	}
	_, err = c.w.ExecContext(ctx, "UPDATE service_log SET pending = ?, data = ? WHERE id = ? AND pending = ?",
		logRejected, data, r.ID, logPending)
	return err
}

// RequeueServiceLog puts a rejected entry back in the upload queue.
func (c *Cache) RequeueServiceLog(ctx context.Context, id string) error {
	list, err := c.serviceLog(ctx, "WHERE id = ? AND pending = ?", id, logRejected)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("cache: no rejected service log entry %s", id)
	}
	r := list[0]
	r.Rejected = ""
	data, err := encodeRecord(r)
	if err != nil {
		return err
	}
	_, err = c.w.ExecContext(ctx, "UPDATE service_log SET pending = ?, data = ? WHERE id = ? AND pending = ?",
		logPending, data, id, logRejected)
	return err
}

// DiscardServiceLog deletes a rejected entry; entries still queued or uploaded are not touched.
func (c *Cache) DiscardServiceLog(ctx context.Context, id string) error {
	res, err := c.w.ExecContext(ctx, "DELETE FROM service_log WHERE id = ? AND pending = ?", id, logRejected)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("cache: no rejected service log entry %s", id)
	}
	return nil
}
