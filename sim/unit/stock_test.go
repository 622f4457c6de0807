package unit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fleetdesk/fleetdesk/sim/fwimage"
)

// line is a conversation with a unit over an in-memory pipe that can also notice silence.
type line struct {
	t  *testing.T
	b  net.Conn
	rd *bufio.Reader
	// text is every non-SMP line the unit wrote (banners, an application's console).
	text []string
}

func dial(t *testing.T, u *Unit) *line {
	t.Helper()
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	go u.Serve(ctx, a)
	t.Cleanup(func() { cancel(); a.Close(); b.Close() })
	return &line{t: t, b: b, rd: bufio.NewReader(b)}
}

// ask writes req and returns the answer's raw packet, or nil when nothing came within wait.
func (l *line) ask(req []byte, wait time.Duration) []byte {
	l.t.Helper()
	l.b.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := l.b.Write(req); err != nil {
		l.t.Fatal(err)
	}
	l.b.SetDeadline(time.Now().Add(wait))
	var raw []byte
	for {
		ln, err := l.rd.ReadBytes('\n')
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return nil
			}
			l.t.Fatal(err)
		}
		if len(ln) < 3 || !(ln[0] == 6 && ln[1] == 9 || ln[0] == 4 && ln[1] == 20) {
			if s := strings.TrimSpace(string(ln)); s != "" {
				l.text = append(l.text, s)
			}
			continue
		}
		if ln[0] == 6 {
			raw = raw[:0]
		}
		part, err := base64.StdEncoding.DecodeString(string(ln[2 : len(ln)-1]))
		if err != nil {
			l.t.Fatal(err)
		}
		raw = append(raw, part...)
		if len(raw) >= 2 && len(raw) == int(binary.BigEndian.Uint16(raw))+2 {
			return raw
		}
	}
}

// payload is the CBOR map of an answer.
func payload(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	if raw == nil {
		t.Fatal("no answer")
	}
	var m map[string]any
	if err := cbor.Unmarshal(raw[2+8:len(raw)-2], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// mapKeys lists the keys of one CBOR map in the order they were written.
func mapKeys(t *testing.T, raw cbor.RawMessage) []string {
	t.Helper()
	var pairs []string
	d := cbor.NewDecoder(bytes.NewReader(raw[1:])) // after the 0xbf of an indefinite map
	for {
		var k string
		if err := d.Decode(&k); err != nil {
			break
		}
		pairs = append(pairs, k)
		var skip cbor.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return pairs
}

const timeout = 300 * time.Millisecond

// A stock MCUboot lists each slot with exactly slot, hash and version (in boot_serial.c's order,
// indefinite-length maps), with no splitStatus; it has no echo, no MCUmgr parameters and no
// identity group, and answers rc 8 in the v1 form even to SMP v2 requests.
func TestStockAnswers(t *testing.T) {
	u, err := New(Stock(Config{Version: "2.3.0"}))
	if err != nil {
		t.Fatal(err)
	}
	l := dial(t, u)
	raw := l.ask(encode(0, 0, 1, 1, 0, map[string]any{}, false), timeout)
	var top struct {
		Images []cbor.RawMessage `cbor:"images"`
	}
	if err := cbor.Unmarshal(raw[10:len(raw)-2], &top); err != nil || len(top.Images) != 1 {
		t.Fatalf("image list %x: %v", raw, err)
	}
	if raw[10] != 0xbf || top.Images[0][0] != 0xbf {
		t.Fatalf("not indefinite-length maps: %x", raw[10:])
	}
	if keys := mapKeys(t, top.Images[0]); !slices.Equal(keys, []string{"slot", "hash", "version"}) {
		t.Fatalf("entry keys %v, want exactly slot, hash, version", keys)
	}
	if m := payload(t, raw); len(m) != 1 {
		t.Fatalf("answer keys beyond images: %v", m)
	}
	for _, req := range []struct {
		ver   uint8
		op    uint8
		group uint16
		id    uint8
	}{{0, 2, 0, 0}, {1, 2, 0, 0}, {0, 0, 0, 6}, {0, 0, 64, 0}, {1, 0, 64, 0}, {0, 2, 1, 0}} {
		m := payload(t, l.ask(encode(req.ver, req.op, req.group, 2, req.id, map[string]any{"d": "x"}, false), timeout))
		if len(m) != 1 || m["rc"] != uint64(8) {
			t.Errorf("%+v: %v, want {rc: 8}", req, m)
		}
	}
}

// boot_serial.c writes the upload straight into slot 0 (erased by the first chunk), reads only
// image, data, len and off: an older image with "upgrade" and a wrong "sha" is taken all the same,
// and no "match" is answered. A len over the slot is refused with rc 3 before anything is erased.
func TestStockUpload(t *testing.T) {
	u, _ := New(Stock(Config{Version: "2.3.0", SlotSize: 8192}))
	l := dial(t, u)
	v := u.Variant()
	big, _ := fwimage.Build(v, "2.4.0", fwimage.Payload(v, "2.4.0", 9000))
	m := payload(t, l.ask(encode(0, 2, 1, 1, 1, map[string]any{"off": 0, "len": len(big), "data": big[:256]}, false), timeout))
	if len(m) != 1 || m["rc"] != uint64(3) {
		t.Fatalf("oversize image: %v, want {rc: 3}", m)
	}
	if sl := u.Slots(); sl[0] == nil || sl[0].Version != "2.3.0" {
		t.Fatalf("slot 0 touched by a refused upload: %+v", sl[0])
	}

	old, _ := fwimage.Build(v, "2.2.0", fwimage.Payload(v, "2.2.0", 3000))
	wrong := sha256.Sum256([]byte("not the image"))
	m = payload(t, l.ask(encode(1, 2, 1, 2, 1, map[string]any{"off": 0, "len": len(old), "data": old[:512],
		"sha": wrong[:], "upgrade": true}, false), timeout))
	if m["rc"] != uint64(0) || m["off"] != uint64(512) {
		t.Fatalf("first chunk: %v", m)
	}
	if u.Slots()[0] != nil {
		t.Fatal("slot 0 not erased by the first chunk")
	}
	if m := payload(t, l.ask(encode(0, 2, 1, 3, 1, map[string]any{"off": 1 << 30, "data": []byte{0}}, false), timeout)); m["off"] != uint64(512) {
		t.Fatalf("chunk at another offset: %v", m)
	}
	for off := 512; off < len(old); off += 512 {
		m = payload(t, l.ask(encode(0, 2, 1, 4, 1, map[string]any{"off": off, "data": old[off:min(off+512, len(old))]}, false), timeout))
	}
	if _, ok := m["match"]; ok || m["off"] != uint64(len(old)) {
		t.Fatalf("last chunk: %v", m)
	}
	if sl := u.Slots(); sl[0] == nil || sl[0].Version != "2.2.0" || !sl[0].Bootable || sl[1] != nil {
		t.Fatalf("slots %+v %+v", sl[0], sl[1])
	}
	if st := u.Stats(); st.UpgradeOnly != 1 || st.RefusedOlder != 0 {
		t.Fatalf("the upgrade key was honoured: %+v", st)
	}
}

// After a reset the valid image in slot 0 boots an application that prints its console and never
// answers SMP; power-cycling with the recovery button held (EnterRecovery) brings the bootloader
// back. An upload left unfinished leaves no valid image, so the bootloader stays, listing nothing.
func TestStockResetBootsSilentApp(t *testing.T) {
	u, _ := New(Stock(Config{Version: "2.3.0", RebootTime: 20 * time.Millisecond}))
	l := dial(t, u)
	if m := payload(t, l.ask(encode(0, 2, 0, 1, 5, map[string]any{}, false), timeout)); len(m) != 1 || m["rc"] != uint64(0) {
		t.Fatalf("reset answer %v", m)
	}
	time.Sleep(50 * time.Millisecond)
	if raw := l.ask(encode(0, 0, 1, 2, 0, map[string]any{}, false), timeout); raw != nil {
		t.Fatalf("the application answered SMP: %x", raw)
	}
	if st := u.Stats(); !st.AppRunning || st.AppIgnored != 1 || !strings.Contains(strings.Join(l.text, "\n"), "Booting Zephyr OS") {
		t.Fatalf("stats %+v, console %q", st, l.text)
	}
	u.EnterRecovery()
	time.Sleep(50 * time.Millisecond)
	v := u.Variant()
	img, _ := fwimage.Build(v, "2.4.0", fwimage.Payload(v, "2.4.0", 3000))
	payload(t, l.ask(encode(0, 2, 1, 3, 1, map[string]any{"off": 0, "len": len(img), "data": img[:256]}, false), timeout))
	payload(t, l.ask(encode(0, 2, 0, 4, 5, map[string]any{}, false), timeout))
	time.Sleep(50 * time.Millisecond)
	m := payload(t, l.ask(encode(0, 0, 1, 5, 0, map[string]any{}, false), timeout))
	if imgs, _ := m["images"].([]any); len(imgs) != 0 || u.Stats().AppRunning {
		t.Fatalf("with an unfinished upload the bootloader lists %v (app running %v)", m, u.Stats().AppRunning)
	}
}

// Zephyr's receive path keeps 128 bytes of a line: a 127-byte line (what the SMP transport
// allows) goes through, a longer one loses its packet; the length must count the CRC; a CR before
// the newline spoils the line.
func TestZephyrReceiveLines(t *testing.T) {
	u, _ := New(Stock(Config{}))
	l := dial(t, u)
	long := map[string]any{"off": 1 << 30, "data": make([]byte, 300)}
	if raw := l.ask(encode(0, 2, 1, 1, 1, long, false), timeout); raw == nil {
		t.Fatal("a packet in 127-byte lines was not answered")
	}
	if raw := l.ask(encodeLines(encode(0, 2, 1, 2, 1, long, false), 160), timeout); raw != nil {
		t.Fatal("a packet in 163-byte lines was answered")
	}
	if raw := l.ask(encode(0, 2, 1, 3, 1, long, true), timeout); raw != nil {
		t.Fatal("a length without the CRC was accepted")
	}
	crlf := bytes.ReplaceAll(encode(0, 0, 1, 4, 0, map[string]any{}, false), []byte("\n"), []byte("\r\n"))
	if raw := l.ask(crlf, timeout); raw != nil {
		t.Fatal("a CRLF line was accepted")
	}
	if raw := l.ask(encode(0, 0, 1, 5, 0, map[string]any{}, false), timeout); raw == nil || raw[2+6] != 5 {
		t.Fatal("a good packet after the bad ones was not answered")
	}
	if st := u.Stats(); st.CutLines == 0 {
		t.Fatalf("%+v", st)
	}
}

// encodeLines re-splits a framed packet's base64 into lines of n characters.
func encodeLines(framed []byte, n int) []byte {
	var b64 []byte
	for _, ln := range bytes.Split(framed, []byte("\n")) {
		if len(ln) > 2 {
			b64 = append(b64, ln[2:]...)
		}
	}
	var out []byte
	for i := 0; i < len(b64); i += n {
		if i == 0 {
			out = append(out, 6, 9)
		} else {
			out = append(out, 4, 20)
		}
		out = append(append(out, b64[i:min(i+n, len(b64))]...), '\n')
	}
	return out
}

// FuzzZephyrFramer feeds arbitrary bytes through Zephyr's receive path and the stock handler.
func FuzzZephyrFramer(f *testing.F) {
	f.Add([]byte("\x06\tABMCAAAJAAAAAKFhZGVoZWxsbyVv\n"))
	f.Add(encode(0, 2, 1, 1, 1, map[string]any{"off": 0, "len": 100, "data": []byte{1, 2, 3}}, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := New(Stock(Config{}))
		if err != nil {
			t.Fatal(err)
		}
		fr := zephyrFramer{max: ZephyrLineMax, out: u.cfg.Buf + 1}
		for _, pkt := range fr.feed(data) {
			u.handlePacket(pkt)
		}
	})
}

// With CONFIG_BOOT_SERIAL_WAIT_FOR_DFU the bootloader listens for a while after each restart: a
// whole request in that window is answered by the bootloader, which then stays in serial recovery
// for good (no "active" in its image list, the application never starts); a request while it
// reboots is lost and keeps nothing; with a quiet window the application boots.
func TestWaitForDFUWindow(t *testing.T) {
	const reboot, window = 60 * time.Millisecond, 300 * time.Millisecond
	reset := func(l *line, seq uint8) {
		t.Helper()
		if m := payload(t, l.ask(encode(0, 2, 0, seq, 5, map[string]any{}, false), timeout)); m["rc"] != nil && m["rc"] != uint64(0) {
			t.Fatalf("reset answer %v", m)
		}
	}
	u, _ := New(Stock(Config{Version: "2.3.0", RebootTime: reboot, WaitForDFU: window}))
	l := dial(t, u)
	reset(l, 1)
	if raw := l.ask(encode(0, 0, 1, 2, 0, map[string]any{}, false), 20*time.Millisecond); raw != nil {
		t.Fatalf("answered while rebooting: %x", raw)
	}
	time.Sleep(reboot + window/4)
	m := payload(t, l.ask(encode(0, 0, 1, 3, 0, map[string]any{}, false), timeout))
	if imgs, _ := m["images"].([]any); len(imgs) != 1 {
		t.Fatalf("the bootloader's image list in its window: %v", m)
	}
	time.Sleep(window)
	if raw := l.ask(encode(0, 0, 1, 4, 0, map[string]any{}, false), timeout); raw == nil {
		t.Fatal("a request in the window did not keep the bootloader in serial recovery")
	}
	if st := u.Stats(); st.AppRunning || !st.InBootloader || st.KeptInRecovery != 1 || st.StallDropped != 1 {
		t.Fatalf("kept in recovery: %+v", st)
	}

	reset(l, 5)
	time.Sleep(reboot + window + 50*time.Millisecond)
	if raw := l.ask(encode(0, 0, 1, 6, 0, map[string]any{}, false), 100*time.Millisecond); raw != nil {
		t.Fatalf("the bootloader answered after a quiet window: %x", raw)
	}
	if st := u.Stats(); !st.AppRunning || st.InBootloader || st.KeptInRecovery != 1 {
		t.Fatalf("after a quiet window: %+v", st)
	}

	// A FleetDesk unit's bootloader, kept in recovery, reports no slot active; its application does.
	u, _ = New(Config{Version: "2.3.0", RebootTime: reboot, WaitForDFU: window})
	l = dial(t, u)
	active := func(seq uint8) bool {
		t.Helper()
		m := payload(t, l.ask(encode(0, 0, 1, seq, 0, map[string]any{}, false), timeout))
		imgs, _ := m["images"].([]any)
		e, _ := imgs[0].(map[any]any)
		return e["active"] == true
	}
	reset(l, 1)
	time.Sleep(reboot + window/4)
	if active(2) || active(3) || !u.Stats().InBootloader {
		t.Fatal("the bootloader kept in recovery reports a slot active")
	}
	reset(l, 4)
	time.Sleep(reboot + window + 50*time.Millisecond)
	if !active(5) || u.Stats().InBootloader {
		t.Fatal("the application does not report its slot active")
	}
}
