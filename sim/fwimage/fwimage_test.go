package fwimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery/image"
)

var v = fleet.Variant{Console: fleet.ConsoleUltra, Model: fleet.ModelUltra, Transport: fleet.TransportWiFi}

func TestBuildLayout(t *testing.T) {
	payload := Payload(v, "1.2.3", 1000)
	b, err := Build(v, "1.2.3+9", payload)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if le.Uint32(b) != 0x96f3b83d || le.Uint16(b[8:]) != 32 || le.Uint32(b[12:]) != 1000 {
		t.Fatalf("header % x", b[:32])
	}
	if b[20] != 1 || b[21] != 2 || le.Uint16(b[22:]) != 3 || le.Uint32(b[24:]) != 9 {
		t.Fatalf("version bytes % x", b[20:28])
	}
	prot := int(le.Uint16(b[10:]))
	pa := b[32+1000 : 32+1000+prot]
	want := "console=ultra;engine=ULTRA;transport=wifi"
	if le.Uint16(pa) != 0x6908 || le.Uint16(pa[4:]) != 0xa0 || string(pa[8:]) != want {
		t.Fatalf("protected area % x", pa)
	}
	tl := b[32+1000+prot:]
	sum := sha256.Sum256(b[:32+1000+prot])
	if le.Uint16(tl) != 0x6907 || int(le.Uint16(tl[2:])) != len(tl) || le.Uint16(tl[4:]) != 0x10 || !bytes.Equal(tl[8:], sum[:]) {
		t.Fatalf("TLV area % x", tl)
	}
	// The app's parser agrees.
	img, err := image.Parse(b)
	if err != nil || img.Variant != v || img.Version.String() != "1.2.3.9" {
		t.Fatalf("%+v %v", img, err)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := Build(v, "2.0.0", Payload(v, "2.0.0", 5000))
	b, _ := Build(v, "2.0.0", Payload(v, "2.0.0", 5000))
	c, _ := Build(v, "2.0.1", Payload(v, "2.0.1", 5000))
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("builds are not a pure function of their arguments")
	}
}

func TestBuildRefuses(t *testing.T) {
	bad := fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelUltra, Transport: fleet.TransportGSM}
	if _, err := Build(bad, "1.0.0", []byte{1}); err == nil {
		t.Error("inconsistent variant accepted")
	}
	for _, ver := range []string{"1.0", "1.0.0.0", "256.0.0", "1.0.x", "1.0.0+-1"} {
		if _, err := Build(v, ver, []byte{1}); err == nil {
			t.Errorf("version %q accepted", ver)
		}
	}
	if _, err := Build(v, "1.0.0", nil); err == nil {
		t.Error("empty payload accepted")
	}
}
