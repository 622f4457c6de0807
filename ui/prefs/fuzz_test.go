package prefs

import (
	"encoding/json"
	"reflect"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// rememberedConsole has the shape of the Fleet Console's remembered state (ui/desk keeps it).
type rememberedConsole struct {
	Filter  fleet.Filter
	SortCol string
	Desc    bool
}

// FuzzStoredState puts raw where the map view and the console state are remembered, as a
// hand-edited or stale preferences file would. A map view is offered only inside the map's
// ranges; a state that does not decode leaves the caller's value as it was (nothing half-restored);
// one that does is exactly what it decodes to, and survives being saved again.
// Seed corpus: testdata/fuzz/FuzzStoredState.
func FuzzStoredState(f *testing.F) {
	p := test.NewApp().Preferences()
	s := New(p)
	f.Fuzz(func(t *testing.T, raw string) {
		p.SetString(keyMapView, raw)
		if v, ok := s.MapView(); ok {
			if v.Zoom <= 0 || v.Lat < -90 || v.Lat > 90 || v.Lon < -180 || v.Lon > 180 {
				t.Fatalf("map view %q offered as %+v", raw, v)
			}
		} else if v != (MapView{}) {
			t.Fatalf("map view %q refused but returned %+v", raw, v)
		}

		p.SetString(keyConsole, raw)
		before := rememberedConsole{Filter: fleet.Filter{Text: "kept", Health: []fleet.Health{fleet.HealthLost}}, SortCol: "ID", Desc: true}
		st := before
		st.Filter.Health = append([]fleet.Health(nil), before.Filter.Health...)
		ok := s.Console(&st)
		var fresh rememberedConsole
		decodes := raw != "" && json.Unmarshal([]byte(raw), &fresh) == nil
		switch {
		case ok != decodes:
			t.Fatalf("console state %q: ok %v, but it decodes: %v", raw, ok, decodes)
		case !ok && !reflect.DeepEqual(st, before):
			t.Fatalf("console state %q refused, yet the state changed to %+v", raw, st)
		case ok && !reflect.DeepEqual(st, fresh):
			t.Fatalf("console state %q read as %+v, want %+v (decoded afresh, not merged)", raw, st, fresh)
		}
		if ok {
			s.SetConsole(st)
			var again rememberedConsole
			if !s.Console(&again) || !reflect.DeepEqual(again, st) {
				t.Fatalf("console state %+v saved and read back as %+v", st, again)
			}
		}
	})
}
