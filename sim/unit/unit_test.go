package unit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fleetdesk/fleetdesk/sim/fwimage"
)

// talk starts u on one end of an in-memory pipe and returns a function that sends raw bytes and
// reads one SMP packet back (raw decoded bytes: length, body, CRC).
func talk(t *testing.T, u *Unit) func(req []byte) []byte {
	t.Helper()
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	go u.Serve(ctx, a)
	t.Cleanup(func() { cancel(); a.Close(); b.Close() })
	rd := bufio.NewReader(b)
	return func(req []byte) []byte {
		t.Helper()
		b.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := b.Write(req); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		for {
			line, err := rd.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			if len(line) < 3 || !(line[0] == 6 && line[1] == 9 || line[0] == 4 && line[1] == 20) {
				continue
			}
			part, err := base64.StdEncoding.DecodeString(string(line[2 : len(line)-1]))
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, part...)
			if len(raw) >= 2 && len(raw) == int(binary.BigEndian.Uint16(raw))+2 {
				return raw
			}
		}
	}
}

func TestEchoHelloVector(t *testing.T) {
	u, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	send := talk(t, u)
	raw := send([]byte("\x06\tABMCAAAJAAAAAKFhZGVoZWxsbyVv\n"))
	body := raw[2 : len(raw)-2]
	if crc16(body) != binary.BigEndian.Uint16(raw[len(raw)-2:]) {
		t.Fatal("bad CRC on the answer")
	}
	if body[0] != 3 || body[7] != 0 || body[6] != 0 {
		t.Fatalf("header % x", body[:8])
	}
	if body[8] != 0xbf || body[len(body)-1] != 0xff {
		t.Fatalf("answer is not an indefinite-length map: % x", body[8:])
	}
	var m map[string]string
	if err := cbor.Unmarshal(body[8:], &m); err != nil || m["r"] != "hello" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestErrorFormsAndLengthConventions(t *testing.T) {
	u, _ := New(Config{NoIdentity: true})
	send := talk(t, u)
	for _, bodyOnly := range []bool{false, true} {
		for _, ver := range []uint8{0, 1} {
			raw := send(encode(ver, 0, 64, 9, 0, map[string]any{}, bodyOnly))
			body := raw[2 : len(raw)-2]
			var m map[string]any
			if err := cbor.Unmarshal(body[8:], &m); err != nil {
				t.Fatal(err)
			}
			if body[6] != 9 || body[0]>>3 != ver {
				t.Fatalf("header % x", body[:8])
			}
			if ver == 0 && m["rc"] != uint64(8) {
				t.Fatalf("v1 answer %v", m)
			}
			if ver == 1 {
				e, _ := m["err"].(map[any]any)
				if e["rc"] != uint64(8) || e["group"] != uint64(64) {
					t.Fatalf("v2 answer %v", m)
				}
			}
		}
	}
}

// encode frames a request the way the spec describes, with either length convention.
func encode(ver, op uint8, group uint16, seq, id uint8, payload any, bodyOnlyLen bool) []byte {
	p, _ := cbor.Marshal(payload)
	body := []byte{ver<<3 | op, 0, byte(len(p) >> 8), byte(len(p)), byte(group >> 8), byte(group), seq, id}
	body = append(body, p...)
	n := len(body) + 2
	if bodyOnlyLen {
		n = len(body)
	}
	raw := append([]byte{byte(n >> 8), byte(n)}, body...)
	raw = binary.BigEndian.AppendUint16(raw, crc16(body))
	b64 := base64.StdEncoding.EncodeToString(raw)
	var out bytes.Buffer
	for i := 0; i < len(b64); i += 124 {
		if i == 0 {
			out.Write([]byte{6, 9})
		} else {
			out.Write([]byte{4, 20})
		}
		out.WriteString(b64[i:min(i+124, len(b64))])
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func TestOversizeDroppedAndPaced(t *testing.T) {
	u, _ := New(Config{Buf: 128, Baud: 115200})
	send := talk(t, u)
	big := encode(0, 2, 0, 1, 0, map[string]string{"d": string(make([]byte, 200))}, false)
	small := encode(0, 2, 0, 2, 0, map[string]string{"d": "x"}, false)
	t0 := time.Now()
	raw := send(append(big, small...))
	if el := time.Since(t0); el < time.Duration(len(big)+len(small))*10*time.Second/115200 {
		t.Fatalf("answered after %v: the line is not paced", el)
	}
	if raw[2+6] != 2 {
		t.Fatalf("answer to seq %d, want 2 (the oversize packet must be dropped)", raw[2+6])
	}
	if st := u.Stats(); st.Oversize != 1 {
		t.Fatalf("%+v", st)
	}
}

// FuzzFramer feeds arbitrary bytes through the unit's frame decoder and command handling.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("\x06\tABMCAAAJAAAAAKFhZGVoZWxsbyVv\n"))
	f.Add(encode(0, 2, 1, 1, 1, map[string]any{"off": 0, "len": 100, "data": []byte{1, 2, 3}}, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		var fr framer
		for _, pkt := range fr.feed(data) {
			u.handlePacket(pkt)
		}
	})
}

// With the "upgrade" key on an upload's first chunk the unit refuses an image that is not newer
// than the one it runs (Zephyr img_mgmt: SMP v2 group 1 rc 27, SMP v1 rc 6), before erasing
// anything; without the key, or with a newer image, the upload starts.
func TestUpgradeOnlyUpload(t *testing.T) {
	u, _ := New(Config{Version: "2.3.0"})
	send := talk(t, u)
	v := u.Variant()
	first := func(ver uint8, version string, upgrade bool) map[string]any {
		t.Helper()
		img, err := fwimage.Build(v, version, fwimage.Payload(v, version, 2000))
		if err != nil {
			t.Fatal(err)
		}
		req := map[string]any{"off": 0, "len": len(img), "data": img[:256]}
		if upgrade {
			req["upgrade"] = true
		}
		raw := send(encode(ver, 2, 1, 1, 1, req, false))
		var m map[string]any
		if err := cbor.Unmarshal(raw[2+8:len(raw)-2], &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := first(0, "2.2.0", true); m["rc"] != uint64(6) {
		t.Fatalf("v1 older with upgrade: %v", m)
	}
	if m := first(1, "2.3.0", true); m["err"].(map[any]any)["rc"] != uint64(27) {
		t.Fatalf("v2 same version with upgrade: %v", m)
	}
	if st := u.Stats(); st.RefusedOlder != 2 || st.Restarts != 0 || u.Slots()[1] != nil {
		t.Fatalf("refusals %+v", st)
	}
	if m := first(0, "2.4.0", true); m["off"] != uint64(256) {
		t.Fatalf("newer with upgrade: %v", m)
	}
	if m := first(0, "2.2.0", false); m["off"] != uint64(256) {
		t.Fatalf("older without upgrade: %v", m)
	}
}
