package recovery_test

import (
	"testing"

	"github.com/fleetdesk/fleetdesk/app/recovery"
)

// A port is preselected only when it looks like a unit's cable: the one used last, or the only
// known USB serial adapter. A built-in UART never is (Connect without looking would talk to it).
func TestChoosePort(t *testing.T) {
	uart := recovery.PortInfo{Path: "/dev/ttyS0"}
	ftdi := recovery.PortInfo{Path: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001", Product: "FT232R USB UART"}
	ch340 := recovery.PortInfo{Path: "/dev/ttyUSB1", IsUSB: true, VID: "1A86", PID: "7523"}
	modem := recovery.PortInfo{Path: "/dev/ttyACM0", IsUSB: true, VID: "1bc7", PID: "1201"}
	there := map[string]bool{"/dev/pts/7": true}
	exists := func(p string) bool { return there[p] }
	cases := []struct {
		name  string
		ports []recovery.PortInfo
		last  string
		want  string
		why   string
	}{
		{"only a built-in UART", []recovery.PortInfo{uart}, "", "", ""},
		{"a USB modem is no adapter", []recovery.PortInfo{uart, modem}, "", "", ""},
		{"the one known adapter", []recovery.PortInfo{uart, ftdi, modem}, "", "/dev/ttyUSB0", "FTDI FT232R USB serial adapter"},
		{"VID:PID in upper case", []recovery.PortInfo{ch340}, "", "/dev/ttyUSB1", "WCH CH340 USB serial adapter"},
		{"two adapters: the technician chooses", []recovery.PortInfo{ftdi, ch340}, "", "", "several USB serial adapters: choose the one on the unit's cable"},
		{"used last and listed", []recovery.PortInfo{ftdi, ch340}, "/dev/ttyUSB1", "/dev/ttyUSB1", "a unit answered on it last time"},
		{"used last, a UART, listed", []recovery.PortInfo{uart, ftdi}, "/dev/ttyS0", "/dev/ttyS0", "a unit answered on it last time"},
		{"used last, a pty no enumerator lists", []recovery.PortInfo{uart}, "/dev/pts/7", "/dev/pts/7", "a unit answered on it last time"},
		{"used last and gone", []recovery.PortInfo{uart}, "/dev/pts/9", "", "/dev/pts/9, where a unit answered last time, is not there now"},
		{"used last and gone, one adapter", []recovery.PortInfo{ftdi}, "/dev/pts/9", "/dev/ttyUSB0",
			"FTDI FT232R USB serial adapter (/dev/pts/9, where a unit answered last time, is not there now)"},
		{"nothing at all", nil, "", "", ""},
	}
	for _, c := range cases {
		got := recovery.ChoosePort(c.ports, c.last, exists)
		if got.Path != c.want || got.Why != c.why {
			t.Errorf("%s: got %+v, want %q (%q)", c.name, got, c.want, c.why)
		}
	}
}

// The release list marks the version the unit runs, and older ones, as the Manage page does.
func TestCachedImageLabelFor(t *testing.T) {
	for _, c := range []struct {
		img     recovery.CachedImage
		running string
		want    string
	}{
		{recovery.CachedImage{Name: "D180, GSM 2.4.1", Version: "2.4.1", Cached: true}, "2.4.1", "D180, GSM 2.4.1 (installed)"},
		{recovery.CachedImage{Name: "D180, GSM 2.3.0", Version: "2.3.0"}, "2.4.1", "D180, GSM 2.3.0 (older than installed, download)"},
		{recovery.CachedImage{Name: "D180, GSM 2.10.0", Version: "2.10.0", NeedsNetwork: true}, "2.9.3", "D180, GSM 2.10.0 (needs a connection once)"},
		{recovery.CachedImage{Name: "D180, GSM 2.4.1", Version: "2.4.1", Cached: true}, "", "D180, GSM 2.4.1"},
	} {
		if got := c.img.LabelFor(c.running); got != c.want {
			t.Errorf("LabelFor(%q) = %q, want %q", c.running, got, c.want)
		}
	}
}
