package smp

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// The Zephyr SMP transport example: echo {"d":"hello"}, op write, group 0, id 0, seq 0, v1.
const echoHelloLine = "\x06\tABMCAAAJAAAAAKFhZGVoZWxsbyVv\n"

func TestEchoHelloVector(t *testing.T) {
	payload, err := cbor.Marshal(map[string]string{"d": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xa1, 0x61, 0x64, 0x65, 'h', 'e', 'l', 'l', 'o'}; !bytes.Equal(payload, want) {
		t.Fatalf("CBOR % x, want % x", payload, want)
	}
	got, err := EncodePacket(Header{Op: OpWrite, Group: GroupOS, ID: IDEcho}.Marshal(payload))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != echoHelloLine {
		t.Fatalf("encoded %q, want %q", got, echoHelloLine)
	}
	var d Decoder
	bodies, errs := d.Feed([]byte(echoHelloLine))
	if len(errs) != 0 || len(bodies) != 1 {
		t.Fatalf("decode: %d bodies, errors %v", len(bodies), errs)
	}
	h, p, err := ParseMessage(bodies[0])
	if err != nil || h.Op != OpWrite || h.Group != 0 || h.ID != 0 || h.Seq != 0 || !bytes.Equal(p, payload) {
		t.Fatalf("parsed %+v % x %v", h, p, err)
	}
}

func TestCRCCheckValue(t *testing.T) {
	if c := CRC16([]byte("123456789")); c != 0x31c3 {
		t.Fatalf("CRC-16/XMODEM check value %#04x, want 0x31c3", c)
	}
	body := []byte("any body at all")
	withCRC := binary.BigEndian.AppendUint16(append([]byte(nil), body...), CRC16(body))
	if CRC16(withCRC) != 0 {
		t.Fatal("CRC over body and its CRC must be zero")
	}
}

// A long packet spans lines of at most 127 bytes whose base64 each decodes on its own.
func TestMultiLineFraming(t *testing.T) {
	body := make([]byte, 1000)
	for i := range body {
		body[i] = byte(i * 7)
	}
	enc, err := EncodePacket(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != EncodedLen(len(body)) {
		t.Fatalf("EncodedLen %d, actual %d", EncodedLen(len(body)), len(enc))
	}
	lines := strings.SplitAfter(string(enc), "\n")
	lines = lines[:len(lines)-1]
	var raw []byte
	for i, l := range lines {
		if len(l) > MaxLine {
			t.Fatalf("line %d is %d bytes", i, len(l))
		}
		marker := "\x04\x14"
		if i == 0 {
			marker = "\x06\x09"
		}
		if !strings.HasPrefix(l, marker) {
			t.Fatalf("line %d starts %q", i, l[:2])
		}
		part, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(l[2:], "\n"))
		if err != nil {
			t.Fatalf("line %d does not decode alone: %v", i, err)
		}
		raw = append(raw, part...)
	}
	if int(binary.BigEndian.Uint16(raw)) != len(body)+2 {
		t.Fatalf("length field %d, want body+CRC %d", binary.BigEndian.Uint16(raw), len(body)+2)
	}
	// Feed byte by byte with noise around it: the decoder must find exactly the body.
	var d Decoder
	var got [][]byte
	stream := append([]byte("boot banner\r\nmore noise\n"), enc...)
	stream = append(stream, "trailing chatter"...)
	for _, c := range stream {
		b, errs := d.Feed([]byte{c})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		got = append(got, b...)
	}
	if len(got) != 1 || !bytes.Equal(got[0], body) {
		t.Fatalf("decoded %d bodies", len(got))
	}
}

// Older texts count only the body in the length field: such packets must be accepted too.
func TestBodyOnlyLengthAccepted(t *testing.T) {
	body := Header{Op: OpWriteRsp, Group: 0, Seq: 3}.Marshal([]byte{0xa1, 0x61, 'r', 0x62, 'h', 'i'})
	raw := binary.BigEndian.AppendUint16(nil, uint16(len(body)))
	raw = append(raw, body...)
	raw = binary.BigEndian.AppendUint16(raw, CRC16(body))
	line := "\x06\x09" + base64.StdEncoding.EncodeToString(raw) + "\n"
	var d Decoder
	bodies, errs := d.Feed([]byte(line))
	if len(errs) != 0 || len(bodies) != 1 || !bytes.Equal(bodies[0], body) {
		t.Fatalf("bodies %d errs %v", len(bodies), errs)
	}
}

func TestBadCRCReported(t *testing.T) {
	enc, _ := EncodePacket([]byte("12345678abc"))
	raw, _ := base64.StdEncoding.DecodeString(string(enc[2 : len(enc)-1]))
	raw[5] ^= 1
	line := "\x06\x09" + base64.StdEncoding.EncodeToString(raw) + "\n"
	var d Decoder
	bodies, errs := d.Feed([]byte(line + echoHelloLine))
	if len(errs) != 1 || !errors.Is(errs[0], ErrFrame) {
		t.Fatalf("errs %v", errs)
	}
	if len(bodies) != 1 {
		t.Fatalf("the good packet after a bad one must still decode, got %d", len(bodies))
	}
}

func TestDecodeResponseForms(t *testing.T) {
	// {"off": 512, "rc": 0} as an indefinite-length map, as MCUboot sends it.
	indef := []byte{0xbf, 0x63, 'o', 'f', 'f', 0x19, 0x02, 0x00, 0x62, 'r', 'c', 0x00, 0xff}
	def, _ := cbor.Marshal(map[string]int{"off": 512, "rc": 0})
	for name, p := range map[string][]byte{"indefinite": indef, "definite": def} {
		var r UploadResponse
		if err := DecodeResponse(p, &r); err != nil || r.Off != 512 {
			t.Errorf("%s: off %d err %v", name, r.Off, err)
		}
	}
	v1, _ := cbor.Marshal(map[string]int{"rc": 8})
	err := DecodeResponse(v1, nil)
	var de *DeviceError
	if !errors.As(err, &de) || de.RC != 8 || de.Group != -1 || !IsNotSupported(err) {
		t.Fatalf("v1 error: %v", err)
	}
	// v2 {"err": {"group": 1, "rc": 3}}, written indefinite.
	v2 := []byte{0xbf, 0x63, 'e', 'r', 'r', 0xbf, 0x65, 'g', 'r', 'o', 'u', 'p', 0x01, 0x62, 'r', 'c', 0x03, 0xff, 0xff}
	err = DecodeResponse(v2, nil)
	if !errors.As(err, &de) || de.RC != 3 || de.Group != 1 || IsNotSupported(err) {
		t.Fatalf("v2 error: %v", err)
	}
	if err := DecodeResponse([]byte{0xbf, 0x63}, nil); err == nil {
		t.Fatal("truncated CBOR accepted")
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{Version: 1, Op: OpRead, Flags: 0, Group: GroupFleet, Seq: 200, ID: 7}
	b := h.Marshal([]byte{1, 2, 3})
	got, p, err := ParseMessage(b)
	h.Len = 3
	if err != nil || got != h || len(p) != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	if _, _, err := ParseMessage(b[:10]); err == nil {
		t.Fatal("length mismatch accepted")
	}
}

// FuzzDecoder feeds arbitrary line noise to the frame decoder: it must never panic, and every
// body it returns must survive a re-encode/decode round trip.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte(echoHelloLine))
	f.Add([]byte("\x06\x09AAA=\n\x04\x14////\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		bodies, _ := d.Feed(data)
		for _, b := range bodies {
			enc, err := EncodePacket(b)
			if err != nil {
				t.Fatal(err)
			}
			var d2 Decoder
			again, errs := d2.Feed(enc)
			if len(errs) != 0 || len(again) != 1 || !bytes.Equal(again[0], b) {
				t.Fatalf("round trip failed for % x", b)
			}
			_, _, _ = ParseMessage(b)
		}
	})
}

// FuzzDecodeResponse checks that no payload makes the CBOR response decoder panic.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte{0xbf, 0x62, 'r', 'c', 0x00, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		var st struct {
			Images []ImageSlot `cbor:"images"`
		}
		_ = DecodeResponse(p, &st)
		var r UploadResponse
		_ = DecodeResponse(p, &r)
	})
}
