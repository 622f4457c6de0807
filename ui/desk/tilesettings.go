package desk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/internal/paths"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

var tileChoices = []struct {
	kind  tiles.Kind
	label string
}{
	{tiles.KindOSM, "OpenStreetMap (online; what you see is kept for offline use)"},
	{tiles.KindHTTP, "Another tile server (URL template)"},
	{tiles.KindMBTiles, "An MBTiles file (offline map of your region)"},
	{tiles.KindBasemap, "Built-in basemap only (no network)"},
}

// form is the Settings block that chooses the map's tile source; apply hands the new choice to
// the open Map page.
func (t *tileSettings) form(win fyne.Window, run *kit.Runner, apply func(tiles.Config) error) fyne.CanvasObject {
	cfg := t.load()
	labels := make([]string, len(tileChoices))
	for i, c := range tileChoices {
		labels[i] = c.label
	}
	url := kit.NewEntry()
	url.SetPlaceHolder("https://tiles.example.com/{z}/{x}/{y}.png")
	url.SetText(cfg.URLTemplate)
	attribution := kit.NewEntry()
	attribution.SetPlaceHolder("© the tile provider (shown on the map)")
	attribution.SetText(cfg.Attribution)
	file := widget.NewLabel(cfg.MBTilesPath)
	file.Wrapping = fyne.TextWrapBreak
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord

	source := widget.NewRadioGroup(labels, nil)
	for _, c := range tileChoices {
		if c.kind == cfg.Kind {
			source.SetSelected(c.label)
		}
	}
	kindOf := func() tiles.Kind {
		for _, c := range tileChoices {
			if c.label == source.Selected {
				return c.kind
			}
		}
		return tiles.KindOSM
	}

	// The import copies the file (a country's tiles can be gigabytes): a progress bar and Cancel.
	bar := widget.NewProgressBar()
	bar.Hide()
	var stopImport context.CancelFunc
	cancelBtn := widget.NewButton("Cancel import", func() {
		if stopImport != nil {
			stopImport()
		}
	})
	cancelBtn.Hide()
	var importBtn *widget.Button
	importBtn = widget.NewButton("Import MBTiles file…", func() {
		d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			src := rc.URI().Path()
			rc.Close()
			status.SetText("Importing " + filepath.Base(src) + "…")
			ctx, cancel := context.WithCancel(run.Context())
			stopImport = cancel
			bar.SetValue(0)
			bar.Show()
			cancelBtn.Show()
			importBtn.Disable()
			var shown atomic.Int64 // the last whole percent handed to the UI goroutine
			shown.Store(-1)
			kit.Run(run, func(context.Context) result {
				defer cancel()
				dir, err := mbtilesDir()
				if err != nil {
					return result{err: err}
				}
				p, err := tiles.ImportMBTiles(ctx, src, dir, func(done, total int64) {
					if total <= 0 {
						return
					}
					if pc := done * 100 / total; shown.Swap(pc) != pc {
						run.Do(func() { bar.SetValue(float64(pc) / 100) })
					}
				})
				return result{path: p, err: err}
			}, func(r result) {
				stopImport = nil
				bar.Hide()
				cancelBtn.Hide()
				importBtn.Enable()
				switch {
				case errors.Is(r.err, context.Canceled):
					status.SetText("Import cancelled; nothing was kept.")
				case r.err != nil:
					status.SetText("Not imported: " + r.err.Error())
				default:
					file.SetText(r.path)
					source.SetSelected(tileChoices[2].label)
					status.SetText("Imported. Press Apply to use it.")
				}
			})
		}, win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".mbtiles"}))
		d.Show()
	})

	applyBtn := widget.NewButton("Apply", func() {
		next := tiles.Config{Kind: kindOf(), URLTemplate: url.Text, Attribution: attribution.Text, MBTilesPath: file.Text}
		if err := next.Validate(); err != nil {
			status.SetText(err.Error())
			return
		}
		full := next
		full.CacheDir, full.Version = tileCacheDir(), cfg.Version
		if err := apply(full); err != nil {
			status.SetText("Could not switch: " + err.Error())
			return
		}
		t.save(next)
		status.SetText("The map now uses: " + source.Selected)
	})
	applyBtn.Importance = widget.HighImportance

	intro := widget.NewLabel("Where the Fleet Map's background comes from. With no network the map always falls back to cached tiles, then to the built-in basemap.")
	intro.Wrapping = fyne.TextWrapWord // a line this long would hold the window wider than 1024 px
	return container.NewVBox(
		intro,
		source,
		widget.NewForm(
			widget.NewFormItem("URL template", url),
			widget.NewFormItem("Attribution", attribution),
			widget.NewFormItem("MBTiles file", container.NewBorder(nil, container.NewBorder(nil, nil, nil, cancelBtn, bar), nil, importBtn, file)),
		),
		container.NewHBox(applyBtn),
		status,
	)
}

type result struct {
	path string
	err  error
}

// mbtilesDir is where imported MBTiles files are copied, so the dealer's original can move: the
// data directory (on Windows the local, not the roaming, profile: a map can be gigabytes). Maps
// imported before keep working: their full path is in the tile settings.
func mbtilesDir() (string, error) {
	d, err := paths.Default()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(d.Data, "maps")
	return dir, os.MkdirAll(dir, 0o700)
}
