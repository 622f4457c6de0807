package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fuzzDecode checks the one property every decoder must have: any input gives a value or an
// error, never a panic; what it accepts survives a round trip; and it agrees with the standard
// library's decoder, which Decode's faster one must never outdo in what it accepts or differ
// from in what it makes of it.
func fuzzDecode[T any](t *testing.T, data []byte) {
	var v T
	err := Decode(data, &v)
	var ref T
	refErr := json.Unmarshal(data, &ref)
	if err == nil && refErr != nil {
		t.Fatalf("accepted what the standard decoder refuses (%v)", refErr)
	}
	if err == nil && !reflect.DeepEqual(v, ref) {
		t.Fatalf("decoded otherwise than the standard decoder:\n%#v\n%#v", v, ref)
	}
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	again, err := json.Marshal(&v)
	if err != nil {
		t.Fatalf("accepted value does not encode: %v", err)
	}
	var w T
	if err := Decode(again, &w); err != nil {
		t.Fatalf("re-encoded value %s is refused: %v", again, err)
	}
	third, _ := json.Marshal(&w)
	if !bytes.Equal(again, third) {
		t.Fatalf("round trip changed the value:\n%s\n%s", again, third)
	}
}

func FuzzDecodeDevicePage(f *testing.F) {
	f.Add([]byte(`{"devices":[{"id":"GEN-1","model":"D100","gps":{"lat":1,"lon":2}}],"next_cursor":"e.5","has_more":true,"total":3}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[DevicePage](t, data) })
}

func FuzzDecodeTokenPair(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":900}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[TokenPair](t, data) })
}

func FuzzDecodeMe(f *testing.F) {
	f.Add([]byte(`{"id":"u1","email":"a@b.c","role":"dealer","dealer":"D1","dealer_name":"North"}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[Me](t, data) })
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add([]byte(`{"id":"c1","device_id":"GEN-1","action":"reboot","status":"queued","created_at":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[CommandList](t, data) })
}

func FuzzDecodeReleaseList(f *testing.F) {
	f.Add([]byte(`{"releases":[{"id":"r1","console":"unified","engine":"D100","transport":"gsm","version":"2.1.0","size":10}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[ReleaseList](t, data) })
}

func FuzzDecodeRolloutList(f *testing.F) {
	f.Add([]byte(`{"rollouts":[{"id":"ro1","status":"running","failure_threshold":{"units":2,"percent":5},"units":[{"device_id":"GEN-1","stage":"queued"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[RolloutList](t, data) })
}

func FuzzDecodeTokenList(f *testing.F) {
	f.Add([]byte(`{"tokens":[{"id":"t1","access":"read_only","devices":["GEN-1"],"expires_at":"2027-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode[TokenList](t, data) })
}

func FuzzDecodeError(f *testing.F) {
	f.Add([]byte(`{"error":{"code":"forbidden","message":"outside your scope"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ok := DecodeError(data)
		if ok && d.Code == "" {
			t.Fatal("accepted an error body without a code")
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if ok && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("ParseRetryAfter(%q) = %v", v, d)
		}
		if !ok && d != 0 {
			t.Fatalf("refused %q but returned %v", v, d)
		}
	})
}
