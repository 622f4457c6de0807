package syncer

import (
	"context"
	"errors"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// RecoveryFirmware is the firmware the Recovery page and the flash command offer: the releases
// built for a variant. A release whose image is in the cache loads with no network; one not
// downloaded yet is listed too, marked as a download while the backend answers and as needing a
// connection once while it does not, and loading it downloads it into the cache.
func (s *Replica) RecoveryFirmware() recovery.FirmwareSource { return recoveryFirmware{s} }

// The Recovery page finds its data side through this optional interface.
var _ session.Recovery = (*Replica)(nil)

// RecoveryLog keeps the flasher's service log entries in the cache, pending upload; they are
// uploaded at once when the backend answers, else by the next sync.
func (s *Replica) RecoveryLog() recovery.ServiceLog { return recoveryLog{s} }

// ReleaseName is how a release reads in the firmware lists, e.g. "D180, GSM 2.4.0".
func ReleaseName(r rollout.Release) string {
	return r.Variant().String() + " " + r.Version
}

type recoveryFirmware struct{ s *Replica }

func (f recoveryFirmware) Releases(v fleet.Variant) ([]recovery.CachedImage, error) {
	ctx := context.Background()
	rels, err := f.s.cache.Releases(ctx, v.Console)
	if err != nil {
		return nil, err
	}
	online := f.s.client != nil && f.s.Status().Reachable
	var out []recovery.CachedImage
	for _, r := range rels {
		if r.Variant() != v {
			continue
		}
		_, _, err := f.s.cache.Image(ctx, r.ID)
		if err != nil && !errors.Is(err, cache.ErrNotCached) {
			return nil, err
		}
		id := r.ID
		out = append(out, recovery.CachedImage{Name: ReleaseName(r), Version: r.Version, Variant: r.Variant(),
			Cached: err == nil, NeedsNetwork: err != nil && !online,
			Load: func() ([]byte, error) { return f.s.ReleaseImage(context.Background(), id) }})
	}
	return out, nil
}

type recoveryLog struct{ s *Replica }

// recordTimeout bounds the upload Record tries at once: the flash is over, and the entry is safe
// in the cache, so a slow network must not hold the result back for long.
const recordTimeout = 15 * time.Second

func (l recoveryLog) Record(e recovery.ServiceLogEntry) error {
	if e.Result == "" {
		return errors.New("service log entry without a result")
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	err := l.s.RecordServiceLog(ctx, recovery.NewLogRecord(e, l.s.Actor().Email, l.s.Now()))
	if api.KindOf(err) != 0 {
		// The entry is in the cache; only the upload was refused, and the next sync tries again
		// (the status bar shows why). The technician's record is kept, which is what Record means.
		return nil
	}
	return err
}

// RecoveryLogQueue is the service log records the backend refused, for the Recovery page to show
// with the backend's reason and to send again or discard.
func (s *Replica) RecoveryLogQueue() recovery.LogQueue { return logQueue{s} }

type logQueue struct{ s *Replica }

func (q logQueue) Rejected(ctx context.Context) ([]recovery.LogRecord, error) {
	return q.s.cache.RejectedServiceLog(ctx)
}

func (q logQueue) Retry(ctx context.Context, id string) error {
	if err := q.s.cache.RequeueServiceLog(ctx, id); err != nil {
		return err
	}
	if q.s.client != nil && q.s.Status().Reachable {
		if _, err := q.s.UploadServiceLog(ctx); err != nil && !isUnreachable(err) {
			return err
		}
	}
	return nil
}

func (q logQueue) Discard(ctx context.Context, id string) error {
	return q.s.cache.DiscardServiceLog(ctx, id)
}

// RecordServiceLog keeps an on-site recovery record in the cache (pending upload) and uploads the
// pending ones at once when the backend can be reached; offline, the next sync uploads them.
// Records need an ID made from the attempt (recovery.NewLogRecord): a resend is then not
// recorded twice.
func (s *Replica) RecordServiceLog(ctx context.Context, r recovery.LogRecord) error {
	if r.ID == "" {
		return errors.New("a service log record needs an id")
	}
	if err := s.cache.AddServiceLog(ctx, r); err != nil {
		return err
	}
	// Offline, the entry waits for the next sync rather than for another timeout here.
	if s.client != nil && s.Status().Reachable {
		if _, err := s.UploadServiceLog(ctx); err != nil && !isUnreachable(err) {
			return err
		}
	}
	return nil
}

// serviceLogBatch is the most entries one upload carries (the contract's limit).
const serviceLogBatch = 500

// UploadServiceLog sends the pending service log records, at most serviceLogBatch per request,
// marking each batch uploaded as the backend accepts it; it returns how many were sent. When the
// backend refuses a batch as a bad request, the batch goes again one record at a time: the ones
// it still refuses are quarantined with its reason (kept, shown on the Recovery page, not sent
// again until retried) and the rest goes on, so one bad record cannot block the log for good.
func (s *Replica) UploadServiceLog(ctx context.Context) (int, error) {
	if err := s.online(); err != nil {
		return 0, err
	}
	pending, err := s.cache.PendingServiceLog(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for len(pending) > 0 {
		batch := pending[:min(len(pending), serviceLogBatch)]
		pending = pending[len(batch):]
		n, err := s.uploadServiceLog(ctx, batch)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// uploadServiceLog sends one batch, splitting it when the backend refuses it.
func (s *Replica) uploadServiceLog(ctx context.Context, batch []recovery.LogRecord) (int, error) {
	wire := make([]api.ServiceLogEntry, len(batch))
	ids := make([]string, len(batch))
	for i, r := range batch {
		wire[i], ids[i] = WireServiceLogEntry(r), r.ID
	}
	_, err := s.client.UploadServiceLog(ctx, wire)
	switch {
	case err == nil:
		return len(batch), s.cache.MarkUploaded(ctx, ids)
	case api.KindOf(err) != api.KindRefused:
		s.noteErr(err)
		return 0, err
	case len(batch) == 1:
		return 0, s.cache.RejectServiceLog(ctx, batch[0], rejectionReason(err))
	}
	sent := 0
	for _, r := range batch {
		n, err := s.uploadServiceLog(ctx, []recovery.LogRecord{r})
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// rejectionReason is the backend's own words for a refusal, without the endpoint and status.
func rejectionReason(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) && ae.Message != "" {
		return ae.Message
	}
	return err.Error()
}

// ServiceLog lists the recorded entries, newest first (uploaded or not).
func (s *Replica) ServiceLog(ctx context.Context) ([]recovery.LogRecord, error) {
	return s.cache.ServiceLog(ctx)
}

// PendingServiceLog lists the entries waiting for upload (not those the backend refused).
func (s *Replica) PendingServiceLog(ctx context.Context) ([]recovery.LogRecord, error) {
	return s.cache.PendingServiceLog(ctx)
}

// WireServiceLogEntry is a record in the contract's form.
func WireServiceLogEntry(r recovery.LogRecord) api.ServiceLogEntry {
	return api.ServiceLogEntry{
		ID:            r.ID,
		DeviceSerial:  r.UnitSerial,
		Model:         string(r.Variant.Model),
		Transport:     string(r.Variant.Transport),
		Console:       string(r.Variant.Console),
		ImageVersion:  r.ImageVersion,
		ImageSHA256:   r.ImageHash,
		VersionBefore: r.VersionBefore,
		VersionAfter:  r.VersionAfter,
		Result:        r.Result,
		Technician:    r.Technician,
		At:            r.When.UTC(),
		Port:          r.Port,
		VariantSource: r.VariantSource,
		Image:         r.Image,
		Error:         r.Error,
		Bytes:         r.Bytes,
		DurationMS:    r.Duration.Milliseconds(),
		Throughput:    r.Throughput,
		Outcome:       r.Outcome.Code(),
		Proof:         r.Proof,
	}
}
