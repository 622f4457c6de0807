package rollout

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

func TestSortReleasesNewestVersionFirstThenNewestCreated(t *testing.T) {
	mk := func(id, v string, age time.Duration) Release {
		return Release{ID: id, Version: v, CreatedAt: t0.Add(-age)}
	}
	rs := []Release{mk("a", "2.3.0", 0), mk("b", "2.10.0", 5*time.Hour), mk("c", "2.4.1", time.Hour),
		mk("d", "2.10.0", time.Hour), mk("e", "2.9.9", 0)}
	SortReleases(rs)
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "d,b,e,c,a" {
		t.Fatalf("order %s, want d,b,e,c,a", got)
	}
}

func TestDurationReadsAsPeopleWriteIt(t *testing.T) {
	for d, want := range map[time.Duration]string{
		6 * time.Hour: "6 h", 90 * time.Minute: "1 h 30 min", 45 * time.Second: "45 s", 0: "0 s",
		48*time.Hour + 3*time.Minute: "2 d 3 min", 10 * time.Minute: "10 min", -time.Second: "0 s",
		29*time.Minute + 59*time.Second: "29 min", 2*time.Minute + 5*time.Second: "2 min 5 s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCheckRequestRefusesWhatTheRulesForbid(t *testing.T) {
	r := rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	ix := fleet.NewIndex(mixedFleet()) // d180g-new already runs 2.4.1 and is online
	updated := Evidence{Commands: []fleet.Command{{DeviceID: "d180g-new", Action: fleet.ActionFWUpdate, ReleaseID: r.ID, Status: fleet.CommandDone}}}
	shipped := Evidence{Commands: []fleet.Command{{DeviceID: "d180g-new", Action: fleet.ActionFWUpdate, ReleaseID: r.ID,
		Status: fleet.CommandDone, Error: "already on 2.4.1"}}}
	req := func(target Target) CreateRequest {
		c := CreateRequest{Console: r.Console, ReleaseID: r.ID, Model: r.Model, Transport: r.Transport,
			Target: target, Threshold: DefaultThreshold}
		if target == TargetMyFleet {
			c.Devices = []string{"d180g-00", "d180g-01", "d180g-02"}
		}
		return c
	}
	withUnits := func(ids ...string) CreateRequest {
		c := req(TargetMyFleet)
		c.Devices = ids
		return c
	}
	unvalidated := fleet.NewIndex(mixedFleet()[:10])
	wrongVariant := req(DeviceTarget("d180g-00"))
	wrongVariant.Transport = fleet.TransportWiFi
	customer := scope.Actor{UserID: "c", Role: scope.RoleCustomer, Dealer: "dl-1"}
	cases := []struct {
		name  string
		req   CreateRequest
		ix    *fleet.Index
		actor scope.Actor
		want  string
		ev    Evidence
	}{
		{"test device of the variant", req(DeviceTarget("d180g-00")), ix, dealer, "", Evidence{}},
		{"test device of another transport", req(DeviceTarget("d180w-00")), ix, dealer, "is a D180, WiFi unit", Evidence{}},
		{"test device of another engine", req(DeviceTarget("d100g-00")), ix, dealer, "is a D100, GSM unit", Evidence{}},
		{"test device of another console", req(DeviceTarget("ultra-00")), ix, dealer, "built for", Evidence{}},
		{"another dealer's unit", req(DeviceTarget("d180g-xdl")), ix, dealer, "not in your fleet", Evidence{}},
		{"request names another variant", wrongVariant, ix, dealer, "the request says", Evidence{}},
		{"my_fleet once a unit was updated and is back online", req(TargetMyFleet), ix, dealer, "", updated},
		{"my_fleet when the unit only shipped with it", req(TargetMyFleet), ix, dealer, "validate 2.4.1 (D180, GSM) on one test device", shipped},
		{"my_fleet before any unit runs it", req(TargetMyFleet), unvalidated, dealer, "validate 2.4.1 (D180, GSM) on one test device", updated},
		{"my_fleet naming no units", withUnits(), ix, dealer, "names none", updated},
		{"my_fleet naming every eligible unit", withUnits("d180g-00", "d180g-01", "d180g-02", "d180g-03", "d180g-04", "d180g-05"), ix, dealer, "", updated},
		{"my_fleet naming an offline unit", withUnits("d180g-00", "d180g-off"), ix, dealer, "you confirmed 2 units, but only 1 of them can receive 2.4.1 (D180, GSM) now (d180g-off: offline", updated},
		{"my_fleet naming a unit already on it", withUnits("d180g-00", "d180g-new"), ix, dealer, "d180g-new: already on this version", updated},
		{"my_fleet naming another variant's unit", withUnits("d180g-00", "d180w-00"), ix, dealer, "d180w-00: other transport variant", updated},
		{"my_fleet naming another dealer's unit", withUnits("d180g-00", "d180g-xdl"), ix, dealer, "d180g-xdl: outside your dealer scope", updated},
		{"my_fleet naming an unknown unit", withUnits("d180g-00", "nope"), ix, dealer, "nope: not in your fleet", updated},
		{"my_fleet naming a unit twice", withUnits("d180g-00", "d180g-00"), ix, dealer, "named twice", updated},
		{"my_fleet units out of order", withUnits("d180g-01", "d180g-00"), ix, dealer, "ID order", updated},
		{"a customer", req(DeviceTarget("d180g-00")), ix, customer, "dealer", Evidence{}},
		{"global", req("global"), ix, dealer, "not to \"global\"", Evidence{}},
	}
	for _, c := range cases {
		err := CheckRequest(c.req, r, c.ix, c.actor, c.ev, t0)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err = %v, want it to say %q", c.name, err, c.want)
		}
	}
}

// The groups tell why units of the release's own variant are left out; units of other variants
// and engines are never candidates and are not among them (issue 24 item 16).
func TestGroupsAreTheVariantsOwnUnits(t *testing.T) {
	r := rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	e := Eligible(r, ptrs(mixedFleet()), dealer, t0)
	var got []string
	for _, g := range e.Groups() {
		got = append(got, string(g.Reason))
	}
	if s := strings.Join(got, ","); s != "already_on,offline,out_of_scope" {
		t.Fatalf("groups %s", s)
	}
}

func TestReportNamesTestDeviceDurationAndUnitsStillOnOldFirmware(t *testing.T) {
	r := rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	ro := Rollout{ID: "ro-9", ReleaseID: r.ID, Version: "2.4.1", Model: r.Model, Transport: r.Transport,
		Target: TargetMyFleet, Status: StatusFinished, CreatedAt: t0, UpdatedAt: t0.Add(6 * time.Hour),
		Units: []UnitProgress{{DeviceID: "d180g-00", Stage: StageConfirmed, Firmware: "2.4.1"}}}
	test := Rollout{ID: "ro-8", ReleaseID: r.ID, Target: DeviceTarget("d180g-new"), CreatedAt: t0.Add(-time.Hour)}
	later := Rollout{ID: "ro-10", ReleaseID: r.ID, Target: DeviceTarget("d180g-01"), CreatedAt: t0.Add(time.Hour)}
	dev := TestDeviceOf(ro, []Rollout{later, ro, test})
	if dev != "d180g-new" {
		t.Fatalf("test device %q", dev)
	}
	text := ReportOf(ro).WithFleet(dev, fleet.NewIndex(mixedFleet())).Text()
	for _, want := range []string{"validated first on test device d180g-new", "ran 6 h",
		"still on old firmware: 8 D180, GSM units: d180g-00 (2.3.0)", "d180g-off (2.3.0)"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// A unit updated to the release and back on it stays the validation when it goes quiet afterwards
// (a GSM unit between check-ins): it proved the release already. A unit that only shipped with the
// version, or was updated to another release, is no validation.
func TestValidationSurvivesTheUnitGoingQuiet(t *testing.T) {
	rel := Release{ID: "rel-d180-gsm-2.4.1", Console: fleet.ConsoleUnified, Model: fleet.ModelD180,
		Transport: fleet.TransportGSM, Version: "2.4.1"}
	d := fleet.Device{ID: "D180-00001", Model: fleet.ModelD180, Console: fleet.ConsoleUnified,
		Transport: fleet.TransportGSM, Firmware: "2.4.1", Online: true}
	done := fleet.Command{DeviceID: d.ID, Action: fleet.ActionFWUpdate, ReleaseID: rel.ID, Status: fleet.CommandDone}
	ev := Evidence{Commands: []fleet.Command{done}}
	if !Validates(rel, d, ev) {
		t.Fatal("an updated unit back on the release does not validate it")
	}
	d.Online = false
	if !Validates(rel, d, ev) {
		t.Fatal("the validation was lost when the unit went quiet")
	}
	if Validates(rel, d, Evidence{}) {
		t.Fatal("a unit that only shipped with the version validates the release")
	}
	other := done
	other.ReleaseID = "rel-d180-gsm-2.4.0"
	if Validates(rel, d, Evidence{Commands: []fleet.Command{other}}) {
		t.Fatal("an update to another release validates this one")
	}
}

// A test rollout is evidence of the update only once the backend confirmed the unit on it, as the
// backend's own my_fleet check requires (validation_required until then): queued, installing,
// back online but not yet confirmed, failed, not returned or skipped proves nothing, and neither
// does a test rollout of another release.
func TestTestRolloutIsEvidenceOnlyOnceTheUnitReturned(t *testing.T) {
	rel := Release{ID: "rel-d180-gsm-2.4.1", Console: fleet.ConsoleUnified, Model: fleet.ModelD180,
		Transport: fleet.TransportGSM, Version: "2.4.1"}
	d := fleet.Device{ID: "D180-00001", Model: fleet.ModelD180, Console: fleet.ConsoleUnified,
		Transport: fleet.TransportGSM, Firmware: "2.4.1", Online: true}
	testRollout := func(releaseID string, st Stage) Evidence {
		return Evidence{Rollouts: []Rollout{{ID: "ro-1", ReleaseID: releaseID, Target: DeviceTarget(d.ID),
			Status: StatusFinished, Units: []UnitProgress{{DeviceID: d.ID, Stage: st}}}}}
	}
	for st, want := range map[Stage]bool{
		StageConfirmed: true, StageOnline: false,
		StageQueued: false, StageInstalling: false, StageFailed: false, StageNotReturned: false, StageSkipped: false,
	} {
		if got := Validates(rel, d, testRollout(rel.ID, st)); got != want {
			t.Errorf("a test rollout whose unit is %s: validates %v, want %v", st, got, want)
		}
	}
	if Validates(rel, d, testRollout("rel-d180-gsm-2.4.0", StageConfirmed)) {
		t.Error("a confirmed test rollout of another release validates this one")
	}
}

// News of a rollout carries only the units that changed: merged, they replace their own and
// leave the rest; news of another rollout keeps nothing of the first.
func TestMergeProgress(t *testing.T) {
	prev := Rollout{ID: "ro-1", Status: StatusRunning, Units: []UnitProgress{
		{DeviceID: "A", Stage: StageInstalling}, {DeviceID: "B", Stage: StageQueued}, {DeviceID: "C", Stage: StageQueued}}}
	news := Rollout{ID: "ro-1", Status: StatusPaused, Reason: "paused by x", Units: []UnitProgress{
		{DeviceID: "B", Stage: StageInstalling}, {DeviceID: "D", Stage: StageQueued}}}
	got := MergeProgress(prev, news)
	var stages []string
	for _, u := range got.Units {
		stages = append(stages, u.DeviceID+"="+string(u.Stage))
	}
	if got.Status != StatusPaused || got.Reason != "paused by x" || strings.Join(stages, " ") != "A=installing B=installing C=queued D=queued" {
		t.Fatalf("merged %s %q %v", got.Status, got.Reason, stages)
	}
	if prev.Units[1].Stage != StageQueued {
		t.Fatal("the merge changed the rollout it started from")
	}
	if other := MergeProgress(prev, Rollout{ID: "ro-2", Units: news.Units}); len(other.Units) != 2 {
		t.Fatalf("news of another rollout kept %d units", len(other.Units))
	}
}
