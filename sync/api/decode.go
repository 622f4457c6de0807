package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
)

// Validator is implemented by envelopes that can check what JSON alone cannot: a device without
// an ID is as useless to the cache as a syntax error.
type Validator interface {
	Validate() error
}

// Decode parses one response body into out. It is the single decoder of backend JSON: it refuses
// trailing data, wrong types and envelopes that fail Validate, and never panics.
func Decode(body []byte, out any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("empty body where JSON was expected")
	}
	// A full sync decodes 100,000 device records and the event stream a thousand a second: the
	// standard decoder alone was the largest cost of both (4 ms a page of 1,000, a third of a
	// first sync's CPU). go-json decodes the same shapes four to five times faster. The standard
	// decoder stays the reference: whatever go-json refuses (or panics on) is decoded again by it
	// from the value the caller passed, so an accepted body is accepted by both and every error is worded by the
	// standard library. FuzzDecodeAgreesWithStd holds the two to the same results.
	restore := keep(out)
	if !fastDecode(body, out) {
		restore()
		// Unmarshal reads body in place (a Decoder would copy every page into its own buffer)
		// and refuses anything after the value.
		if err := json.Unmarshal(body, out); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) && strings.Contains(se.Error(), "after top-level value") {
				return fmt.Errorf("malformed JSON: unexpected data after the JSON value")
			}
			return fmt.Errorf("malformed JSON: %w", err)
		}
	}
	if v, ok := out.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("invalid response: %w", err)
		}
	}
	return nil
}

// fastDecode decodes body into out with go-json; false when it refused the body or panicked (out
// may then hold part of it).
func fastDecode(body []byte, out any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return gojson.Unmarshal(body, out) == nil
}

// keep saves what out points to and returns what puts it back, so a second decode starts from what
// the caller passed in rather than from what a failed one left.
func keep(out any) (restore func()) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return func() {}
	}
	saved := reflect.New(v.Elem().Type()).Elem()
	saved.Set(v.Elem())
	return func() { v.Elem().Set(saved) }
}

// DecodeError parses an error answer; ok is false when the body is not the contract's error shape
// (a proxy's HTML page, say).
func DecodeError(body []byte) (ErrorDetail, bool) {
	var eb ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
		return ErrorDetail{}, false
	}
	return eb.Error, true
}

// ParseRetryAfter reads a Retry-After header (delta-seconds or an HTTP date), clamped to a day; ok
// is false when it is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return min(time.Duration(min(n, maxRetryAfterSeconds))*time.Second, maxRetryAfter), true
	}
	if t, err := time.Parse(time.RFC1123, v); err == nil {
		// A date decades away must not overflow into a negative wait: clamp it to a day, which
		// is far beyond what any caller waits anyway.
		d := t.Sub(now)
		return min(max(d, 0), maxRetryAfter), true
	}
	return 0, false
}

const (
	maxRetryAfter        = 24 * time.Hour
	maxRetryAfterSeconds = int64(maxRetryAfter / time.Second)
)

// Validate checks that every device names itself.
func (p *DevicePage) Validate() error {
	for i := range p.Devices {
		if p.Devices[i].ID == "" {
			return fmt.Errorf("device %d of the page has no id", i)
		}
	}
	for i, id := range p.Removed {
		if id == "" {
			return fmt.Errorf("removed entry %d is empty", i)
		}
	}
	if p.HasMore && p.NextCursor == "" {
		return fmt.Errorf("has_more is set but next_cursor is empty")
	}
	if p.Total < 0 {
		return fmt.Errorf("negative total %d", p.Total)
	}
	return nil
}

// Validate checks that a sign-in answer carries the tokens it promises.
func (t *TokenPair) Validate() error {
	if t.AccessToken == "" {
		return fmt.Errorf("no access_token")
	}
	if t.ExpiresIn < 0 {
		return fmt.Errorf("negative expires_in")
	}
	return nil
}

// Validate checks that every release names itself.
func (l *ReleaseList) Validate() error {
	for i, r := range l.Releases {
		if r.ID == "" {
			return fmt.Errorf("release %d has no id", i)
		}
	}
	return nil
}

// Validate checks that every rollout names itself.
func (l *RolloutList) Validate() error {
	for i, r := range l.Rollouts {
		if r.ID == "" {
			return fmt.Errorf("rollout %d has no id", i)
		}
	}
	return nil
}

// Validate checks that every token names itself.
func (l *TokenList) Validate() error {
	for i, t := range l.Tokens {
		if t.ID == "" {
			return fmt.Errorf("token %d has no id", i)
		}
	}
	return nil
}

// Validate checks that every command names itself.
func (l *CommandList) Validate() error {
	for i, c := range l.Commands {
		if c.ID == "" {
			return fmt.Errorf("command %d has no id", i)
		}
	}
	return nil
}
