package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// RecoveryFirmware is the firmware the Recovery page and the flash command offer: the cached
// releases built for a variant. A release whose image is in the cache is always listed (no network
// needed); one not downloaded yet is listed only while the backend answers, and loading it
// downloads it into the cache.
func (s *Session) RecoveryFirmware() recovery.FirmwareSource { return recoveryFirmware{s} }

// RecoveryLog keeps the flasher's service log entries in the cache, pending upload; they are
// uploaded at once when the backend answers, else by the next sync.
func (s *Session) RecoveryLog() recovery.ServiceLog { return recoveryLog{s} }

// ReleaseName is how a release reads in the firmware lists, e.g. "D180, GSM 2.4.0".
func ReleaseName(r rollout.Release) string {
	return r.Variant().String() + " " + r.Version
}

type recoveryFirmware struct{ s *Session }

func (f recoveryFirmware) Releases(v fleet.Variant) ([]recovery.CachedImage, error) {
	ctx := context.Background()
	rels, err := f.s.cache.Releases(ctx, v.Console)
	if err != nil {
		return nil, err
	}
	online := f.s.client != nil && f.s.Status().Online
	var out []recovery.CachedImage
	for _, r := range rels {
		if r.Variant() != v {
			continue
		}
		name := ReleaseName(r)
		switch _, _, err := f.s.cache.Image(ctx, r.ID); {
		case err == nil:
		case !errors.Is(err, cache.ErrNotCached):
			return nil, err
		case !online:
			continue
		default:
			name += " (download)"
		}
		id := r.ID
		out = append(out, recovery.CachedImage{Name: name, Version: r.Version, Variant: r.Variant(),
			Load: func() ([]byte, error) { return f.s.ReleaseImage(context.Background(), id) }})
	}
	return out, nil
}

type recoveryLog struct{ s *Session }

// recordTimeout bounds the upload Record tries at once: the flash is over, and the entry is safe
// in the cache, so a slow network must not hold the result back for long.
const recordTimeout = 15 * time.Second

func (l recoveryLog) Record(e recovery.ServiceLogEntry) error {
	if e.Result == "" {
		return errors.New("service log entry without a result")
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	err := l.s.RecordServiceLog(ctx, ServiceLogEntryOf(e, l.s.Actor().Email, l.s.Now()))
	if api.KindOf(err) != 0 {
		// The entry is in the cache; only the upload was refused, and the next sync tries again
		// (the status bar shows why). The technician's record is kept, which is what Record means.
		return nil
	}
	return err
}

// maxErrorText keeps a long failure text from bloating an upload (500 entries a request).
const maxErrorText = 1000

// ServiceLogEntryOf maps a flasher entry to the contract's. The ID is made from the attempt itself
// (time, port, unit, image, result), so recording the same attempt twice stores and uploads it
// once. technician is the signed-in account; now stands in for a missing time.
func ServiceLogEntryOf(e recovery.ServiceLogEntry, technician string, now time.Time) api.ServiceLogEntry {
	at := e.When
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	h := sha256.New()
	for _, p := range []string{strconv.FormatInt(at.UnixNano(), 10), e.Port, e.UnitSerial, e.Image, e.ImageHash, e.Result} {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	out := api.ServiceLogEntry{
		ID:            "svc-" + hex.EncodeToString(h.Sum(nil)[:16]),
		DeviceSerial:  e.UnitSerial,
		Model:         string(e.Variant.Engine),
		Transport:     string(e.Variant.Transport),
		Console:       string(e.Variant.Console),
		ImageVersion:  e.ImageVersion,
		ImageSHA256:   e.ImageHash,
		VersionBefore: e.VersionBefore,
		VersionAfter:  e.VersionAfter,
		Result:        e.Result,
		Technician:    technician,
		At:            at,
		Port:          e.Port,
		VariantSource: e.VariantSource,
		Image:         e.Image,
		Error:         truncateUTF8(e.Error, maxErrorText),
		Bytes:         max(e.Bytes, 0),
		DurationMS:    max(e.Duration.Milliseconds(), 0),
	}
	// JSON has no NaN or infinity: one would make the entry unstorable.
	if t := e.Throughput; t > 0 && !math.IsInf(t, 0) {
		out.Throughput = t
	}
	return out
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
