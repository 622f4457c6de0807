package desk

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

func TestMapTileSettings(t *testing.T) {
	tilesrv := httptest.NewServer(http.NotFoundHandler()) // 127.0.0.1: a tile server with no tiles
	defer tilesrv.Close()
	start := tiles.Config{Kind: tiles.KindHTTP, URLTemplate: tilesrv.URL + "/{z}/{x}/{y}.png", Attribution: "© Test tiles"}
	f := newDesk(t, start)
	f.u.run(func() {
		mv := f.mapPage(t)
		if got := mv.m.Loader().Attribution(); got != start.Attribution {
			t.Fatalf("the map started on %q, not the source in the preferences", got)
		}
		prefs := f.app.Preferences()
		saved := prefs.String(tilePrefKey)

		if !f.s.ShowPage(ui.PageSettings) {
			t.Fatal("no Settings page")
		}
		root := f.win.Content()
		source := one(t, "tile source choice", root, func(r *widget.RadioGroup) bool {
			return slices.Contains(r.Options, tileChoices[3].label)
		})
		url := one(t, "URL template entry", root, func(e *kit.Entry) bool { return strings.Contains(e.PlaceHolder, "{z}") })
		apply := one(t, "Apply", root, func(b *widget.Button) bool { return b.Text == "Apply" })
		if url.Text != start.URLTemplate || source.Selected != tileChoices[1].label {
			t.Fatalf("the form shows %q / %q, not the saved source", source.Selected, url.Text)
		}
		labelShows := func(want string) bool {
			return len(find(f.win.Content(), func(l *widget.Label) bool { return l.Text == want })) > 0
		}

		// An invalid template: the error shows, nothing changes.
		loader := mv.m.Loader()
		bad := "https://tiles.example.com/tile.png"
		wantErr := tiles.Config{Kind: tiles.KindHTTP, URLTemplate: bad}.Validate()
		if wantErr == nil {
			t.Fatalf("%q passes validation", bad)
		}
		url.SetText(bad)
		test.Tap(apply)
		if !labelShows(wantErr.Error()) {
			t.Fatalf("the form does not show %q", wantErr)
		}
		if mv.m.Loader() != loader || prefs.String(tilePrefKey) != saved {
			t.Fatal("an invalid template changed the map's source or the preferences")
		}

		// The built-in basemap: the map switches and the choice is remembered.
		source.SetSelected(tileChoices[3].label)
		test.Tap(apply)
		if !labelShows("The map now uses: " + tileChoices[3].label) {
			t.Fatal("no confirmation after Apply")
		}
		base, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
		if err != nil {
			t.Fatal(err)
		}
		defer base.Close()
		if mv.m.Loader() == loader || mv.m.Loader().Attribution() != base.Attribution() {
			t.Fatalf("the map still uses %q", mv.m.Loader().Attribution())
		}
		var got tiles.Config
		if err := json.Unmarshal([]byte(prefs.String(tilePrefKey)), &got); err != nil {
			t.Fatalf("preferences hold %q: %v", prefs.String(tilePrefKey), err)
		}
		if got.Kind != tiles.KindBasemap || got.CacheDir != "" {
			t.Fatalf("preferences hold %+v", got)
		}
		if k := (&tileSettings{app: f.app}).load().Kind; k != tiles.KindBasemap {
			t.Fatalf("the next start would use %q", k)
		}
	})
}
