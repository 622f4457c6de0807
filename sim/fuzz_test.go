package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fleetdesk/fleetdesk/sync/api"
)

// FuzzParseCursor: any `since` value is either refused with a 400/410 or names a sequence that
// round-trips; never a panic.
func FuzzParseCursor(f *testing.F) {
	b, err := NewBackend(Config{Devices: 5, Dealers: 1, Seed: 3})
	if err != nil {
		f.Fatal(err)
	}
	defer b.Close()
	f.Add(b.w.epoch + ".12")
	f.Add("")
	f.Add("x.y")
	f.Add(".5")
	f.Add(b.w.epoch + ".18446744073709551616")
	f.Fuzz(func(t *testing.T, s string) {
		seq, err := b.parseCursor(s)
		if err != nil {
			ae, ok := err.(*apiError)
			if !ok || (ae.status != 400 && ae.status != 410) || ae.message == "" {
				t.Fatalf("parseCursor(%q): %v", s, err)
			}
			if len(ae.message) > 200 {
				t.Fatalf("error message echoes too much input: %d bytes", len(ae.message))
			}
			return
		}
		if s != "" {
			back, err := b.parseCursor(b.cursor(seq))
			if err != nil || back != seq {
				t.Fatalf("cursor %q → %d does not round-trip", s, seq)
			}
		}
	})
}

var fuzzPaths = []string{
	"POST " + api.PathLogin,
	"POST " + api.PathRefresh,
	"POST /v1/devices/XP-00001/commands",
	"POST " + api.PathRollouts,
	"POST " + api.PathTokens,
	"POST " + api.PathServiceLog,
	"POST " + api.PathAdminPush,
	"POST /v1/admin/devices/XP-00001/override",
	"GET /v1/devices?since=",
}

// FuzzRequestBodies sends arbitrary bodies (and query strings) to every endpoint that decodes
// input, signed in as a dealer: the answer is never a 5xx and always the contract's error shape
// when it is not a success.
func FuzzRequestBodies(f *testing.F) {
	var once sync.Once
	var b *Backend
	var tok string
	setup := func(t *testing.T) {
		once.Do(func() {
			var err error
			b, err = NewBackend(Config{Devices: 30, Dealers: 2, Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			acc := b.Accounts()[0]
			body, _ := json.Marshal(api.LoginRequest{Email: acc.Email, Password: acc.Password})
			rec := httptest.NewRecorder()
			b.Handler().ServeHTTP(rec, httptest.NewRequest("POST", api.PathLogin, bytes.NewReader(body)))
			var tp api.TokenPair
			if err := json.Unmarshal(rec.Body.Bytes(), &tp); err != nil {
				t.Fatal(err)
			}
			tok = tp.AccessToken
		})
	}
	defer func() {
		if b != nil {
			b.Close()
		}
	}()
	f.Add(uint8(2), `{"action":"start"}`)
	f.Add(uint8(2), `{"action":"fw_update","release_id":"rel-xpro-gsm-1.9.3"}`)
	f.Add(uint8(3), `{"console":"unified","release_id":"rel-d180-gsm-2.4.1","engine":"D180","transport":"gsm","target":"my_fleet"}`)
	f.Add(uint8(4), `{"user_id":"usr-00001","name":"n","access":"read_only","devices":["XP-00001"],"expires_at":"2030-01-01T00:00:00Z"}`)
	f.Add(uint8(5), `{"entries":[{"id":"a","device_serial":"x","result":"ok","at":"2026-01-01T00:00:00Z"}]}`)
	f.Add(uint8(0), `{"email":"dealer1@fleetsim.test","password":"x"}`)
	f.Add(uint8(8), `abc.12`)
	f.Add(uint8(1), `{"refresh_token":null}`)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		setup(t)
		method, target, _ := strings.Cut(fuzzPaths[int(which)%len(fuzzPaths)], " ")
		var req *http.Request
		if method == "GET" {
			req = httptest.NewRequest(method, "/v1/devices", nil)
			q := req.URL.Query()
			q.Set("since", body)
			req.URL.RawQuery = q.Encode()
		} else {
			req = httptest.NewRequest(method, target, strings.NewReader(body))
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", method, target, body, rec.Code, rec.Body)
		}
		if rec.Code >= 300 {
			var eb api.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s %s → %d without the error shape: %s", method, target, rec.Code, rec.Body)
			}
		} else if !json.Valid(rec.Body.Bytes()) && rec.Code != 204 {
			t.Fatalf("%s %s → %d with invalid JSON", method, target, rec.Code)
		}
	})
}
