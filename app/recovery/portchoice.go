package recovery

import (
	"os"
	"strings"
)

// knownAdapters are the USB serial adapters and debug probes a unit's service cable is built on,
// by "vid:pid" (lower case), with the name a technician knows them by. A port on one of them is
// worth preselecting; a built-in UART (/dev/ttyS0, COM1) or a modem never is.
var knownAdapters = map[string]string{
	"0403:6001": "FTDI FT232R",
	"0403:6010": "FTDI FT2232",
	"0403:6011": "FTDI FT4232",
	"0403:6014": "FTDI FT232H",
	"0403:6015": "FTDI FT231X",
	"10c4:ea60": "Silicon Labs CP210x",
	"10c4:ea70": "Silicon Labs CP2105",
	"10c4:ea71": "Silicon Labs CP2108",
	"1a86:7523": "WCH CH340",
	"1a86:5523": "WCH CH341",
	"1a86:55d4": "WCH CH9102",
	"067b:2303": "Prolific PL2303",
	"067b:23a3": "Prolific PL2303GC",
	"0483:374b": "ST-LINK/V2-1",
	"0483:3752": "ST-LINK/V2-1",
	"0483:374e": "STLINK-V3",
	"1366:0105": "SEGGER J-Link",
	"1366:1015": "SEGGER J-Link",
	"1366:1051": "SEGGER J-Link",
	"0d28:0204": "Arm DAPLink",
	// Zephyr's default USB identity: MCUboot's serial recovery over USB CDC ACM shows as this.
	"2fe3:0100": "Zephyr USB serial (MCUboot)",
}

// Adapter names the known USB serial adapter a port is on; ok is false for any other port.
func (p PortInfo) Adapter() (name string, ok bool) {
	if !p.IsUSB {
		return "", false
	}
	name, ok = knownAdapters[strings.ToLower(p.VID)+":"+strings.ToLower(p.PID)]
	return name, ok
}

// PortChoice is the port the Recovery page preselects, and why; Path is "" when none looks like
// a unit's cable, and the technician chooses.
type PortChoice struct {
	Path string
	// Why is said beside the port: "a unit answered on it last time", "FTDI FT232R USB serial adapter". When
	// nothing is preselected it may say why not ("/dev/pts/3, where a unit answered last time, is not there now").
	Why string
}

// ChoosePort picks the port to preselect among the listed ports: the one used last (when it is
// listed, or exists although no enumerator lists it, as a pty), else the only port on a known USB
// serial adapter. Anything else (a built-in UART, an unknown device, two adapters) is left to the
// technician: a preselected wrong port is worse than none. exists reports whether a path is
// there; nil means os.Stat.
func ChoosePort(ports []PortInfo, last string, exists func(string) bool) PortChoice {
	if exists == nil {
		exists = func(p string) bool { _, err := os.Stat(p); return err == nil }
	}
	var missing string
	if last != "" {
		for _, p := range ports {
			if p.Path == last {
				return PortChoice{Path: last, Why: "a unit answered on it last time"}
			}
		}
		if exists(last) {
			return PortChoice{Path: last, Why: "a unit answered on it last time"}
		}
		missing = last + ", where a unit answered last time, is not there now"
	}
	var adapters []PortInfo
	for _, p := range ports {
		if _, ok := p.Adapter(); ok {
			adapters = append(adapters, p)
		}
	}
	switch len(adapters) {
	case 1:
		name, _ := adapters[0].Adapter()
		why := name + " USB serial adapter"
		if missing != "" {
			why += " (" + missing + ")"
		}
		return PortChoice{Path: adapters[0].Path, Why: why}
	case 0:
		return PortChoice{Why: missing}
	}
	why := "several USB serial adapters: choose the one on the unit's cable"
	if missing != "" {
		why = missing + "; " + why
	}
	return PortChoice{Why: why}
}
