// Package image reads and checks MCUboot firmware images before anything is sent to a unit: the
// header magic and sizes, the TLV areas, the SHA-256 TLV over header, payload and protected TLVs,
// and FleetDesk's variant TLV (type 0xa0, "console=..;engine=..;transport=..") against the unit
// it is meant for. Every outside byte is distrusted: bad input gives an error, never a panic.
package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// MCUboot constants (bootutil/image.h).
const (
	Magic          = 0x96f3b83d
	TLVInfoMagic   = 0x6907
	ProtInfoMagic  = 0x6908
	TLVSHA256      = 0x10
	TLVVariant     = 0xa0 // FleetDesk's custom TLV, carried in the protected area
	HeaderSize     = 32
	MaxImageSize   = 16 << 20
	tlvInfoSize    = 4
	tlvEntryHeader = 4
)

// Version is an MCUboot image version.
type Version struct {
	Major, Minor uint8
	Revision     uint16
	Build        uint32
}

// String renders the version the way MCUboot's image state does: "major.minor.revision", with
// ".build" only when the build number is set.
func (v Version) String() string {
	if v.Build != 0 {
		return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Revision, v.Build)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Revision)
}

// TLV is one type-length-value entry.
type TLV struct {
	Type      uint16
	Value     []byte
	Protected bool
}

// Image is a parsed, hash-checked MCUboot image.
type Image struct {
	LoadAddr    uint32
	HeaderSize  int
	PayloadSize int
	ProtSize    int
	Flags       uint32
	Version     Version
	Hash        []byte // SHA-256 from the TLV, checked against the bytes: what the unit reports
	Variant     fleet.Variant
	HasVariant  bool
	TLVs        []TLV
	Size        int // whole file
}

// ErrInvalid wraps every reason an image is refused.
var ErrInvalid = errors.New("invalid firmware image")

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Parse reads an image and checks its structure and SHA-256. It does not require the variant TLV;
// Check does.
func Parse(data []byte) (*Image, error) {
	if len(data) < HeaderSize {
		return nil, bad("file is %d bytes, shorter than an MCUboot header", len(data))
	}
	if len(data) > MaxImageSize {
		return nil, bad("file is %d bytes, larger than the %d byte limit", len(data), MaxImageSize)
	}
	le := binary.LittleEndian
	if m := le.Uint32(data); m != Magic {
		return nil, bad("not an MCUboot image (magic %#08x, want %#08x)", m, uint32(Magic))
	}
	img := &Image{
		LoadAddr:    le.Uint32(data[4:]),
		HeaderSize:  int(le.Uint16(data[8:])),
		ProtSize:    int(le.Uint16(data[10:])),
		PayloadSize: int(le.Uint32(data[12:])),
		Flags:       le.Uint32(data[16:]),
		Version: Version{
			Major: data[20], Minor: data[21],
			Revision: le.Uint16(data[22:]), Build: le.Uint32(data[24:]),
		},
		Size: len(data),
	}
	if img.HeaderSize < HeaderSize {
		return nil, bad("header size %d is below the minimum %d", img.HeaderSize, HeaderSize)
	}
	if img.PayloadSize == 0 {
		return nil, bad("image has no payload")
	}
	// Sizes come from the file: add them as int64 so a crafted header cannot overflow.
	protEnd := int64(img.HeaderSize) + int64(img.PayloadSize) + int64(img.ProtSize)
	if protEnd+tlvInfoSize > int64(len(data)) {
		return nil, bad("file is truncated: header and payload need %d bytes plus TLVs, file has %d", protEnd, len(data))
	}
	off := img.HeaderSize + img.PayloadSize
	if img.ProtSize > 0 {
		tlvs, err := readArea(data[off:off+img.ProtSize], ProtInfoMagic, true)
		if err != nil {
			return nil, err
		}
		img.TLVs = append(img.TLVs, tlvs...)
		off += img.ProtSize
	}
	if le.Uint16(data[off:]) != TLVInfoMagic {
		return nil, bad("TLV area missing (magic %#04x at offset %d)", le.Uint16(data[off:]), off)
	}
	tlvLen := int(le.Uint16(data[off+2:]))
	if off+tlvLen > len(data) {
		return nil, bad("file is truncated: TLV area needs %d bytes, %d left", tlvLen, len(data)-off)
	}
	if off+tlvLen < len(data) {
		return nil, bad("%d unexpected bytes after the TLV area", len(data)-off-tlvLen)
	}
	tlvs, err := readArea(data[off:off+tlvLen], TLVInfoMagic, false)
	if err != nil {
		return nil, err
	}
	img.TLVs = append(img.TLVs, tlvs...)

	var want []byte
	for _, t := range img.TLVs {
		switch {
		case t.Type == TLVSHA256 && !t.Protected:
			if len(t.Value) != sha256.Size {
				return nil, bad("SHA-256 TLV has %d bytes, want 32", len(t.Value))
			}
			want = t.Value
		case t.Type == TLVVariant:
			if !t.Protected {
				return nil, bad("variant TLV 0xa0 is outside the protected area: the hash does not cover it")
			}
			v, err := ParseVariant(string(t.Value))
			if err != nil {
				return nil, err
			}
			img.Variant, img.HasVariant = v, true
		}
	}
	if want == nil {
		return nil, bad("no SHA-256 TLV")
	}
	got := sha256.Sum256(data[:protEnd])
	if !bytes.Equal(got[:], want) {
		return nil, bad("SHA-256 mismatch: the file is corrupt (computed %x, image says %x)", got[:6], want[:6])
	}
	img.Hash = append([]byte(nil), want...)
	return img, nil
}

// readArea parses one TLV area including its 4-byte info header.
func readArea(a []byte, magic uint16, protected bool) ([]TLV, error) {
	le := binary.LittleEndian
	name := "TLV area"
	if protected {
		name = "protected TLV area"
	}
	if len(a) < tlvInfoSize {
		return nil, bad("%s is %d bytes, too short", name, len(a))
	}
	if m := le.Uint16(a); m != magic {
		return nil, bad("%s has magic %#04x, want %#04x", name, m, magic)
	}
	if n := int(le.Uint16(a[2:])); n != len(a) {
		return nil, bad("%s says %d bytes, header says %d", name, n, len(a))
	}
	var out []TLV
	for p := tlvInfoSize; p < len(a); {
		if p+tlvEntryHeader > len(a) {
			return nil, bad("%s: truncated entry at offset %d", name, p)
		}
		typ := le.Uint16(a[p:])
		n := int(le.Uint16(a[p+2:]))
		p += tlvEntryHeader
		if p+n > len(a) {
			return nil, bad("%s: entry %#x of %d bytes runs past the end", name, typ, n)
		}
		out = append(out, TLV{Type: typ, Value: a[p : p+n : p+n], Protected: protected})
		p += n
	}
	return out, nil
}

// FormatVariant renders a variant as the 0xa0 TLV value.
func FormatVariant(v fleet.Variant) string {
	return fmt.Sprintf("console=%s;engine=%s;transport=%s", v.Console, v.Model, v.Transport)
}

// ParseVariant reads a 0xa0 TLV value. All three keys are required and must be known and
// consistent (the engine must belong to the console).
func ParseVariant(s string) (fleet.Variant, error) {
	var v fleet.Variant
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ";") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return v, bad("variant TLV %q: %q is not key=value", s, kv)
		}
		if seen[k] {
			return v, bad("variant TLV %q: %s given twice", s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "console":
			v.Console, err = fleet.ParseConsole(val)
		case "engine":
			var m fleet.Model
			m, err = fleet.ParseModel(val)
			v.Model = m
		case "transport":
			v.Transport, err = fleet.ParseTransport(val)
		default:
			return v, bad("variant TLV %q: unknown key %q", s, k)
		}
		if err != nil {
			return v, bad("variant TLV: %v", err)
		}
	}
	if !seen["console"] || !seen["engine"] || !seen["transport"] {
		return v, bad("variant TLV %q must name console, engine and transport", s)
	}
	if fleet.ConsoleFor(v.Model) != v.Console {
		return v, bad("variant TLV %q: engine %s does not run the %s", s, v.Model, v.Console.DisplayName())
	}
	return v, nil
}

// ErrMismatch wraps every refusal because the image is for another variant.
var ErrMismatch = errors.New("firmware does not fit this unit")

// Check refuses an image that is not built for the target variant.
func (img *Image) Check(target fleet.Variant) error {
	if !img.HasVariant {
		return fmt.Errorf("%w: the image carries no FleetDesk variant TLV (0xa0), so it cannot be checked against the unit", ErrMismatch)
	}
	var why []string
	if img.Variant.Console != target.Console {
		why = append(why, fmt.Sprintf("console %s, unit needs %s", img.Variant.Console, target.Console))
	}
	if img.Variant.Model != target.Model {
		why = append(why, fmt.Sprintf("engine %s, unit is %s", img.Variant.Model.DisplayName(), target.Model.DisplayName()))
	}
	if img.Variant.Transport != target.Transport {
		why = append(why, fmt.Sprintf("transport %s, unit is %s", img.Variant.Transport.DisplayName(), target.Transport.DisplayName()))
	}
	if len(why) > 0 {
		return fmt.Errorf("%w: image is for %s (%s)", ErrMismatch, img.Variant, strings.Join(why, "; "))
	}
	return nil
}
