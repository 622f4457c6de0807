// Package smp speaks the Simple Management Protocol (SMP) as MCUboot serial recovery and Zephyr's
// MCUmgr carry it over a serial line: the line framing (0x06 0x09 / 0x04 0x14 markers, base64,
// CRC-16/XMODEM), the 8-byte SMP header, CBOR payloads, both error forms, and a client for the
// commands a recovery needs (echo, reset, MCUmgr parameters, image state, image upload and the
// FleetDesk identity group). It knows nothing about firmware variants or flashing policy.
package smp

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// Line framing constants from the Zephyr "SMP transport" page.
const (
	// MaxLine is the longest line on the wire, marker and newline included.
	MaxLine = 127
	// maxRawPerLine is how many packet bytes one line can carry: 124 base64 characters.
	maxRawPerLine = (MaxLine - 3) / 4 * 3
	// MaxPacket bounds a decoded packet: the length field is 16 bits.
	MaxPacket = 0xffff + 4
	// maxLineBuf bounds how much non-newline noise the decoder holds before discarding it, so a
	// stream without newlines cannot grow memory without limit.
	maxLineBuf = 4096
)

var (
	startMarker = [2]byte{0x06, 0x09}
	contMarker  = [2]byte{0x04, 0x14}
)

// EncodePacket frames one SMP message (header plus payload) for the serial line: it prefixes the
// length (body + CRC, Zephyr's convention), appends the CRC-16/XMODEM, and splits the result into
// lines of at most MaxLine bytes, each carrying base64 that decodes on its own.
func EncodePacket(body []byte) ([]byte, error) {
	if len(body)+2 > 0xffff {
		return nil, fmt.Errorf("smp: packet body of %d bytes is too long for the 16-bit length", len(body))
	}
	raw := make([]byte, 0, len(body)+4)
	raw = binary.BigEndian.AppendUint16(raw, uint16(len(body)+2))
	raw = append(raw, body...)
	raw = binary.BigEndian.AppendUint16(raw, CRC16(body))

	out := make([]byte, 0, EncodedLen(len(body)))
	for i := 0; i < len(raw); i += maxRawPerLine {
		end := min(i+maxRawPerLine, len(raw))
		if i == 0 {
			out = append(out, startMarker[:]...)
		} else {
			out = append(out, contMarker[:]...)
		}
		out = base64.StdEncoding.AppendEncode(out, raw[i:end])
		out = append(out, '\n')
	}
	return out, nil
}

// EncodedLen is the number of bytes EncodePacket puts on the wire for a body of n bytes. The
// flasher uses it to size chunks and to compute the line's stop-and-wait limit.
func EncodedLen(n int) int {
	raw := n + 4
	lines := (raw + maxRawPerLine - 1) / maxRawPerLine
	return base64.StdEncoding.EncodedLen(maxRawPerLine)*(raw/maxRawPerLine) +
		base64.StdEncoding.EncodedLen(raw%maxRawPerLine) + 3*lines
}

// ErrFrame reports a packet that arrived whole but was malformed (bad base64, bad CRC, bad length).
var ErrFrame = errors.New("smp: bad frame")

// Decoder reassembles packets from the bytes of a serial line. Bytes that are not SMP lines (boot
// banners, console chatter) are skipped. It is push-based so one reader goroutine can feed it
// whatever the port returns.
type Decoder struct {
	line    []byte
	pkt     []byte
	inPkt   bool
	discard bool // the current line overflowed maxLineBuf: drop it up to the next newline
}

// Feed consumes bytes and returns the packet bodies (SMP header and payload, without length and
// CRC) completed by them, plus one error per malformed packet seen. Errors never stop the
// decoder: the next start marker begins a fresh packet.
func (d *Decoder) Feed(p []byte) (bodies [][]byte, errs []error) {
	for len(p) > 0 {
		i := indexByte(p, '\n')
		if i < 0 {
			if !d.discard {
				d.line = append(d.line, p...)
				if len(d.line) > maxLineBuf {
					d.line = d.line[:0]
					d.discard = true
				}
			}
			return
		}
		if !d.discard {
			d.line = append(d.line, p[:i]...)
			if d.inPkt && len(d.line) >= 2 && d.line[0] == startMarker[0] && d.line[1] == startMarker[1] {
				// A new packet starts before the last one checked out: it was corrupt or cut short.
				errs = append(errs, fmt.Errorf("%w: packet of %d bytes abandoned (bad CRC or truncated)", ErrFrame, len(d.pkt)))
			}
			body, err := d.endLine(d.line)
			if body != nil {
				bodies = append(bodies, body)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		d.discard = false
		d.line = d.line[:0]
		p = p[i+1:]
	}
	return
}

func indexByte(p []byte, c byte) int {
	for i, b := range p {
		if b == c {
			return i
		}
	}
	return -1
}

// endLine handles one complete line (without its newline).
func (d *Decoder) endLine(line []byte) ([]byte, error) {
	// Tolerate a CR before the newline: some terminals and adapters add one.
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) < 2 {
		return nil, nil
	}
	switch {
	case line[0] == startMarker[0] && line[1] == startMarker[1]:
		d.pkt = d.pkt[:0]
		d.inPkt = true
	case line[0] == contMarker[0] && line[1] == contMarker[1]:
		if !d.inPkt {
			return nil, nil // a continuation of a packet we never saw start
		}
	default:
		return nil, nil // not an SMP line
	}
	raw, err := base64.StdEncoding.AppendDecode(d.pkt, line[2:])
	if err != nil {
		d.inPkt = false
		return nil, fmt.Errorf("%w: base64: %v", ErrFrame, err)
	}
	d.pkt = raw
	if len(d.pkt) < 2 {
		return nil, nil
	}
	n := int(binary.BigEndian.Uint16(d.pkt))
	got := len(d.pkt) - 2
	// Zephyr counts the CRC in the length; older text counts only the body. A packet ends at a
	// line end, so check the Zephyr reading first and the older one when more bytes arrived.
	if got == n && n >= 2 && CRC16(d.pkt[2:]) == 0 {
		d.inPkt = false
		return append([]byte(nil), d.pkt[2:2+n-2]...), nil
	}
	if got == n+2 && CRC16(d.pkt[2:]) == 0 {
		d.inPkt = false
		return append([]byte(nil), d.pkt[2:2+n]...), nil
	}
	if got >= n+2 || len(d.pkt) > MaxPacket {
		d.inPkt = false
		return nil, fmt.Errorf("%w: length %d, %d bytes received, CRC mismatch", ErrFrame, n, got)
	}
	return nil, nil
}
