package sim

import (
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/sync/api"
)

// The flasher's full entry (port, variant source, error, bytes, timing) passes the contract
// validator, is stored field for field, and a unit that did not identify itself (no serial) is
// accepted too; negative figures are refused by both the contract and the backend.
func TestContractServiceLogFields(t *testing.T) {
	s := startSim(t, Config{Devices: 40, Dealers: 1})
	v := newValidator(t)
	c := newClient(t, s, v)
	d := account(t, s, "dealer", "")
	c.login(d)

	at := time.Date(2026, 11, 25, 14, 3, 7, 120_000_000, time.UTC)
	full := api.ServiceLogEntry{ID: "svc-full", DeviceSerial: "SIM-D180-0001", Model: "D180", Transport: "gsm",
		ImageVersion: "2.4.0", ImageSHA256: "ab12", VersionBefore: "2.3.0", VersionAfter: "2.4.0", Result: "ok",
		Technician: d.Email, At: at, Console: "unified", Port: "/dev/ttyUSB0", VariantSource: "unit",
		Image: "d180-gsm-2.4.0.bin", Bytes: 65657, DurationMS: 9120, Throughput: 7421.5}
	anon := api.ServiceLogEntry{ID: "svc-anon", Model: "V5", Transport: "wifi", Result: "refused", At: at.Add(time.Minute),
		Console: "unified", VariantSource: "technician", Image: "v5.bin",
		Error: "image is for D180, GSM; the unit was named V5, WiFi"}
	var res api.ServiceLogResult
	c.mustJSON("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{full, anon}}, 200, &res)
	if res.Accepted != 2 || res.Duplicates != 0 {
		t.Fatalf("upload: %+v", res)
	}
	got := map[string]api.ServiceLogEntry{}
	for _, e := range s.Backend().ServiceLog(d.Dealer) {
		got[e.ID] = e
	}
	for _, want := range []api.ServiceLogEntry{full, anon} {
		g, ok := got[want.ID]
		if !ok {
			t.Errorf("%s not stored", want.ID)
			continue
		}
		if !g.At.Equal(want.At) {
			t.Errorf("%s: at %v, want %v", want.ID, g.At, want.At)
		}
		g.At = want.At
		if g != want {
			t.Errorf("stored %+v\nwant   %+v", g, want)
		}
	}

	neg := full
	neg.ID, neg.Bytes = "svc-neg", -1
	c.mustErr("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{neg}}, 400, api.CodeBadRequest)
	neg.Bytes, neg.Throughput = 1, -3
	c.mustErr("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{neg}}, 400, api.CodeBadRequest)
	c.mustErr("POST", api.PathServiceLog, `{"entries":[{"id":"x","device_serial":"","model":"D180","transport":"gsm","image_version":"",`+
		`"image_sha256":"","version_before":"","version_after":"","result":"ok","technician":"","at":"2026-01-01T00:00:00Z","flavour":"x"}]}`,
		400, api.CodeBadRequest)
	if n := len(s.Backend().ServiceLog(d.Dealer)); n != 2 {
		t.Errorf("%d entries stored after refused uploads, want 2", n)
	}
}
