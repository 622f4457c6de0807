package image

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
)

var d180gsm = fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM}

func build(t testing.TB, v fleet.Variant, version string, n int) []byte {
	t.Helper()
	b, err := fwimage.Build(v, version, fwimage.Payload(v, version, n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseBuiltImage(t *testing.T) {
	data := build(t, d180gsm, "2.4.1+7", 3000)
	img, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if img.Version.String() != "2.4.1.7" || img.PayloadSize != 3000 || img.HeaderSize != 32 {
		t.Fatalf("parsed %+v", img)
	}
	if !img.HasVariant || img.Variant != d180gsm {
		t.Fatalf("variant %+v", img.Variant)
	}
	if err := img.Check(d180gsm); err != nil {
		t.Fatal(err)
	}
}

func TestCheckRefusesOtherVariants(t *testing.T) {
	img, err := Parse(build(t, d180gsm, "2.4.0", 100))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		target fleet.Variant
		want   string
	}{
		{fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportWiFi}, "transport GSM, unit is WiFi"},
		{fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD100, Transport: fleet.TransportGSM}, "engine D180, unit is D100"},
		{fleet.Variant{Console: fleet.ConsoleUltra, Model: fleet.ModelUltra, Transport: fleet.TransportGSM}, "console unified, unit needs ultra"},
	}
	for _, c := range cases {
		err := img.Check(c.target)
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("target %v: %v, want mention of %q", c.target, err, c.want)
		}
	}
}

func TestParseRefusesDamage(t *testing.T) {
	good := build(t, d180gsm, "2.4.0", 500)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":        {nil, "shorter than an MCUboot header"},
		"bad magic":    {mod(func(b []byte) []byte { b[0] ^= 0xff; return b }), "not an MCUboot image"},
		"payload flip": {mod(func(b []byte) []byte { b[100] ^= 1; return b }), "SHA-256 mismatch"},
		"header flip":  {mod(func(b []byte) []byte { b[21] ^= 1; return b }), "SHA-256 mismatch"},
		"truncated":    {good[:len(good)-10], "truncated"},
		"half":         {good[:300], "truncated"},
		"trailing":     {append(append([]byte(nil), good...), 0, 0), "unexpected bytes"},
		"huge size": {mod(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[12:], 0xffffffff)
			return b
		}), "truncated"},
		"variant flip": {mod(func(b []byte) []byte {
			i := strings.Index(string(b), "gsm")
			copy(b[i:], "gsx")
			return b
		}), "unknown transport"},
	}
	for name, c := range cases {
		_, err := Parse(c.data)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestParseVariantStrict(t *testing.T) {
	bad := []string{"", "console=unified;engine=D180", "console=ultra;engine=D180;transport=gsm",
		"console=unified;engine=D180;transport=gsm;extra=1", "console=unified;console=unified;engine=D180;transport=gsm"}
	for _, s := range bad {
		if _, err := ParseVariant(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	v, err := ParseVariant(FormatVariant(d180gsm))
	if err != nil || v != d180gsm {
		t.Fatalf("%v %v", v, err)
	}
}

// FuzzParse: no input may panic the image parser, and an accepted image must have a hash.
func FuzzParse(f *testing.F) {
	f.Add(build(f, d180gsm, "1.0.0", 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Parse(data)
		if err == nil && len(img.Hash) != 32 {
			t.Fatal("accepted without a hash")
		}
	})
}
