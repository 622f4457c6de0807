package prefs

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
)

var (
	demo    = session.Status{Demo: true, ProfileName: "demo", BackendURL: "http://127.0.0.1:41234", UserEmail: "ops@northwind.example"}
	dealer  = session.Status{ProfileName: "default", BackendURL: "https://fleet.example.com/", UserEmail: "Ana@Dealer.example"}
	another = session.Status{ProfileName: "west", BackendURL: "https://fleet.example.com", UserEmail: "bo@west.example"}
)

// TestViewIsPerProfile: what one profile remembers (the demo being a profile of its own) is not
// what another opens on, and each gets its own back.
func TestViewIsPerProfile(t *testing.T) {
	s := New(test.NewTempApp(t).Preferences())
	s.View(demo).SetConsole(ConsoleState{Filter: fleet.Filter{Text: "gallagher"}, SortCol: "Last seen", Desc: true})
	s.View(demo).SetLastPage("Fleet Map")
	s.View(demo).SetMapView(MapView{Lat: 48.2, Lon: 16.4, Zoom: 7})

	for _, st := range []session.Status{dealer, another} {
		v := s.View(st)
		if c, ok := v.Console(); ok {
			t.Fatalf("profile %q opens on the demo's console state %+v", st.ProfileName, c)
		}
		if p := v.LastPage(); p != "" {
			t.Fatalf("profile %q opens on the demo's page %q", st.ProfileName, p)
		}
		if m, ok := v.MapView(); ok {
			t.Fatalf("profile %q opens on the demo's map view %+v", st.ProfileName, m)
		}
	}

	s.View(dealer).SetConsole(ConsoleState{Filter: fleet.Filter{Health: []fleet.Health{fleet.HealthLost}}, SortCol: "Device"})
	// The demo's backend listens on another port at every start: still the demo's view.
	next := demo
	next.BackendURL = "http://127.0.0.1:39999"
	if c, ok := s.View(next).Console(); !ok || c.Filter.Text != "gallagher" || c.SortCol != "Last seen" || !c.Desc {
		t.Fatalf("the demo's console state after a restart: %+v %v", c, ok)
	}
	if m, ok := s.View(next).MapView(); !ok || m.Zoom != 7 || s.View(next).LastPage() != "Fleet Map" {
		t.Fatalf("the demo's map view %+v %v, page %q", m, ok, s.View(next).LastPage())
	}
	// Same backend, spelled with or without the slash; the email in any case.
	same := dealer
	same.BackendURL, same.UserEmail = "https://fleet.example.com", "ana@dealer.example"
	if c, ok := s.View(same).Console(); !ok || c.Filter.Text != "" || !slices.Equal(c.Filter.Health, []fleet.Health{fleet.HealthLost}) {
		t.Fatalf("the dealer's console state: %+v %v", c, ok)
	}
	// Opened from the cache before any sign-in, the profile's account may be unknown: its view
	// still opens, and saving it keeps the account it belongs to.
	cached := dealer
	cached.UserEmail = ""
	if _, ok := s.View(cached).Console(); !ok {
		t.Fatal("the profile's view is lost while its account is not known yet")
	}
	s.View(cached).SetLastPage("Recovery")
	if s.View(dealer).LastPage() != "Recovery" {
		t.Fatal("a view saved with the account unknown did not stay the account's")
	}
	if _, ok := s.View(another).Console(); ok {
		t.Fatal("profile west opens on profile default's console state")
	}
}

// TestViewOfAnotherFleetStartsAfresh: a profile signed in again to another backend, or as another
// user, does not open on the filters set for the fleet it showed before.
func TestViewOfAnotherFleetStartsAfresh(t *testing.T) {
	s := New(test.NewTempApp(t).Preferences())
	s.View(dealer).SetConsole(ConsoleState{Filter: fleet.Filter{Text: "pump"}})
	s.View(dealer).SetLastPage("API Tokens")

	otherBackend, otherUser := dealer, dealer
	otherBackend.BackendURL = "https://staging.fleet.example.com"
	otherUser.UserEmail = "carl@dealer.example"
	for _, st := range []session.Status{otherBackend, otherUser} {
		if c, ok := s.View(st).Console(); ok {
			t.Fatalf("%s as %s opens on another fleet's console state %+v", st.BackendURL, st.UserEmail, c)
		}
		if p := s.View(st).LastPage(); p != "" {
			t.Fatalf("%s as %s opens on another fleet's page %q", st.BackendURL, st.UserEmail, p)
		}
	}
	// Its own view replaces the old one rather than mixing with it.
	s.View(otherUser).SetLastPage("Fleet Map")
	if _, ok := s.View(otherUser).Console(); ok {
		t.Fatal("the new account's view kept the old account's console state")
	}
	if p := s.View(dealer).LastPage(); p != "" {
		t.Fatalf("the old account's page %q is still offered", p)
	}
}

// TestLegacyStateMigrates: the app-wide state of an older release goes to the first profile
// shown, without the search, the chips and the map view (nothing says which fleet they were set
// for), and is then gone, so no other profile opens on it.
func TestLegacyStateMigrates(t *testing.T) {
	p := test.NewTempApp(t).Preferences()
	p.SetString(keyLegacyConsole, `{"Filter":{"Text":"gallagher","GPSOnly":true},"SortCol":"Last seen","Desc":true}`)
	p.SetString(keyLegacyPage, "Fleet Map")
	p.SetString(keyLegacyMapView, `{"Lat":48.2,"Lon":16.4,"Zoom":7}`)
	s := New(p)

	v := s.View(dealer)
	c, ok := v.Console()
	if !ok || !c.Filter.IsZero() || c.SortCol != "Last seen" || !c.Desc {
		t.Fatalf("migrated console state %+v %v, want the sort without the search and chips", c, ok)
	}
	if v.LastPage() != "Fleet Map" {
		t.Fatalf("migrated page %q", v.LastPage())
	}
	if m, ok := v.MapView(); ok {
		t.Fatalf("the old map view %+v came along", m)
	}
	for _, k := range []string{keyLegacyConsole, keyLegacyPage, keyLegacyMapView} {
		if p.String(k) != "" {
			t.Fatalf("legacy key %s is still there", k)
		}
	}
	if _, ok := s.View(demo).Console(); ok {
		t.Fatal("a second profile also got the old state")
	}
	// A bad stored value is no state, not an error on screen.
	p.SetString(keyView+"west", "{not json")
	p.SetString(keyViewDemo, `{"Map":{"Lat":123,"Lon":0,"Zoom":3}}`)
	if _, ok := s.View(another).Console(); ok {
		t.Fatal("a corrupt view was used")
	}
	if _, ok := s.View(demo).MapView(); ok {
		t.Fatal("latitude 123 was accepted")
	}
}
