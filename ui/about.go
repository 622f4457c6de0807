package ui

import (
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/internal/version"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// ShowAbout opens the About dialog: which FleetDesk this is (version, commit, build date), with
// "Copy details" so a dealer can paste exactly that into a support request.
func ShowAbout(win fyne.Window) {
	info := version.Get()
	details := info.String() + "\n" + runtime.GOOS + "/" + runtime.GOARCH + ", " + runtime.Version()
	title := widget.NewLabelWithStyle("FleetDesk", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	form := widget.NewForm(
		widget.NewFormItem("Version", widget.NewLabel(info.Version)),
		widget.NewFormItem("Commit", widget.NewLabel(info.Commit)),
		widget.NewFormItem("Built", widget.NewLabel(info.Date)),
		widget.NewFormItem("System", widget.NewLabel(runtime.GOOS+"/"+runtime.GOARCH)),
	)
	copyBtn := widget.NewButtonWithIcon("Copy details", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(details)
	})
	body := container.NewVBox(title,
		widget.NewLabel("Fleet management for dealers of remote generator controllers."),
		form, container.NewHBox(copyBtn))
	d := dialog.NewCustom("About FleetDesk", "Close", body, win)
	kit.ShowDialog(win, d)
}
