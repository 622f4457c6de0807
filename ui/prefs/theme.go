package prefs

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// ApplyTheme puts the stored theme choice into effect for the whole app.
func (s Store) ApplyTheme(a fyne.App) {
	switch s.Theme() {
	case ThemeLight:
		a.Settings().SetTheme(Theme(theme.VariantLight))
	case ThemeDark:
		a.Settings().SetTheme(Theme(theme.VariantDark))
	default:
		a.Settings().SetTheme(appTheme{Theme: theme.DefaultTheme()})
	}
}

// Theme is FleetDesk's theme in variant v whatever the system's setting: Fyne's, with the outline
// of radio buttons, check boxes, input fields and the filter chips drawn so it can be seen. Fyne
// draws the radio and check outlines 0.8 pixels thin in its input border colour, which is 1.6:1
// against the dark background and 1.3:1 against the light one, so an unselected radio button all
// but disappears; WCAG asks 3:1 for a control's boundary. FleetDesk's border colour is 3.5:1 or
// more against the page and an input field, and its radio and check outlines are twice as thick.
func Theme(v fyne.ThemeVariant) fyne.Theme {
	return appTheme{Theme: theme.DefaultTheme(), v: v, fixed: true}
}

type appTheme struct {
	fyne.Theme
	v     fyne.ThemeVariant
	fixed bool // else the system's variant
}

var (
	darkInputBorder  = color.NRGBA{R: 0x77, G: 0x77, B: 0x7c, A: 0xff}
	lightInputBorder = color.NRGBA{R: 0x85, G: 0x85, B: 0x85, A: 0xff}
)

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.fixed {
		v = t.v
	}
	if n == theme.ColorNameInputBorder {
		if v == theme.VariantDark {
			return darkInputBorder
		}
		return lightInputBorder
	}
	return t.Theme.Color(n, v)
}

func (t appTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	switch n {
	case theme.IconNameRadioButton:
		return radioOutline
	case theme.IconNameCheckButton:
		return checkOutline
	}
	return t.Theme.Icon(n)
}

// The outlines of an unselected radio button and an unticked check box: Fyne's shapes with a ring
// two units wide in 24 (Fyne's is one), so they keep their colour when drawn 20 pixels tall. Each
// is a filled path (the outer edge clockwise, the inner one back) as Fyne recolours fills only.
var (
	radioOutline = theme.NewThemedResource(fyne.NewStaticResource("radio-outline.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="`+
			`M 12,2 A 10,10 0 0,1 22,12 A 10,10 0 0,1 12,22 A 10,10 0 0,1 2,12 A 10,10 0 0,1 12,2 Z `+
			`M 12,4 A 8,8 0 0,0 4,12 A 8,8 0 0,0 12,20 A 8,8 0 0,0 20,12 A 8,8 0 0,0 12,4 Z"/></svg>`)))
	checkOutline = theme.NewThemedResource(fyne.NewStaticResource("check-outline.svg", []byte(
		`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="`+
			`M 4,3 H 20 A 1,1 0 0,1 21,4 V 20 A 1,1 0 0,1 20,21 H 4 A 1,1 0 0,1 3,20 V 4 A 1,1 0 0,1 4,3 Z `+
			`M 5,5 V 19 H 19 V 5 Z"/></svg>`)))
)
