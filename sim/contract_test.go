package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/getkin/kin-openapi/openapi3filter"
)

func path(p string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		p = strings.Replace(p, "{"+kv[i]+"}", url.PathEscape(kv[i+1]), 1)
	}
	return p
}

// listAll pages through the whole device list and returns the devices and the last cursor.
func listAll(t testing.TB, c *client, since string, limit int) ([]fleet.Device, string, int) {
	t.Helper()
	var out []fleet.Device
	cursor := since
	total := -1
	for {
		q := url.Values{"limit": {itoa(limit)}}
		if cursor != "" {
			q.Set("since", cursor)
		}
		var page api.DevicePage
		c.mustJSON("GET", api.PathDevices+"?"+q.Encode(), nil, 200, &page)
		out = append(out, page.Devices...)
		cursor, total = page.NextCursor, page.Total
		if !page.HasMore {
			// A unit that changed while we paged shows up again later: the later copy wins.
			pos := map[string]int{}
			uniq := out[:0]
			for _, d := range out {
				if k, ok := pos[d.ID]; ok {
					uniq[k] = d
					continue
				}
				pos[d.ID] = len(uniq)
				uniq = append(uniq, d)
			}
			return uniq, cursor, total
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustUnmarshal(t testing.TB, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decoding %.200s: %v", raw, err)
	}
}

// pickTestDevice finds an online WiFi unit of the dealer that is not on the newest release of its
// variant, and that release.
func pickTestDevice(t testing.TB, c *client, devs []fleet.Device, exclude map[string]bool) (fleet.Device, rollout.Release) {
	t.Helper()
	var rl api.ReleaseList
	c.mustJSON("GET", api.PathReleases, nil, 200, &rl)
	newest := map[fleet.Variant]rollout.Release{}
	for _, r := range rl.Releases {
		if cur, ok := newest[r.Variant()]; !ok || r.CreatedAt.After(cur.CreatedAt) {
			newest[r.Variant()] = r
		}
	}
	// Prefer the variant with the most candidates, so a my_fleet rollout has units to go to.
	count := map[fleet.Variant]int{}
	for _, d := range devs {
		if d.Online && d.Transport == fleet.TransportWiFi && d.Firmware != newest[fleet.VariantOf(d)].Version {
			count[fleet.VariantOf(d)]++
		}
	}
	devs = append([]fleet.Device(nil), devs...)
	sort.SliceStable(devs, func(i, j int) bool { return count[fleet.VariantOf(devs[i])] > count[fleet.VariantOf(devs[j])] })
	for _, d := range devs {
		r := newest[fleet.VariantOf(d)]
		if d.Online && !exclude[d.ID] && d.Transport == fleet.TransportWiFi && d.Firmware != r.Version && len(d.Alarms) == 0 {
			return d, r
		}
	}
	t.Fatal("no candidate test device")
	return fleet.Device{}, rollout.Release{}
}

func getRollout(t testing.TB, c *client, id string) rollout.Rollout {
	var ro rollout.Rollout
	c.mustJSON("GET", path(api.PathRollout, "id", id), nil, 200, &ro)
	return ro
}

// TestContract runs a scripted session over every path of the contract, success and error
// answers, and validates every request and answer against openapi.yaml.
func TestContract(t *testing.T) {
	s := startSim(t, Config{Devices: 300, Dealers: 3, ManualClock: true, AccessTTL: simDayTTL, OTAFailureShare: 0})
	v := newValidator(t)
	c := newClient(t, s, v)
	d1, d2 := account(t, s, "dealer", "dlr-001"), account(t, s, "dealer", "dlr-002")
	adm := account(t, s, "admin", "")

	// Auth.
	c.mustErr("POST", api.PathLogin, api.LoginRequest{Email: d1.Email, Password: "wrong"}, 401, api.CodeUnauthorized)
	c.mustErr("POST", api.PathLogin, `{"email":`, 400, api.CodeBadRequest)
	c.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
	tp := c.login(d1)
	if tp.TokenType != "Bearer" || tp.ExpiresIn != int(simDayTTL/time.Second) {
		t.Errorf("token pair %+v", tp)
	}
	var tp2 api.TokenPair
	c.mustJSON("POST", api.PathRefresh, api.RefreshRequest{RefreshToken: tp.RefreshToken}, 200, &tp2)
	c.mustErr("POST", api.PathRefresh, api.RefreshRequest{RefreshToken: tp.RefreshToken}, 401, api.CodeUnauthorized)
	c.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized) // the old access token ended with its pair
	c.token = tp2.AccessToken
	var me api.Me
	c.mustJSON("GET", api.PathMe, nil, 200, &me)
	if me.Role != "dealer" || me.Dealer != "dlr-001" || me.DealerName == "" {
		t.Errorf("me = %+v", me)
	}

	// Devices.
	devs, cursor, total := listAll(t, c, "", 37)
	if len(devs) != total || total == 0 {
		t.Fatalf("listed %d devices, total %d", len(devs), total)
	}
	for _, d := range devs {
		if d.Dealer != "dlr-001" {
			t.Fatalf("dealer 1 saw %s of %s", d.ID, d.Dealer)
		}
	}
	c.mustErr("GET", api.PathDevices+"?limit=0", nil, 400, api.CodeBadRequest)
	c.mustErr("GET", api.PathDevices+"?since=nonsense", nil, 400, api.CodeBadRequest)
	c.mustErr("GET", api.PathDevices+"?since=deadbeef.5", nil, 410, api.CodeCursorExpired)
	// The event stream refuses the same cursors the listing does (its events: events_test.go).
	c.mustErr("GET", api.PathEvents+"?cursor=deadbeef.5", nil, 410, api.CodeCursorExpired)
	c.mustErr("GET", api.PathEvents, nil, 410, api.CodeCursorExpired, api.HeaderLastEventID, "deadbeef.5")
	var page api.DevicePage
	c.mustJSON("GET", api.PathDevices+"?since="+url.QueryEscape(cursor), nil, 200, &page)
	c.mustJSON("GET", path(api.PathDevice, "id", devs[0].ID), nil, 200, nil)
	c2 := newClient(t, s, v)
	c2.login(d2)
	other, _, _ := listAll(t, c2, "", 500)
	c.mustErr("GET", path(api.PathDevice, "id", other[0].ID), nil, 404, api.CodeNotFound)

	// Commands.
	target := devs[0]
	for _, d := range devs {
		if d.Online && d.RunState == fleet.RunStopped {
			target = d
			break
		}
	}
	var cmd, again fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", target.ID), api.CommandRequest{Action: fleet.ActionStart}, 201, &cmd, api.HeaderIdempotencyKey, "k-1")
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", target.ID), api.CommandRequest{Action: fleet.ActionStart}, 200, &again, api.HeaderIdempotencyKey, "k-1")
	if again.ID != cmd.ID {
		t.Errorf("a retried POST made a second command: %s and %s", cmd.ID, again.ID)
	}
	c.mustErr("POST", path(api.PathDeviceCommands, "id", target.ID), api.CommandRequest{Action: fleet.ActionStop}, 409, api.CodeConflict, api.HeaderIdempotencyKey, "k-1")
	c.mustErr("POST", path(api.PathDeviceCommands, "id", target.ID), `{"action":"explode"}`, 400, api.CodeBadRequest)
	c.mustErr("POST", path(api.PathDeviceCommands, "id", other[0].ID), api.CommandRequest{Action: fleet.ActionStop}, 404, api.CodeNotFound)
	var rl api.ReleaseList
	c.mustJSON("GET", api.PathReleases, nil, 200, &rl)
	var wrong rollout.Release
	for _, r := range rl.Releases {
		if r.Variant() != fleet.VariantOf(target) {
			wrong = r
			break
		}
	}
	c.mustErr("POST", path(api.PathDeviceCommands, "id", target.ID), api.CommandRequest{Action: fleet.ActionFWUpdate, ReleaseID: wrong.ID}, 400, api.CodeVariant)
	advanceUntil(t, s, 10*time.Minute, time.Second, "the start command to finish", func() bool {
		var got fleet.Command
		c.mustJSON("GET", path(api.PathCommand, "id", cmd.ID), nil, 200, &got)
		return got.Status.Final()
	})
	var hist api.CommandList
	c.mustJSON("GET", path(api.PathDeviceCommands, "id", target.ID), nil, 200, &hist)
	if len(hist.Commands) != 1 || hist.Commands[0].Status != fleet.CommandDone {
		t.Errorf("history %+v", hist.Commands)
	}
	c.mustErr("GET", path(api.PathCommand, "id", "cmd-9999999"), nil, 404, api.CodeNotFound)
	c.mustErr("GET", path(api.PathDeviceCommands, "id", other[0].ID), nil, 404, api.CodeNotFound)

	// Firmware.
	var uni api.ReleaseList
	c.mustJSON("GET", api.PathReleases+"?console=unified", nil, 200, &uni)
	if len(uni.Releases) == 0 || len(uni.Releases) >= len(rl.Releases) {
		t.Errorf("unified releases: %d of %d", len(uni.Releases), len(rl.Releases))
	}
	c.mustErr("GET", api.PathReleases+"?console=bogus", nil, 400, api.CodeBadRequest)
	st, img := c.do("GET", path(api.PathReleaseImage, "id", uni.Releases[0].ID), nil)
	sum := sha256.Sum256(img)
	if st != 200 || int64(len(img)) != uni.Releases[0].Size || hex.EncodeToString(sum[:]) != uni.Releases[0].SHA256 {
		t.Errorf("image: status %d, %d bytes (want %d), sha mismatch=%v", st, len(img), uni.Releases[0].Size, hex.EncodeToString(sum[:]) != uni.Releases[0].SHA256)
	}
	c.mustErr("GET", path(api.PathReleaseImage, "id", "rel-nope"), nil, 404, api.CodeNotFound)

	// Rollouts: validation first, then my_fleet; pause, resume, cancel.
	devs, _, _ = listAll(t, c, "", 500)
	td, rel := pickTestDevice(t, c, devs, nil)
	req := rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport, Target: rollout.TargetMyFleet}
	c.mustErr("POST", api.PathRollouts, req, 409, api.CodeValidationRequired)
	bad := req
	bad.Transport = map[fleet.Transport]fleet.Transport{fleet.TransportGSM: fleet.TransportWiFi, fleet.TransportWiFi: fleet.TransportGSM}[rel.Transport]
	bad.Target = rollout.DeviceTarget(td.ID)
	c.mustErr("POST", api.PathRollouts, bad, 400, api.CodeVariant)
	req.Target = rollout.DeviceTarget(other[0].ID)
	c.mustErr("POST", api.PathRollouts, req, 404, api.CodeNotFound)
	req.Target = rollout.DeviceTarget(td.ID)
	var ro rollout.Rollout
	c.mustJSON("POST", api.PathRollouts, req, 201, &ro)
	advanceUntil(t, s, 2*time.Hour, 5*time.Second, "the test device rollout to finish", func() bool {
		return getRollout(t, c, ro.ID).Status == rollout.StatusFinished
	})
	if got := getRollout(t, c, ro.ID); got.Units[0].Stage != rollout.StageConfirmed {
		t.Fatalf("test device ended %+v", got.Units[0])
	}
	req.Target = rollout.TargetMyFleet
	var fleetRo rollout.Rollout
	// The simulated clock stands still between steps, so the same seed always leaves the same units
	// eligible: no skip, the rest of the session (tokens, service log, admin, logout, coverage)
	// always runs.
	st, raw := c.do("POST", api.PathRollouts, req)
	if st != 201 {
		t.Fatalf("my_fleet rollout: %d %s", st, raw)
	}
	mustUnmarshal(t, raw, &fleetRo)
	c.mustJSON("POST", path(api.PathRolloutPause, "id", fleetRo.ID), nil, 200, nil)
	c.mustErr("POST", path(api.PathRolloutPause, "id", fleetRo.ID), nil, 409, api.CodeConflict)
	c.mustJSON("POST", path(api.PathRolloutResume, "id", fleetRo.ID), nil, 200, nil)
	var cancelled rollout.Rollout
	c.mustJSON("POST", path(api.PathRolloutCancel, "id", fleetRo.ID), nil, 200, &cancelled)
	if cancelled.Status != rollout.StatusCancelled {
		t.Errorf("status after cancel: %s", cancelled.Status)
	}
	var rlist api.RolloutList
	c.mustJSON("GET", api.PathRollouts, nil, 200, &rlist)
	if len(rlist.Rollouts) != 2 || rlist.Rollouts[0].ID != fleetRo.ID {
		t.Errorf("rollout list %d, first %v", len(rlist.Rollouts), rlist.Rollouts)
	}
	c.mustErr("GET", path(api.PathRollout, "id", "ro-99999"), nil, 404, api.CodeNotFound)
	c.mustErr("POST", path(api.PathRolloutResume, "id", "ro-99999"), nil, 404, api.CodeNotFound)
	c.mustErr("POST", path(api.PathRolloutCancel, "id", fleetRo.ID), nil, 409, api.CodeConflict)

	// Users and tokens.
	var users api.UserList
	c.mustJSON("GET", api.PathUsers, nil, 200, &users)
	owner := users.Users[0]
	var owned []string
	for _, d := range devs {
		if d.CustomerEmail == owner.Email {
			owned = append(owned, d.ID)
		}
	}
	var created token.Created
	c.mustJSON("POST", api.PathTokens, token.CreateRequest{UserID: owner.ID, Name: "pilot dashboard", Access: token.AccessReadOnly,
		Devices: owned[:1], ExpiresAt: time.Now().Add(24 * time.Hour)}, 201, &created)
	if created.Secret == "" || len(created.Token.Devices) != 1 {
		t.Errorf("created %+v", created.Token)
	}
	var users2 api.UserList
	c2.mustJSON("GET", api.PathUsers, nil, 200, &users2)
	c.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: users2.Users[0].ID, Name: "x", Access: token.AccessReadOnly, ExpiresAt: time.Now().Add(time.Hour)}, 403, api.CodeForbidden)
	c.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: owner.ID, Name: "x", Access: token.AccessControl, ExpiresAt: time.Now().Add(time.Hour)}, 400, api.CodeBadRequest)
	var tl api.TokenList
	c.mustJSON("GET", api.PathTokens, nil, 200, &tl)
	if len(tl.Tokens) != 1 {
		t.Errorf("tokens: %+v", tl.Tokens)
	}
	tc := c.as(created.Secret)
	var tme api.Me
	tc.mustJSON("GET", api.PathMe, nil, 200, &tme)
	tc.mustErr("POST", path(api.PathDeviceCommands, "id", owned[0]), api.CommandRequest{Action: fleet.ActionStart}, 403, api.CodeForbidden)
	tc.mustErr("GET", api.PathTokens, nil, 403, api.CodeForbidden)
	c.mustJSON("DELETE", path(api.PathToken, "id", created.Token.ID), nil, 204, nil)
	tc.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
	c2.mustErr("DELETE", path(api.PathToken, "id", created.Token.ID), nil, 404, api.CodeNotFound)

	// Service log.
	entry := api.ServiceLogEntry{ID: "svc-1", DeviceSerial: target.ID, Model: string(target.Model), Transport: string(target.Transport),
		ImageVersion: rel.Version, ImageSHA256: rel.SHA256, VersionBefore: "2.3.0", VersionAfter: rel.Version, Result: "ok",
		Technician: "tech@example.com", At: time.Now().UTC(), Outcome: "restarted_not_confirmed",
		Proof: "the bootloader lists slot 0 with the image's SHA-256; it reports no state flags"}
	var res api.ServiceLogResult
	c.mustJSON("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{entry}}, 200, &res)
	c.mustJSON("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{entry}}, 200, &res)
	if res.Accepted != 0 || res.Duplicates != 1 {
		t.Errorf("resend: %+v", res)
	}
	c.mustErr("POST", api.PathServiceLog, `{"entries":[]}`, 400, api.CodeBadRequest)
	odd := entry
	odd.ID, odd.Outcome = "svc-2", "rebooted"
	c.mustErr("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{odd}}, 400, api.CodeBadRequest)
	odd.Outcome, odd.Proof = "confirmed", strings.Repeat("p", api.MaxServiceLogProof+1)
	c.mustErr("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{odd}}, 400, api.CodeBadRequest)
	c.mustErr("POST", api.PathServiceLog, `{"entries":[{"id":"`+strings.Repeat("x", 2<<20)+`"}]}`, 400, api.CodeBadRequest)

	// Admin endpoints.
	c.mustErr("POST", api.PathAdminPush, api.GlobalPushRequest{ReleaseID: rel.ID}, 403, api.CodeForbidden)
	c.mustErr("POST", path(api.PathAdminOverride, "id", target.ID), api.OverrideRequest{Action: OverrideClearAlarms}, 403, api.CodeForbidden)
	ca := newClient(t, s, v)
	ca.login(adm)
	ca.mustJSON("POST", path(api.PathAdminOverride, "id", target.ID), api.OverrideRequest{Action: OverrideClearAlarms}, 200, nil)
	ca.mustErr("POST", path(api.PathAdminOverride, "id", "NOPE-1"), api.OverrideRequest{Action: OverrideClearAlarms}, 404, api.CodeNotFound)
	ca.mustErr("POST", path(api.PathAdminOverride, "id", target.ID), api.OverrideRequest{Action: "self_destruct"}, 400, api.CodeBadRequest)
	var push rollout.Rollout
	ca.mustJSON("POST", api.PathAdminPush, api.GlobalPushRequest{ReleaseID: uni.Releases[0].ID}, 202, &push)
	ca.mustErr("POST", api.PathAdminPush, api.GlobalPushRequest{ReleaseID: "rel-nope"}, 400, api.CodeBadRequest)

	// Sign out.
	var other2 api.TokenPair
	c.mustJSON("POST", api.PathLogin, api.LoginRequest{Email: d1.Email, Password: d1.Password}, 200, &other2)
	c.mustJSON("POST", api.PathLogout, api.RefreshRequest{RefreshToken: other2.RefreshToken}, 204, nil)
	c.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
	c.mustErr("POST", api.PathRefresh, api.RefreshRequest{RefreshToken: other2.RefreshToken}, 401, api.CodeUnauthorized)
	c.as(other2.AccessToken).mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
	c2.mustJSON("POST", api.PathLogout, nil, 204, nil)
	c.mustErr("POST", api.PathLogout, nil, 401, api.CodeUnauthorized)
	c.mustErr("GET", "/v1/nothing-here", nil, 404, api.CodeNotFound)

	// Every operation of the contract was exercised, and the error statuses too.
	statuses := map[int]bool{}
	for p, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			key := method + " " + p
			if len(v.seen[key]) == 0 {
				t.Errorf("the session never exercised %s", key)
			}
		}
	}
	for _, m := range v.seen {
		for st := range m {
			statuses[st] = true
		}
	}
	for _, want := range []int{200, 201, 202, 204, 400, 401, 403, 404, 409, 410} {
		if !statuses[want] {
			t.Errorf("the session never saw status %d", want)
		}
	}
}

// The validator has teeth: an answer that drifts from the contract is caught.
func TestContractValidatorCatchesDrift(t *testing.T) {
	s := startSim(t, Config{Devices: 10, Dealers: 1})
	v := newValidator(t)
	v.setServer(s.URL)
	req, _ := http.NewRequest("GET", s.URL+"/v1/devices/XP-00001", nil)
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	good := `{"id":"XP-00001","name":"n","customer_email":"a@b.example","model":"XPRO","console":"xpro","transport":"gsm","firmware_version":"1.9.0","online":true,"last_seen":"2026-01-01T00:00:00Z","run_state":"running","alarms":[],"dealer":"dlr-001","updated_at":"2026-01-01T00:00:00Z"}`
	for name, tc := range map[string]struct {
		status int
		body   string
		ok     bool
	}{
		"good":               {200, good, true},
		"missing alarms":     {200, strings.Replace(good, `"alarms":[],`, "", 1), false},
		"null alarms":        {200, strings.Replace(good, `"alarms":[]`, `"alarms":null`, 1), false},
		"unknown model":      {200, strings.Replace(good, `"XPRO"`, `"X Pro"`, 1), false},
		"extra field":        {200, strings.Replace(good, `{"id"`, `{"secret":"x","id"`, 1), false},
		"undocumented 418":   {418, `{"error":{"code":"internal","message":"m"}}`, false},
		"error shape":        {404, `{"error":{"code":"not_found","message":"m"}}`, true},
		"plain text 404":     {404, `not found`, false},
		"unknown error code": {404, `{"error":{"code":"nope","message":"m"}}`, false},
	} {
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: tc.status,
			Header: http.Header{"Content-Type": {"application/json"}}, Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes([]byte(tc.body))
		err := openapi3filter.ValidateResponse(context.Background(), out)
		if (err == nil) != tc.ok {
			t.Errorf("%s: valid=%v, want %v (%v)", name, err == nil, tc.ok, err)
		}
	}
}
