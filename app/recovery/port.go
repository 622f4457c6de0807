package recovery

import (
	"fmt"
	"io"
	"sort"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"
)

// DefaultBaud is what MCUboot serial recovery runs at unless the unit was built otherwise.
const DefaultBaud = 115200

// PortInfo is a serial port a technician can pick.
type PortInfo struct {
	Path         string
	IsUSB        bool
	VID, PID     string
	SerialNumber string
	Product      string
}

// Label is a one-line description for lists: "/dev/ttyUSB0 (USB 0403:6001 FT12345)".
func (p PortInfo) Label() string {
	if !p.IsUSB {
		return p.Path
	}
	s := fmt.Sprintf("%s (USB %s:%s", p.Path, p.VID, p.PID)
	if p.SerialNumber != "" {
		s += " " + p.SerialNumber
	}
	if p.Product != "" {
		s += " " + p.Product
	}
	return s + ")"
}

// ListPorts lists the serial ports of this machine with their USB identity when they have one.
func ListPorts() ([]PortInfo, error) {
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	out := make([]PortInfo, 0, len(list))
	for _, p := range list {
		out = append(out, PortInfo{Path: p.Name, IsUSB: p.IsUSB, VID: p.VID, PID: p.PID,
			SerialNumber: p.SerialNumber, Product: p.Product})
	}
	// USB adapters first: the cable to a unit is almost always one.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].IsUSB != out[j].IsUSB {
			return out[i].IsUSB
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// OpenPort opens a serial port 8N1 at baud. Raising DTR/RTS is attempted but a failure is not
// fatal: pseudo-terminals and some adapters do not implement the modem-control ioctls.
func OpenPort(path string, baud int) (io.ReadWriteCloser, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	_ = p.SetDTR(true)
	_ = p.SetRTS(true)
	return p, nil
}
