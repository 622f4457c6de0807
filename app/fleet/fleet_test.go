package fleet

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestConsoleForEveryModel(t *testing.T) {
	want := map[Model]Console{
		ModelXPro: ConsoleXPro, ModelD100: ConsoleUnified, ModelD180: ConsoleUnified,
		ModelV100: ConsoleUnified, ModelV5: ConsoleUnified, ModelUltra: ConsoleUltra,
	}
	for _, m := range AllModels {
		if got := ConsoleFor(m); got != want[m] {
			t.Errorf("ConsoleFor(%s) = %q, want %q", m, got, want[m])
		}
	}
	if got := ModelsOf(ConsoleUltra); len(got) != 1 || got[0] != ModelUltra {
		t.Errorf("Ultra console must serve only AutoGen Ultra, got %v", got)
	}
	if ConsoleFor("Z9") != "" {
		t.Error("unknown model must map to no console")
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Model{"x pro": ModelXPro, "XPRO": ModelXPro, "AutoGen Ultra": ModelUltra, "d180": ModelD180} {
		got, err := ParseModel(in)
		if err != nil || got != want {
			t.Errorf("ParseModel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseModel("D200"); err == nil {
		t.Error("ParseModel accepted an unknown model")
	}
	if tr, err := ParseTransport("WiFi"); err != nil || tr != TransportWiFi {
		t.Errorf("ParseTransport(WiFi) = %q, %v", tr, err)
	}
	if _, err := ParseTransport("lte"); err == nil {
		t.Error("ParseTransport accepted lte")
	}
	if _, err := ParseConsole("global"); err == nil {
		t.Error("ParseConsole accepted a console that does not exist")
	}
}

func TestHealthDependsOnTransport(t *testing.T) {
	wifi := Device{ID: "D180-1", Transport: TransportWiFi, Online: true}
	gsm := Device{ID: "D180-2", Transport: TransportGSM, Online: true}
	cases := []struct {
		name   string
		d      Device
		silent time.Duration
		want   Health
	}{
		{"wifi fresh", wifi, 30 * time.Second, HealthLive},
		{"wifi 10 min is late", wifi, 10 * time.Minute, HealthLate},
		{"wifi 2 h is lost", wifi, 2 * time.Hour, HealthLost},
		{"gsm 10 min is live", gsm, 10 * time.Minute, HealthLive},
		{"gsm 2 h is late", gsm, 2 * time.Hour, HealthLate},
		{"gsm 7 h is lost", gsm, 7 * time.Hour, HealthLost},
	}
	for _, c := range cases {
		c.d.LastSeen = t0.Add(-c.silent)
		if got := c.d.HealthAt(t0); got != c.want {
			t.Errorf("%s: HealthAt = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestHealthAttentionAndOffline(t *testing.T) {
	d := Device{Transport: TransportWiFi, Online: true, LastSeen: t0.Add(-time.Minute), Alarms: []string{"low fuel"}}
	if got := d.HealthAt(t0); got != HealthAttention || !got.NeedsAttention() {
		t.Errorf("alarm: got %s", got)
	}
	d.Alarms, d.RunState = nil, RunFault
	if got := d.HealthAt(t0); got != HealthAttention {
		t.Errorf("fault: got %s", got)
	}
	d.RunState, d.Online = RunRunning, false
	if got := d.HealthAt(t0); got != HealthLost || !got.NeedsAttention() {
		t.Errorf("just went offline: got %s", got)
	}
	if d.Reachable(t0) {
		t.Error("an offline unit must not be reachable")
	}
	if (Device{}).HealthAt(t0) != HealthLost {
		t.Error("a unit never seen is lost")
	}
	// Lost contact outranks an alarm: the alarm is stale news.
	d = Device{Transport: TransportWiFi, LastSeen: t0.Add(-48 * time.Hour), Alarms: []string{"x"}}
	if d.HealthAt(t0) != HealthLost {
		t.Error("stale alarm on a lost unit must show lost")
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Second: "just now", 12 * time.Second: "12 s ago", 2 * time.Minute: "2 min ago",
		3 * time.Hour: "3 h ago", 72 * time.Hour: "3 d ago",
	} {
		if got := Ago(t0, t0.Add(-d)); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
	if Ago(t0, time.Time{}) != "never" {
		t.Error("zero time must read never")
	}
	// A moment after now is not silently fresh: beyond the clock estimate's slack it says so.
	for d, want := range map[time.Duration]string{
		5 * time.Second: "just now", 50 * time.Second: "just now", 2 * time.Minute: "2 min in the future",
		3 * time.Hour: "3 h in the future", 72 * time.Hour: "3 d in the future",
	} {
		if got := Ago(t0, t0.Add(d)); got != want {
			t.Errorf("Ago(%v ahead) = %q, want %q", d, got, want)
		}
	}
}

func sampleFleet() []Device {
	return []Device{
		{ID: "D180-00412", Name: "North Farm backup", CustomerEmail: "ops@acme.example", Model: ModelD180, Console: ConsoleUnified, Transport: TransportGSM, Firmware: "2.3.0", Online: true, LastSeen: t0},
		{ID: "XP-00211", Name: "Clinic genset", CustomerEmail: "facilities@clinic.example", Model: ModelXPro, Console: ConsoleXPro, Transport: TransportWiFi, Firmware: "1.9.2", Online: true, LastSeen: t0, GPS: &Position{Lat: 52.1, Lon: 5.1}},
		{ID: "ULT-00012", Name: "Quarry North", CustomerEmail: "ops@acme.example", Model: ModelUltra, Console: ConsoleUltra, Transport: TransportWiFi, Firmware: "4.0.1", Online: false, LastSeen: t0.Add(-5 * time.Hour)},
	}
}

func TestSearchByIDEmailAndName(t *testing.T) {
	ix := NewIndex(sampleFleet())
	ids := func(f Filter) []string {
		var out []string
		for _, i := range ix.Search(f, t0) {
			out = append(out, ix.At(i).ID)
		}
		return out
	}
	check := func(f Filter, want ...string) {
		t.Helper()
		got := ids(f)
		if len(got) != len(want) {
			t.Fatalf("filter %+v: got %v, want %v", f, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("filter %+v: got %v, want %v", f, got, want)
			}
		}
	}
	check(Filter{}, "D180-00412", "ULT-00012", "XP-00211")
	check(Filter{Text: "xp-002"}, "XP-00211")
	check(Filter{Text: "ACME"}, "D180-00412", "ULT-00012")
	check(Filter{Text: " quarry "}, "ULT-00012")
	check(Filter{Text: "ops@acme", Models: []Model{ModelUltra}}, "ULT-00012")
	check(Filter{Health: []Health{HealthLost}}, "ULT-00012")
	check(Filter{Consoles: []Console{ConsoleUnified, ConsoleXPro}}, "D180-00412", "XP-00211")
	check(Filter{Firmware: []string{"1.9.2"}}, "XP-00211")
	check(Filter{GPSOnly: true}, "XP-00211")
	check(Filter{Transport: []Transport{TransportGSM}}, "D180-00412")
	check(Filter{Text: "nothing-matches"})
	if !(Filter{}).IsZero() || (Filter{Text: "a"}).IsZero() {
		t.Error("IsZero is wrong")
	}
	if d, ok := ix.Get("XP-00211"); !ok || d.Name != "Clinic genset" {
		t.Error("Get by ID failed")
	}
	if got := ix.FirmwareVersions(); len(got) != 3 || got[0] != "1.9.2" {
		t.Errorf("FirmwareVersions = %v", got)
	}
	for _, d := range sampleFleet() {
		f := Filter{Text: "acme", Health: []Health{HealthLive}}
		inIndex := false
		for _, id := range ids(f) {
			inIndex = inIndex || id == d.ID
		}
		if f.Matches(d, t0) != inIndex {
			t.Errorf("Matches and Search disagree on %s", d.ID)
		}
	}
}

// Terms separated by spaces must all match, each in any field, as dealers type them ("kariuki V5":
// a customer and a model in the device ID).
func TestSearchTermsAllMatchInAnyField(t *testing.T) {
	ix := NewIndex(sampleFleet())
	cases := []struct {
		text string
		want []string
	}{
		{"acme d180", []string{"D180-00412"}},               // email and ID
		{"  ACME   quarry ", []string{"ULT-00012"}},         // email and name, any spacing and case
		{"north acme", []string{"D180-00412", "ULT-00012"}}, // "North Farm", "Quarry North"
		{"north farm", []string{"D180-00412"}},
		{"farm north", []string{"D180-00412"}}, // any order
		{"quarry clinic", nil},                 // each term matches some unit, no unit both
		{"acme acme ac", []string{"D180-00412", "ULT-00012"}},
		{"xp- g", []string{"XP-00211"}},
		{"2 g", []string{"XP-00211"}},
	}
	for _, c := range cases {
		var got []string
		for _, i := range ix.Search(Filter{Text: c.text}, t0) {
			got = append(got, ix.At(i).ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q = %v, want %v", c.text, got, c.want)
		}
		for _, d := range sampleFleet() {
			if (Filter{Text: c.text}).Matches(d, t0) != slices.Contains(c.want, d.ID) {
				t.Errorf("Matches(%q, %s) disagrees with Search", c.text, d.ID)
			}
		}
	}
	// Typing on narrows from the last result; typing another word must not keep a stale one.
	for _, text := range []string{"acme", "acme q", "acme qu", "acme d", "acme d180", "acme"} {
		n := len(ix.Search(Filter{Text: text}, t0))
		want := 0
		for _, d := range sampleFleet() {
			if (Filter{Text: text}).Matches(d, t0) {
				want++
			}
		}
		if n != want {
			t.Errorf("typing %q: %d results, want %d", text, n, want)
		}
	}
}

// Typed one character at a time, with spaces, backspaces and words in any order, the index
// (which narrows from the last result) answers as the plain per-device rule does at every step.
func TestTypingMultiWordAgreesWithMatches(t *testing.T) {
	devs := benchFleet(4000, t0)
	ix := NewIndex(append([]Device(nil), devs...))
	queries := []string{"site 1 owner", "owner12 farm3 s", "gen-0001 set", "standby 4 site", "o x e",
		"farm29 owner1", "set site standby gen", "9 9 9", "gen- 0 @ ex", "zz site"}
	for _, q := range queries {
		for k := 1; k <= len(q); k++ {
			for _, text := range []string{q[:k], q[:k-1]} { // typing on, then a backspace
				got := ix.Search(Filter{Text: text}, t0)
				n := 0
				for i := 0; i < ix.Len(); i++ {
					if (Filter{Text: text}).Matches(ix.At(i), t0) {
						if n >= len(got) || got[n] != i {
							t.Fatalf("typing %q: index and rule disagree at device %d", text, i)
						}
						n++
					}
				}
				if n != len(got) {
					t.Fatalf("typing %q: %d results, the rule finds %d", text, len(got), n)
				}
			}
		}
	}
}

func TestSearchTerms(t *testing.T) {
	for text, want := range map[string][]string{
		"":                   nil,
		"   ":                nil,
		"Kariuki V5":         {"kariuki", "v5"},
		"kar kariuki":        {"kariuki"},
		"v5 v5":              {"v5"},
		"farm\tnorth\n":      {"farm", "north"},
		"ops@acme.example x": {"ops@acme.example"},
	} {
		if got := SearchTerms(text); !slices.Equal(got, want) {
			t.Errorf("SearchTerms(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestNilIndexIsEmpty(t *testing.T) {
	var ix *Index
	if ix.Len() != 0 || ix.Search(Filter{}, t0) != nil || ix.Devices() != nil {
		t.Error("nil index must behave as empty")
	}
	if _, ok := ix.Get("x"); ok {
		t.Error("nil index found a device")
	}
}

// The joined-haystack search must agree with the plain per-device rule for any text, including
// text at record edges, text spanning the field separator and text matching every device.
func TestSearchAgreesWithMatches(t *testing.T) {
	devs := benchFleet(3000, t0)
	ix := NewIndex(append([]Device(nil), devs...))
	texts := []string{"", "gen-000", "GEN-002999", "0@farm", "set", "standby set", "owner1", "x", "e",
		"example", "\x00", "site 1\x00", "9\x01gen", "zzz-no-match", "gen-000000",
		"owner1 site 2", "standby gen-0001", "set set e", "farm1 owner x", "gen- 0 @ set", "9 \x01gen"}
	filters := []Filter{{}, {Health: []Health{HealthLive}}, {Models: []Model{ModelV5, ModelUltra}}}
	for _, text := range texts {
		for _, f := range filters {
			f.Text = text
			got := ix.Search(f, t0)
			var want []int
			for i := 0; i < ix.Len(); i++ {
				if f.Matches(ix.At(i), t0) {
					want = append(want, i)
				}
			}
			if strings.Contains(text, "\x01") {
				want = nil // the record separator never matches
			}
			if len(got) != len(want) {
				t.Fatalf("text %q filter %+v: %d results, want %d", text, f, len(got), len(want))
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("text %q: result %d is %d, want %d", text, k, got[k], want[k])
				}
			}
		}
	}
	// A patched index searches the same way.
	changed := ix.At(10)
	changed.Name = "Freshly renamed unit"
	p := ix.Patch([]Device{changed, {ID: "AAA-NEW", Name: "brand new", Transport: TransportWiFi}}, []string{ix.At(20).ID})
	if r := p.Search(Filter{Text: "freshly renamed"}, t0); len(r) != 1 || p.At(r[0]).ID != changed.ID {
		t.Fatalf("patched index: %v", r)
	}
	if r := p.Search(Filter{Text: "brand new"}, t0); len(r) != 1 || p.At(r[0]).ID != "AAA-NEW" {
		t.Fatalf("patched index, new device: %v", r)
	}
	if r := p.Search(Filter{Text: ix.At(20).ID}, t0); len(r) != 0 {
		t.Fatalf("removed device still found: %v", r)
	}
}

// An index built by Patch from nothing (a first sync) must be searchable by text too.
func TestPatchFromEmptyIsSearchable(t *testing.T) {
	var empty *Index
	ix := empty.Patch(sampleFleet(), nil)
	if r := ix.Search(Filter{Text: "quarry"}, t0); len(r) != 1 || ix.At(r[0]).ID != "ULT-00012" {
		t.Fatalf("search after a first-sync patch: %v", r)
	}
}

func TestClockNote(t *testing.T) {
	for off, want := range map[time.Duration]string{
		0: "", 90 * time.Second: "", -119 * time.Second: "",
		3 * time.Hour:                      "This PC's clock is 3 h behind the fleet backend",
		3*time.Hour + 700*time.Millisecond: "This PC's clock is 3 h behind the fleet backend",
		-2 * time.Hour:                     "This PC's clock is 2 h ahead of the fleet backend",
		-(2*time.Hour + 31*time.Minute):    "This PC's clock is 2 h 30 min ahead of the fleet backend",
		5 * time.Minute:                    "This PC's clock is 5 min behind the fleet backend",
		26*time.Hour + 4*time.Minute:       "This PC's clock is 1 d 2 h behind the fleet backend",
		-(48*time.Hour + 90*time.Second):   "This PC's clock is 2 d ahead of the fleet backend",
	} {
		got := ClockNote(off)
		if want == "" && got != "" || want != "" && !strings.HasPrefix(got, want+"; times are shown in backend time.") {
			t.Errorf("ClockNote(%s) = %q, want %q…", off, got, want)
		}
	}
}
