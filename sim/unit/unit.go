// Package unit simulates a FleetDesk generator controller sitting in MCUboot serial recovery, for
// tests, benchmarks and `fleetsim unit`. It is written from the Zephyr SMP transport/protocol and
// MCUboot serial recovery texts, with its own framing, CRC and CBOR handling, and deliberately
// shares no code with app/recovery: a misunderstanding on one side shows up as a failure instead
// of passing both. It paces its line to an emulated baud rate (a pty has none) and injects faults
// on request: dropped packets, a stall mid-upload, a receive buffer too small for big chunks.
//
// By default it plays a FleetDesk unit: identity group, MCUmgr parameters, image state with every
// flag, an upload into the secondary slot that honours "upgrade" and "sha", and an application
// that answers SMP after a reset. Stock turns it into what MCUboot's serial recovery
// (boot_serial.c) built with Zephyr's Kconfig defaults does instead; each of those behaviours is
// also a Config field of its own.
package unit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
)

// Config describes the simulated unit. Zero values mean the defaults noted.
type Config struct {
	Model     fleet.Model     // default D180
	Transport fleet.Transport // default gsm
	Version   string          // running firmware, default "2.3.0"
	Serial    string          // default "SIM-<model>-0001"

	Baud     int // emulated line rate, 8N1; 0 leaves the line unpaced
	Buf      int // receive buffer: the largest decoded packet accepted, default 1024
	BufCount int // buffers announced by MCUmgr parameters, default 1

	NoIdentity bool // answer the FleetDesk identity group "not supported", like plain MCUboot
	NoParams   bool // answer MCUmgr parameters "not supported", like many MCUboot builds

	DropEvery int           // silently drop every K-th request packet (0: never)
	StallAt   int           // once the upload reaches this offset, go silent for StallFor (0: never)
	StallFor  time.Duration // default 2s

	// FlipBitAt plays a bad flash cell: the byte at this offset of an upload is stored with its
	// low bit flipped, so the slot fails the bootloader's hash check (0: every write is good).
	FlipBitAt int

	SlotSize   int           // default 1 MiB
	RebootTime time.Duration // time deaf after a reset, default 200ms

	// What a stock MCUboot does (Stock sets them all).

	// NoImageState: image list entries carry exactly slot, hash and version, and a slot is
	// listed only when its image validates (CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE=n, the
	// default, and the only choice in single-slot builds).
	NoImageState bool
	// NoEcho: echo (group 0 id 0) answers rc 8 (CONFIG_BOOT_MGMT_ECHO=n).
	NoEcho bool
	// PrimaryUpload: the upload as boot_serial.c does it: straight into slot 0, which offset 0
	// erases whole; only image, data, len and off are read ("sha" and "upgrade" are ignored and
	// no "match" is answered); a len over SlotSize is refused with rc 3 before anything is erased.
	PrimaryUpload bool
	// SilentApp: a reset boots the valid image in slot 0, and that application never answers
	// SMP on this port (a boot banner, then silence) until EnterRecovery. With no valid image
	// the bootloader stays in serial recovery.
	SilentApp bool
	// LineMax is Zephyr's receive line buffer (CONFIG_BOOT_MAX_LINE_INPUT_LEN, 128): bytes of a
	// line past it are dropped, so its packet is lost. Non-zero also selects the rest of
	// Zephyr's receive path: the length must count the CRC, each line's base64 is decoded on
	// its own (a CR before the newline, or characters past the last group of four, spoil it).
	LineMax int
	// V1Errors: errors always in the SMP v1 form {"rc": n}, also for SMP v2 requests, and the
	// reset answered {"rc": 0}, as boot_serial.c answers.
	V1Errors bool
	// DropEcho: echo requests go unanswered, as on a unit whose SMP server drops what it was
	// built without. A fault, not a stock behaviour (a stock MCUboot answers rc 8).
	DropEcho bool
	// RejectUpdate: a reset does not boot an uploaded image (a bootloader that refuses it, say
	// for its signature): the previous firmware keeps running. A fault, not a stock behaviour.
	RejectUpdate bool
	// SlotInfo answers MCUboot's slot info (group 1 id 6: slot sizes and max_image_size), which
	// CONFIG_BOOT_SERIAL_IMG_GRP_SLOT_INFO enables (off by default).
	SlotInfo bool
	// WaitForDFU plays CONFIG_BOOT_SERIAL_WAIT_FOR_DFU with this timeout
	// (CONFIG_BOOT_SERIAL_WAIT_FOR_DFU_TIMEOUT, 500 ms when the option is on; the option itself is
	// off in Zephyr's defaults, so Stock leaves it 0). After a reset, once RebootTime is over, the
	// bootloader listens this long before it boots the image: any whole, valid request that
	// arrives meanwhile is answered by the bootloader, which then stays in serial recovery for
	// good (boot_serial.c sets bs_entry) instead of booting the application. It answers the image
	// list without "active", as MCUboot's serial recovery always does.
	WaitForDFU time.Duration
}

// ZephyrLineMax is CONFIG_BOOT_MAX_LINE_INPUT_LEN's default.
const ZephyrLineMax = 128

// Stock returns cfg with every behaviour of a stock MCUboot serial recovery built with Zephyr's
// Kconfig defaults: no image state flags, no echo, no MCUmgr parameters, no FleetDesk identity
// group, boot_serial.c's upload into slot 0, v1 errors, Zephyr's 128-byte receive lines, and an
// application that does not speak SMP after the reset.
func Stock(cfg Config) Config {
	cfg.NoImageState, cfg.NoEcho, cfg.NoParams, cfg.NoIdentity = true, true, true, true
	cfg.PrimaryUpload, cfg.SilentApp, cfg.V1Errors = true, true, true
	if cfg.LineMax == 0 {
		cfg.LineMax = ZephyrLineMax
	}
	return cfg
}

// Stats is what the unit saw; tests assert on it.
type Stats struct {
	Requests       int   // request packets decoded
	Dropped        int   // dropped by DropEvery
	Oversize       int   // dropped because they exceeded Buf
	StallDropped   int   // ignored while stalled or rebooting
	BadFrames      int   // CRC or base64 failures
	UploadRequests int   // image upload requests handled
	UploadBytes    int64 // image data bytes received in upload requests
	UploadOffsets  []int // the off of every upload request handled, in order
	Restarts       int   // uploads started at offset 0 (the first one included)
	Mismatched     int   // upload requests at another offset than expected, answered and not written
	Resets         int
	UpgradeOnly    int  // uploads started with the "upgrade" key set (honoured or, with PrimaryUpload, ignored)
	RefusedOlder   int  // of those, refused because the image was not newer than the running one
	Bricked        bool // a reset booted an image for another variant
	CutLines       int  // lines longer than LineMax, cut short (their packet is lost)
	AppIgnored     int  // packets the running application (SilentApp) ignored
	AppRunning     bool // SilentApp: the application runs; the bootloader no longer answers
	// KeptInRecovery counts restarts after which a request that arrived in the WaitForDFU window
	// kept the bootloader in serial recovery instead of booting the application.
	KeptInRecovery int
	InBootloader   bool // WaitForDFU: a request in the window kept the unit in serial recovery
}

// Slot is one image slot as the unit holds it.
type Slot struct {
	Version  string
	Hash     []byte
	Variant  string // the 0xa0 TLV value, empty if none
	Bootable bool
	Pending  bool
}

// Unit is one simulated controller.
type Unit struct {
	cfg Config

	mu    sync.Mutex
	slots [2]*Slot
	up    struct {
		active bool
		buf    []byte
		off    int
		sha    []byte
	}
	stats        Stats
	stallArmed   bool
	stalledUntil time.Time
	deafUntil    time.Time
	bootCount    int
	appRunning   bool
	// WaitForDFU: after a reset the application starts only at dfuUntil, unless a request
	// arrives first (then keptInRecovery: the bootloader answers and never boots it).
	bootPending    bool
	dfuUntil       time.Time
	keptInRecovery bool
}

// New builds a unit with a valid image of cfg.Version in slot 0.
func New(cfg Config) (*Unit, error) {
	if cfg.Model == "" {
		cfg.Model = fleet.ModelD180
	}
	if cfg.Transport == "" {
		cfg.Transport = fleet.TransportGSM
	}
	if cfg.Version == "" {
		cfg.Version = "2.3.0"
	}
	if cfg.Serial == "" {
		cfg.Serial = "SIM-" + string(cfg.Model) + "-0001"
	}
	if cfg.Buf == 0 {
		cfg.Buf = 1024
	}
	if cfg.BufCount == 0 {
		cfg.BufCount = 1
	}
	if cfg.StallFor == 0 {
		cfg.StallFor = 2 * time.Second
	}
	if cfg.SlotSize == 0 {
		cfg.SlotSize = 1 << 20
	}
	if cfg.RebootTime == 0 {
		cfg.RebootTime = 200 * time.Millisecond
	}
	if !cfg.Model.Valid() || !cfg.Transport.Valid() {
		return nil, fmt.Errorf("unit: unknown model %q or transport %q", cfg.Model, cfg.Transport)
	}
	if cfg.Buf < 64 {
		return nil, fmt.Errorf("unit: buffer of %d bytes is too small for any SMP packet", cfg.Buf)
	}
	v := fleet.VariantFor(cfg.Model, cfg.Transport)
	img, err := fwimage.Build(v, cfg.Version, fwimage.Payload(v, cfg.Version, 4096))
	if err != nil {
		return nil, err
	}
	s, err := inspect(img)
	if err != nil {
		return nil, fmt.Errorf("unit: initial image: %w", err)
	}
	u := &Unit{cfg: cfg, stallArmed: cfg.StallAt > 0}
	u.slots[0] = s
	return u, nil
}

// Variant is the firmware variant this unit needs.
func (u *Unit) Variant() fleet.Variant {
	return fleet.VariantFor(u.cfg.Model, u.cfg.Transport)
}

// Stats returns a copy of what the unit saw so far.
func (u *Unit) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.settle(time.Now())
	s := u.stats
	s.UploadOffsets = append([]int(nil), s.UploadOffsets...)
	s.AppRunning, s.InBootloader = u.appRunning, u.keptInRecovery
	return s
}

// Slots returns copies of the two image slots (nil when empty).
func (u *Unit) Slots() [2]*Slot {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out [2]*Slot
	for i, s := range u.slots {
		if s != nil {
			c := *s
			out[i] = &c
		}
	}
	return out
}

// Serve answers SMP requests arriving on rw until ctx ends or rw fails. Bytes are paced to
// cfg.Baud in each direction independently (the line is full duplex): a request counts as
// received when its last byte would have arrived, an answer leaves after its line time.
func (u *Unit) Serve(ctx context.Context, rw io.ReadWriter) error {
	byteTime := time.Duration(0)
	if u.cfg.Baud > 0 {
		byteTime = time.Second * 10 / time.Duration(u.cfg.Baud) // 8N1: 10 bits a byte
	}
	type arrival struct {
		data []byte
		at   time.Time
		err  error
	}
	in := make(chan arrival, 64)
	go func() {
		// The reader stamps arrival times while the handler may be busy sending an answer.
		var rxClock time.Time
		for {
			buf := make([]byte, 2048)
			n, err := rw.Read(buf)
			now := time.Now()
			if rxClock.Before(now) {
				rxClock = now
			}
			rxClock = rxClock.Add(time.Duration(n) * byteTime)
			select {
			case in <- arrival{buf[:n], rxClock, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var txClock time.Time
	var fr lineFramer = &framer{}
	if u.cfg.LineMax > 0 {
		fr = &zephyrFramer{max: u.cfg.LineMax, out: u.cfg.Buf + 1}
	}
	for {
		var a arrival
		select {
		case <-ctx.Done():
			return ctx.Err()
		case a = <-in:
		}
		for _, pkt := range fr.feed(a.data) {
			out := u.handlePacket(pkt)
			if len(out) == 0 {
				continue
			}
			if byteTime > 0 {
				// The answer starts once the line is free and the request's last byte is in,
				// and lands after its own line time: one sleep covers both directions.
				start := time.Now()
				for _, t := range []time.Time{txClock, a.at} {
					if t.After(start) {
						start = t
					}
				}
				txClock = start.Add(time.Duration(len(out)) * byteTime)
				time.Sleep(time.Until(txClock))
			}
			if _, err := rw.Write(out); err != nil {
				return err
			}
		}
		bad, cut := fr.faults()
		u.mu.Lock()
		u.stats.BadFrames += bad
		u.stats.CutLines += cut
		u.mu.Unlock()
		if a.err != nil {
			return a.err
		}
	}
}

// lineFramer turns the bytes of the line into raw decoded packets (length field, body and CRC).
type lineFramer interface {
	feed(p []byte) [][]byte
	// faults returns and resets the count of malformed packets and of lines cut short.
	faults() (bad, cut int)
}

// framer collects SMP serial lines into packets (length-prefixed, CRC-checked raw bytes), lenient
// the way a FleetDesk unit is: either length convention, a CR before the newline, long lines.
type framer struct {
	line []byte
	pkt  []byte
	open bool
	bad  int
}

// feed returns the raw decoded packets (length field, body and CRC) completed by p.
func (f *framer) feed(p []byte) [][]byte {
	var out [][]byte
	for _, c := range p {
		if c != '\n' {
			if len(f.line) < 8192 {
				f.line = append(f.line, c)
			}
			continue
		}
		line := bytes.TrimSuffix(f.line, []byte{'\r'})
		f.line = f.line[:0]
		if len(line) < 2 {
			continue
		}
		switch {
		case line[0] == 6 && line[1] == 9:
			f.pkt, f.open = f.pkt[:0], true
		case line[0] == 4 && line[1] == 20 && f.open:
		default:
			continue
		}
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(line)-2))
		n, err := base64.StdEncoding.Decode(dec, line[2:])
		if err != nil {
			f.open = false
			f.bad++
			continue
		}
		f.pkt = append(f.pkt, dec[:n]...)
		if len(f.pkt) < 2 {
			continue
		}
		want := int(f.pkt[0])<<8 | int(f.pkt[1])
		// Either the length counts the CRC (Zephyr) or only the body (older MCUboot text).
		for _, bodyLen := range []int{want - 2, want} {
			if bodyLen >= 0 && len(f.pkt) == 2+bodyLen+2 {
				body := f.pkt[2 : 2+bodyLen]
				if crc16(body) == uint16(f.pkt[2+bodyLen])<<8|uint16(f.pkt[3+bodyLen]) {
					out = append(out, append([]byte(nil), f.pkt...))
					f.open = false
					break
				}
			}
		}
		if f.open && len(f.pkt) >= want+4 {
			f.open = false
			f.bad++
		}
	}
	return out
}

func (f *framer) faults() (int, int) {
	b := f.bad
	f.bad = 0
	return b, 0
}

// zephyrFramer is MCUboot's receive path on Zephyr (serial_adapter.c and boot_serial_in_dec): a
// line is kept up to max bytes and the rest of it dropped; the last byte kept is taken for the
// newline and cut off; the base64 after the marker is decoded on its own with Zephyr's decoder
// into a buffer of out bytes; a packet is complete when the length field equals the bytes
// decoded after it (the CRC counted) and the CRC over them checks out.
type zephyrFramer struct {
	max, out int
	line     []byte
	full     bool // bytes of the current line were dropped
	pkt      []byte
	bad, cut int
}

func (f *zephyrFramer) faults() (int, int) {
	b, c := f.bad, f.cut
	f.bad, f.cut = 0, 0
	return b, c
}

func (f *zephyrFramer) feed(p []byte) [][]byte {
	var out [][]byte
	for _, c := range p {
		if len(f.line) < f.max {
			f.line = append(f.line, c)
		} else {
			f.full = true
		}
		if c != '\n' {
			continue
		}
		line := f.line
		if f.full {
			f.cut++
		}
		f.line, f.full = f.line[:0], false
		if len(line) < 3 {
			continue
		}
		switch {
		case line[0] == 6 && line[1] == 9:
			f.pkt = f.pkt[:0]
		case line[0] == 4 && line[1] == 20:
		default:
			continue
		}
		dec, ok := zephyrBase64(line[2:len(line)-1], f.out-len(f.pkt))
		if !ok {
			f.bad++
			continue
		}
		f.pkt = append(f.pkt, dec...)
		if len(f.pkt) <= 2 {
			continue
		}
		n := int(f.pkt[0])<<8 | int(f.pkt[1])
		if n != len(f.pkt)-2 {
			continue // more lines to come
		}
		if n <= 2 || crc16(f.pkt[2:]) != 0 {
			f.bad++ // MCUboot keeps what it decoded: the packet never completes
			continue
		}
		out = append(out, append([]byte(nil), f.pkt...))
		f.pkt = f.pkt[:0]
	}
	return out
}

// zephyrBase64 decodes like Zephyr's base64_decode: spaces and line breaks are skipped, any other
// character outside the alphabet (a lone CR included) fails, a result longer than room fails,
// and characters after the last complete group of four are dropped without a word.
func zephyrBase64(src []byte, room int) ([]byte, bool) {
	var chars []byte
	pad := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == ' ' || c == '\n' || (c == '\r' && i+1 < len(src) && src[i+1] == '\n'):
			continue
		case c == '=':
			if pad++; pad > 2 {
				return nil, false
			}
		case pad > 0 || !isBase64(c):
			return nil, false
		}
		chars = append(chars, c)
	}
	if n := (len(chars)*6+7)>>3 - pad; n > room {
		return nil, false
	}
	chars = chars[:len(chars)/4*4]
	dec := make([]byte, base64.StdEncoding.DecodedLen(len(chars)))
	n, err := base64.StdEncoding.Decode(dec, chars)
	if err != nil {
		return nil, false
	}
	return dec[:n], true
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// crc16 is CRC-16/XMODEM computed bit by bit, as the spec describes it.
func crc16(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// frame encodes a response body for the line: length (body + CRC), body, CRC, base64 broken into
// lines of at most 127 bytes.
func frame(body []byte) []byte {
	raw := make([]byte, 2, len(body)+4)
	binary.BigEndian.PutUint16(raw, uint16(len(body)+2))
	raw = append(raw, body...)
	raw = binary.BigEndian.AppendUint16(raw, crc16(body))
	b64 := base64.StdEncoding.EncodeToString(raw)
	var out []byte
	for i := 0; i < len(b64); i += 124 {
		if i == 0 {
			out = append(out, 6, 9)
		} else {
			out = append(out, 4, 20)
		}
		out = append(out, b64[i:min(i+124, len(b64))]...)
		out = append(out, '\n')
	}
	return out
}

// kv is one response map entry; responses are written as indefinite-length maps, as real units do.
type kv struct {
	k string
	v any
}

func indefMap(pairs ...kv) []byte {
	out := []byte{0xbf}
	for _, p := range pairs {
		k, _ := cbor.Marshal(p.k)
		v, err := cbor.Marshal(p.v)
		if err != nil {
			panic(err) // only our own literal values reach here
		}
		out = append(append(out, k...), v...)
	}
	return append(out, 0xff)
}

// handlePacket applies the fault rules and answers one packet; nil means silence.
func (u *Unit) handlePacket(pkt []byte) []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	if now.Before(u.deafUntil) || now.Before(u.stalledUntil) {
		u.stats.StallDropped++
		return nil
	}
	u.settle(now)
	if u.appRunning {
		u.stats.AppIgnored++
		return nil
	}
	if len(pkt) > u.cfg.Buf {
		u.stats.Oversize++
		return nil
	}
	u.stats.Requests++
	if u.cfg.DropEvery > 0 && u.stats.Requests%u.cfg.DropEvery == 0 {
		u.stats.Dropped++
		return nil
	}
	n := int(pkt[0])<<8 | int(pkt[1])
	body := pkt[2:]
	if len(body) == n {
		body = body[:n-2]
	} else {
		body = body[:n]
	}
	if len(body) < 8 {
		return nil
	}
	ver := body[0] >> 3 & 3
	op := body[0] & 7
	group := binary.BigEndian.Uint16(body[4:])
	seq, id := body[6], body[7]
	plen := int(binary.BigEndian.Uint16(body[2:]))
	if plen != len(body)-8 {
		return nil
	}
	if u.bootPending && (op == 0 || op == 2) {
		// A whole request in the bootloader's wait for DFU: boot_serial_input answers it and
		// sets bs_entry, so the bootloader never leaves serial recovery.
		u.bootPending, u.keptInRecovery = false, true
		u.stats.KeptInRecovery++
	}
	req := map[string]any{}
	if plen > 0 {
		if err := cbor.Unmarshal(body[8:], &req); err != nil {
			return u.reply(ver, op, group, seq, id, u.errPayload(ver, group, 3))
		}
	}
	payload, silent := u.dispatch(ver, op, group, id, req)
	if silent {
		return nil
	}
	out := u.reply(ver, op, group, seq, id, payload)
	if group == 0 && id == 5 && op == 2 {
		// The reset answer goes out, then the unit reboots: a banner on the line, deaf meanwhile.
		out = append(out, []byte("\r\n*** Booting MCUboot (FleetDesk sim) ***\r\n")...)
		if u.appRunning {
			// What an application that does not speak SMP leaves on the line: its console.
			out = append(out, []byte("*** Booting Zephyr OS build v3.7.0 ***\r\n[00:00:00.012,000] <inf> app: generator controller "+u.slots[0].Version+" started\r\n")...)
		}
	}
	return out
}

func (u *Unit) reply(ver, op uint8, group uint16, seq, id uint8, payload []byte) []byte {
	h := make([]byte, 8, 8+len(payload))
	h[0] = ver<<3 | (op + 1)
	binary.BigEndian.PutUint16(h[2:], uint16(len(payload)))
	binary.BigEndian.PutUint16(h[4:], group)
	h[6], h[7] = seq, id
	return frame(append(h, payload...))
}

// errPayload is an error in the form the request's SMP version calls for (always v1 with V1Errors).
func (u *Unit) errPayload(ver uint8, group uint16, rc int) []byte {
	if ver == 1 && !u.cfg.V1Errors {
		return indefMap(kv{"err", map[string]int{"group": int(group), "rc": rc}})
	}
	return indefMap(kv{"rc", rc})
}

// dispatch runs one command with u.mu held.
func (u *Unit) dispatch(ver, op uint8, group uint16, id uint8, req map[string]any) (payload []byte, silent bool) {
	const notSupported = 8
	switch {
	case group == 0 && id == 0 && op == 2:
		if u.cfg.DropEcho {
			return nil, true
		}
		if u.cfg.NoEcho {
			return u.errPayload(ver, group, notSupported), false
		}
		d, _ := req["d"].(string)
		return indefMap(kv{"r", d}), false
	case group == 0 && id == 5 && op == 2:
		u.reset()
		if u.cfg.V1Errors {
			return indefMap(kv{"rc", 0}), false
		}
		return indefMap(), false
	case group == 0 && id == 6 && op == 0:
		if u.cfg.NoParams {
			return u.errPayload(ver, group, notSupported), false
		}
		return indefMap(kv{"buf_size", u.cfg.Buf}, kv{"buf_count", u.cfg.BufCount}), false
	case group == 1 && id == 0 && op == 0:
		return u.imageState(), false
	case group == 1 && id == 1 && op == 2:
		if u.cfg.PrimaryUpload {
			return u.uploadPrimary(ver, req), false
		}
		return u.upload(ver, req)
	case group == 1 && id == 6 && op == 0 && u.cfg.SlotInfo:
		return u.slotInfo(), false
	case group == 64 && id == 0 && op == 0:
		if u.cfg.NoIdentity {
			return u.errPayload(ver, group, notSupported), false
		}
		return indefMap(kv{"model", string(u.cfg.Model)}, kv{"engine", string(u.cfg.Model)},
			kv{"transport", string(u.cfg.Transport)}, kv{"serial", u.cfg.Serial}), false
	}
	return u.errPayload(ver, group, notSupported), false
}

func (u *Unit) imageState() []byte {
	if u.cfg.NoImageState {
		return u.bootSerialList()
	}
	var images []map[string]any
	for i, s := range u.slots {
		if s == nil {
			continue
		}
		e := map[string]any{"image": 0, "slot": i, "version": s.Version, "bootable": s.Bootable,
			"pending": s.Pending, "confirmed": i == 0, "active": i == 0, "permanent": false}
		if u.keptInRecovery {
			delete(e, "active") // MCUboot's serial recovery never reports a slot active
		}
		if s.Hash != nil {
			e["hash"] = s.Hash
		}
		images = append(images, e)
	}
	return indefMap(kv{"images", images}, kv{"splitStatus", 0})
}

// bootSerialList is boot_serial.c's image list without CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE: a
// slot appears only when its image validates, as exactly {slot, hash, version} in that order,
// every map and the list of indefinite length (zcbor, not canonical).
func (u *Unit) bootSerialList() []byte {
	list := []byte{0x9f}
	for i, s := range u.slots {
		if s == nil || !s.Bootable {
			continue
		}
		list = append(list, indefMap(kv{"slot", i}, kv{"hash", s.Hash}, kv{"version", s.Version})...)
	}
	list = append(list, 0xff)
	return indefMap(kv{"images", cbor.RawMessage(list)})
}

// slotInfo is boot_serial.c's slot info answer (CONFIG_BOOT_SERIAL_IMG_GRP_SLOT_INFO).
func (u *Unit) slotInfo() []byte {
	slots := []byte{0x9f}
	slots = append(slots, indefMap(kv{"slot", 0}, kv{"size", u.cfg.SlotSize}, kv{"upload_image_id", 0})...)
	slots = append(slots, indefMap(kv{"slot", 1}, kv{"size", u.cfg.SlotSize})...)
	slots = append(slots, 0xff)
	img := indefMap(kv{"image", 0}, kv{"slots", cbor.RawMessage(slots)}, kv{"max_image_size", u.cfg.SlotSize})
	return indefMap(kv{"images", cbor.RawMessage(append(append([]byte{0x9f}, img...), 0xff))})
}

func intField(m map[string]any, k string) (int, bool) {
	switch v := m[k].(type) {
	case uint64:
		if v > 1<<31 {
			return 0, false
		}
		return int(v), true
	case int64:
		if v < 0 || v > 1<<31 {
			return 0, false
		}
		return int(v), true
	}
	return 0, false
}

// upload follows MCUboot's rules: offset 0 starts an upload (len required), a chunk at any other
// offset than the expected one is answered with the expected offset and not written.
func (u *Unit) upload(ver uint8, req map[string]any) ([]byte, bool) {
	const einval, enomem, ebadstate, imgErrVersionIsNewer = 3, 2, 6, 27
	off, ok := intField(req, "off")
	data, okd := req["data"].([]byte)
	if !ok || !okd {
		return u.errPayload(ver, 1, einval), false
	}
	if img, ok := intField(req, "image"); ok && img != 0 {
		return u.errPayload(ver, 1, einval), false
	}
	u.stats.UploadRequests++
	u.stats.UploadBytes += int64(len(data))
	u.stats.UploadOffsets = append(u.stats.UploadOffsets, off)
	if off == 0 {
		n, ok := intField(req, "len")
		if !ok || n == 0 {
			return u.errPayload(ver, 1, einval), false
		}
		if n > u.cfg.SlotSize {
			return u.errPayload(ver, 1, enomem), false
		}
		// Upgrade-only upload (Zephyr img_mgmt's "upgrade" key): an image that is not newer
		// than the running one is refused before anything is erased or written.
		if up, _ := req["upgrade"].(bool); up {
			u.stats.UpgradeOnly++
			if v, ok := headerVersion(data); !ok || fleet.CompareVersions(v, u.slots[0].Version) <= 0 {
				u.stats.RefusedOlder++
				if ver == 1 {
					return u.errPayload(ver, 1, imgErrVersionIsNewer), false
				}
				return u.errPayload(ver, 1, ebadstate), false
			}
		}
		u.stats.Restarts++
		u.up.active, u.up.buf, u.up.off = true, make([]byte, n), 0
		u.up.sha, _ = req["sha"].([]byte)
		u.slots[1] = nil // the secondary slot is erased
	}
	if !u.up.active || off != u.up.off {
		u.stats.Mismatched++
		return indefMap(kv{"rc", 0}, kv{"off", u.up.off}), false
	}
	if off+len(data) > len(u.up.buf) {
		return u.errPayload(ver, 1, einval), false
	}
	copy(u.up.buf[off:], data)
	if at := u.cfg.FlipBitAt; at > 0 && at >= off && at < off+len(data) {
		u.up.buf[at] ^= 1
	}
	u.up.off += len(data)
	resp := []kv{{"rc", 0}, {"off", u.up.off}}
	if u.up.off == len(u.up.buf) {
		u.up.active = false
		if u.up.sha != nil {
			// The match is over the bytes as they arrived (a streaming hash), not as flash
			// stored them: a bad cell shows only when the slot is read back.
			received := u.up.buf
			if at := u.cfg.FlipBitAt; at > 0 && at < len(received) {
				received = bytes.Clone(received)
				received[at] ^= 1
			}
			sum := sha256.Sum256(received)
			resp = append(resp, kv{"match", bytes.Equal(sum[:], u.up.sha)})
		}
		s, err := inspect(u.up.buf)
		if err != nil {
			s = &Slot{Bootable: false}
		} else {
			s.Pending = true
		}
		u.slots[1] = s
	}
	if u.stallArmed && u.up.off >= u.cfg.StallAt {
		// The chunk is written but its answer never leaves: the client must learn the offset
		// from the unit when it comes back.
		u.stallArmed = false
		u.stalledUntil = time.Now().Add(u.cfg.StallFor)
		return nil, true
	}
	return indefMap(resp...), false
}

// uploadPrimary is boot_serial.c's bs_upload: it reads only image, data, len and off; offset 0
// checks len against the slot (rc 3 before anything is erased) and erases slot 0 whole; a chunk at
// another offset than the expected one is answered {"rc": 0, "off": expected} and not written.
func (u *Unit) uploadPrimary(ver uint8, req map[string]any) []byte {
	const einval = 3
	off, ok := intField(req, "off")
	data, okd := req["data"].([]byte)
	if !ok || !okd {
		return u.errPayload(ver, 1, einval)
	}
	if img, ok := intField(req, "image"); ok && img != 0 && off == 0 {
		return u.errPayload(ver, 1, einval) // a single-image unit has no other slot to open
	}
	u.stats.UploadRequests++
	u.stats.UploadBytes += int64(len(data))
	u.stats.UploadOffsets = append(u.stats.UploadOffsets, off)
	if off == 0 {
		n, ok := intField(req, "len")
		if !ok || n > u.cfg.SlotSize {
			return u.errPayload(ver, 1, einval)
		}
		if up, _ := req["upgrade"].(bool); up {
			u.stats.UpgradeOnly++ // seen, and ignored: boot_serial.c never reads it
		}
		u.stats.Restarts++
		u.up.active, u.up.buf, u.up.off, u.up.sha = true, make([]byte, n), 0, nil
		u.slots[0] = nil // the primary slot is erased: the running firmware is gone
	} else if !u.up.active || off != u.up.off {
		u.stats.Mismatched++
		return indefMap(kv{"rc", 0}, kv{"off", u.up.off})
	}
	if off+len(data) > len(u.up.buf) {
		return u.errPayload(ver, 1, einval)
	}
	copy(u.up.buf[off:], data)
	if at := u.cfg.FlipBitAt; at > 0 && at >= off && at < off+len(data) {
		u.up.buf[at] ^= 1
	}
	u.up.off += len(data)
	if u.up.off == len(u.up.buf) {
		u.up.active = false
		s, err := inspect(u.up.buf)
		if err != nil {
			s = &Slot{Bootable: false}
		}
		u.slots[0] = s
	}
	return indefMap(kv{"rc", 0}, kv{"off", u.up.off})
}

// reset reboots: a valid pending image in slot 1 is swapped into slot 0 and runs. With SilentApp
// a valid slot 0 boots an application that no longer answers SMP.
func (u *Unit) reset() {
	u.stats.Resets++
	u.deafUntil = time.Now().Add(u.cfg.RebootTime)
	u.up.active = false
	u.appRunning, u.keptInRecovery, u.bootPending = false, false, false
	if s := u.slots[1]; s != nil && s.Bootable && s.Pending && !u.cfg.RejectUpdate {
		s.Pending = false
		u.slots[0], u.slots[1] = s, u.slots[0]
	}
	if s := u.slots[0]; s != nil && s.Bootable {
		if u.cfg.WaitForDFU > 0 {
			u.bootPending, u.dfuUntil = true, u.deafUntil.Add(u.cfg.WaitForDFU)
		} else {
			u.boot()
		}
	}
	u.bootCount++
}

// boot starts the application in slot 0.
func (u *Unit) boot() {
	if want := fwVariant(u.Variant()); u.slots[0].Variant != want {
		u.stats.Bricked = true
	}
	u.appRunning = u.cfg.SilentApp
}

// settle boots the application once the bootloader's wait for DFU ended without a request.
func (u *Unit) settle(now time.Time) {
	if u.bootPending && !now.Before(u.dfuUntil) {
		u.bootPending = false
		u.boot()
	}
}

// EnterRecovery restarts the unit into serial recovery, as a technician does by power-cycling it
// with the recovery button held: the bootloader answers again.
func (u *Unit) EnterRecovery() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.appRunning, u.bootPending, u.keptInRecovery = false, false, false
	u.up.active = false
	u.deafUntil = time.Now().Add(u.cfg.RebootTime)
}

// headerVersion reads the version from an MCUboot image header at the start of data.
func headerVersion(data []byte) (string, bool) {
	if len(data) < 28 || binary.LittleEndian.Uint32(data) != 0x96f3b83d {
		return "", false
	}
	v := fmt.Sprintf("%d.%d.%d", data[20], data[21], binary.LittleEndian.Uint16(data[22:]))
	if b := binary.LittleEndian.Uint32(data[24:]); b != 0 {
		v += fmt.Sprintf(".%d", b)
	}
	return v, true
}

func fwVariant(v fleet.Variant) string {
	return "console=" + string(v.Console) + ";engine=" + string(v.Model) + ";transport=" + string(v.Transport)
}

// inspect validates an MCUboot image the way a bootloader does (header magic, SHA-256 TLV over
// header, payload and protected TLVs) and reads its version and variant.
func inspect(img []byte) (*Slot, error) {
	if len(img) < 32 || binary.LittleEndian.Uint32(img) != 0x96f3b83d {
		return nil, fmt.Errorf("bad magic")
	}
	hdr := int(binary.LittleEndian.Uint16(img[8:]))
	prot := int(binary.LittleEndian.Uint16(img[10:]))
	size := int(binary.LittleEndian.Uint32(img[12:]))
	end := hdr + size + prot
	if hdr < 32 || end+4 > len(img) {
		return nil, fmt.Errorf("truncated")
	}
	s := &Slot{Version: fmt.Sprintf("%d.%d.%d", img[20], img[21], binary.LittleEndian.Uint16(img[22:]))}
	if b := binary.LittleEndian.Uint32(img[24:]); b != 0 {
		s.Version += fmt.Sprintf(".%d", b)
	}
	walk := func(area []byte, fn func(t uint16, v []byte)) {
		for p := 4; p+4 <= len(area); {
			t, l := binary.LittleEndian.Uint16(area[p:]), int(binary.LittleEndian.Uint16(area[p+2:]))
			if p+4+l > len(area) {
				return
			}
			fn(t, area[p+4:p+4+l])
			p += 4 + l
		}
	}
	if prot > 0 {
		walk(img[hdr+size:end], func(t uint16, v []byte) {
			if t == 0xa0 {
				s.Variant = string(v)
			}
		})
	}
	if binary.LittleEndian.Uint16(img[end:]) != 0x6907 {
		return nil, fmt.Errorf("no TLV area")
	}
	tl := int(binary.LittleEndian.Uint16(img[end+2:]))
	if end+tl > len(img) {
		return nil, fmt.Errorf("truncated TLV area")
	}
	walk(img[end:end+tl], func(t uint16, v []byte) {
		if t == 0x10 {
			s.Hash = append([]byte(nil), v...)
		}
	})
	sum := sha256.Sum256(img[:end])
	if !bytes.Equal(sum[:], s.Hash) {
		return nil, fmt.Errorf("hash mismatch")
	}
	s.Bootable = true
	return s, nil
}
