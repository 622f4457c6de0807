package fleetconsole

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// export asks where to save the current view and writes it on the page's runner.
func (c *Page) export() {
	win := c.opts.Window
	devs, now := c.View(), c.v.now
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			kit.ShowError(win, "Could not open the file", err)
			return
		}
		if w == nil {
			return // cancelled
		}
		kit.Run(c.run, func(context.Context) error {
			werr := WriteExcelCSV(w, devs, now)
			if cerr := w.Close(); werr == nil {
				werr = cerr
			}
			return werr
		}, func(err error) {
			if err != nil {
				kit.ShowError(win, "Export to "+w.URI().Name()+" failed", err)
				return
			}
			kit.ShowDialog(win, dialog.NewInformation("Export done",
				fmt.Sprintf("%s units written to %s", kit.Thousands(len(devs)), w.URI().Name()), win))
		})
	}, win)
	d.SetFileName(fmt.Sprintf("fleet-%s.csv", now.Format("2006-01-02")))
	kit.ShowDialog(win, d)
}
