package smp

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"testing"
)

// What MCUboot's serial recovery answers to the image list, byte for byte (zcbor, not canonical:
// indefinite-length maps and list), with and without CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE.
func TestImageListStateFlagsAbsentIsNotFalse(t *testing.T) {
	hash := bytes.Repeat([]byte{0xab}, 32)
	entry := func(extra ...byte) []byte {
		e := append([]byte{0xbf}, extra...)
		e = append(e, 0x64, 's', 'l', 'o', 't', 0x00, 0x64, 'h', 'a', 's', 'h', 0x58, 32)
		e = append(e, hash...)
		e = append(e, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x65, '2', '.', '4', '.', '0')
		return append(e, 0xff)
	}
	list := func(e []byte) []byte {
		p := []byte{0xbf, 0x66, 'i', 'm', 'a', 'g', 'e', 's', 0x9f}
		return append(append(p, e...), 0xff, 0xff)
	}
	var r struct {
		Images []ImageSlot `cbor:"images"`
	}
	if err := DecodeResponse(list(entry()), &r); err != nil || len(r.Images) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	s := r.Images[0]
	if s.HasState() || s.Bootable != nil || s.Active != nil || s.Version != "2.4.0" || !bytes.Equal(s.Hash, hash) {
		t.Fatalf("default build read as %+v", s)
	}
	// With IMAGE_STATE boot_serial.c sends only the flags that are true.
	withState := entry(0x68, 'b', 'o', 'o', 't', 'a', 'b', 'l', 'e', 0xf5, 0x69, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 'e', 'd', 0xf5)
	if err := DecodeResponse(list(withState), &r); err != nil || len(r.Images) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	s = r.Images[0]
	if !s.HasState() || !True(s.Bootable) || !True(s.Confirmed) || s.Pending != nil || s.Active != nil || True(s.Active) {
		t.Fatalf("IMAGE_STATE build read as %+v", s)
	}
}

// Every line EncodePacket writes fits Zephyr's MCUboot receive path: at most 128 bytes with its
// newline (CONFIG_BOOT_MAX_LINE_INPUT_LEN), no CR, base64 in whole groups of four (Zephyr's
// decoder drops a partial group without a word), and the length counts the CRC.
func TestLinesFitZephyrReceive(t *testing.T) {
	const zephyrLineBuf = 128
	for n := 8; n <= 2100; n++ {
		body := bytes.Repeat([]byte{0x5a}, n)
		enc, err := EncodePacket(body)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitAfter(enc, []byte("\n"))
		lines = lines[:len(lines)-1] // after the last newline
		if len(enc) != EncodedLen(n) {
			t.Fatalf("body %d: %d bytes on the wire, EncodedLen says %d", n, len(enc), EncodedLen(n))
		}
		for i, l := range lines {
			if len(l) > zephyrLineBuf || len(l) > MaxLine {
				t.Fatalf("body %d line %d: %d bytes", n, i, len(l))
			}
			if bytes.ContainsRune(l, '\r') || (len(l)-3)%4 != 0 {
				t.Fatalf("body %d line %d: %q", n, i, l)
			}
		}
		first, err := base64.StdEncoding.DecodeString(string(lines[0][2 : len(lines[0])-1]))
		if err != nil || int(binary.BigEndian.Uint16(first)) != n+2 {
			t.Fatalf("body %d: length field %x (%v), want %d (body and CRC)", n, first[:2], err, n+2)
		}
		var d Decoder
		got, errs := d.Feed(enc)
		if len(errs) != 0 || len(got) != 1 || !bytes.Equal(got[0], body) {
			t.Fatalf("body %d does not round-trip", n)
		}
	}
}
