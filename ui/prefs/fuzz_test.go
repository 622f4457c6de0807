package prefs

import (
	"encoding/json"
	"reflect"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// FuzzStoredState puts raw where a profile's view is remembered, and where an older release kept
// the app-wide map view and console state, as a hand-edited or stale preferences file would. A
// map view is offered only inside the map's ranges; a view that does not decode is no view
// (nothing half-restored); one that does gives exactly the console state it decodes to, which
// survives being saved again. Migrated old state never brings a search, chips or a map view along.
// Seed corpus: testdata/fuzz/FuzzStoredState.
func FuzzStoredState(f *testing.F) {
	p := test.NewApp().Preferences()
	s := New(p)
	key := keyView + "default"
	v := s.View(session.Status{ProfileName: "default"})
	f.Fuzz(func(t *testing.T, raw string) {
		p.SetString(key, raw)
		if m, ok := v.MapView(); ok {
			if !m.valid() {
				t.Fatalf("map view of %q offered as %+v", raw, m)
			}
		} else if m != (MapView{}) {
			t.Fatalf("map view of %q refused but returned %+v", raw, m)
		}
		var rec viewRecord
		decodes := raw != "" && json.Unmarshal([]byte(raw), &rec) == nil
		c, ok := v.Console()
		switch {
		case ok != (decodes && rec.Console != nil):
			t.Fatalf("view %q: console ok %v, but it decodes %v with console %v", raw, ok, decodes, rec.Console)
		case !ok && !reflect.DeepEqual(c, ConsoleState{}):
			t.Fatalf("view %q refused, yet a console state %+v came back", raw, c)
		case ok && !reflect.DeepEqual(c, *rec.Console):
			t.Fatalf("view %q read as %+v, want %+v (decoded afresh, not merged)", raw, c, *rec.Console)
		}
		if ok {
			v.SetConsole(c)
			if again, ok := v.Console(); !ok || !reflect.DeepEqual(again, c) {
				t.Fatalf("console state %+v saved and read back as %+v", c, again)
			}
		}

		p.RemoveValue(key)
		p.SetString(keyLegacyConsole, raw)
		p.SetString(keyLegacyMapView, raw)
		if c, ok := v.Console(); ok && !c.Filter.IsZero() {
			t.Fatalf("old console state %q migrated with its filter %+v", raw, c.Filter)
		}
		if m, ok := v.MapView(); ok {
			t.Fatalf("old map view %q migrated as %+v", raw, m)
		}
		if p.String(keyLegacyConsole) != "" || p.String(keyLegacyMapView) != "" {
			t.Fatal("old state left behind after its migration")
		}
		p.RemoveValue(key)
	})
}
