package recovery

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// LogRecord is a service log entry as FleetDesk keeps it until the backend has it: the attempt,
// who made it, and where its upload stands. The cache stores it; sync/api has the wire form.
type LogRecord struct {
	ServiceLogEntry
	// ID is made from the attempt itself (time, port, unit, image, result), so recording the
	// same attempt twice stores and uploads it once.
	ID         string
	Technician string // the signed-in user account
	// Rejected is the backend's reason when it refused this record. A rejected record is kept
	// and shown (quarantined) and is not sent again until the technician retries or discards
	// it, so it never holds back the records after it.
	Rejected string
}

// maxErrorText keeps a long failure text from bloating an upload (500 records a request).
const maxErrorText = 1000

// NewLogRecord makes the record of an attempt: its ID, the technician, a time (now when the entry
// has none) and figures JSON can carry (no NaN or infinity, no negative counts).
func NewLogRecord(e ServiceLogEntry, technician string, now time.Time) LogRecord {
	if e.When.IsZero() {
		e.When = now
	}
	e.When = e.When.UTC()
	h := sha256.New()
	for _, p := range []string{strconv.FormatInt(e.When.UnixNano(), 10), e.Port, e.UnitSerial, e.Image, e.ImageHash, e.Result} {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	e.Error = truncateUTF8(e.Error, maxErrorText)
	e.Bytes = max(e.Bytes, 0)
	e.Duration = max(e.Duration, 0)
	if t := e.Throughput; !(t > 0) || math.IsInf(t, 0) {
		e.Throughput = 0
	}
	return LogRecord{ServiceLogEntry: e, ID: "svc-" + hex.EncodeToString(h.Sum(nil)[:16]), Technician: technician}
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
