// Package fwimage builds real MCUboot images for FleetDesk releases, the way imgtool would: a
// 32-byte header, the payload, a protected TLV area holding FleetDesk's variant TLV (type 0xa0,
// "console=..;engine=..;transport=..") and a TLV area holding the SHA-256 (type 0x10) over header,
// payload and protected area. Images are unsigned. The output is a pure function of the
// arguments, so the simulated backend can rebuild the same release bytes at any time.
package fwimage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Layout constants from MCUboot's bootutil/image.h.
const (
	imageMagic    = 0x96f3b83d
	hdrSize       = 32
	tlvInfoMagic  = 0x6907
	protInfoMagic = 0x6908
	tlvSHA256     = 0x10
	// TLVVariant is FleetDesk's custom TLV type (imgtool --custom-tlv 0xa0).
	TLVVariant = 0xa0
	// LoadAddr is written into every header; FleetDesk units run from flash (no RAM load).
	LoadAddr = 0
)

// Build returns an MCUboot image of payload for variant v at version "major.minor.revision" or
// "major.minor.revision+build". The variant must be consistent (its engine on its console).
func Build(v fleet.Variant, version string, payload []byte) ([]byte, error) {
	if !v.Console.Valid() || !v.Model.Valid() || !v.Transport.Valid() || fleet.ConsoleFor(v.Model) != v.Console {
		return nil, fmt.Errorf("fwimage: inconsistent variant %+v", v)
	}
	if len(payload) == 0 {
		return nil, fmt.Errorf("fwimage: empty payload")
	}
	ver, err := parseVersion(version)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	value := fmt.Sprintf("console=%s;engine=%s;transport=%s", v.Console, v.Model, v.Transport)
	protSize := 4 + 4 + len(value)

	out := make([]byte, hdrSize, hdrSize+len(payload)+protSize+4+4+sha256.Size)
	le.PutUint32(out[0:], imageMagic)
	le.PutUint32(out[4:], LoadAddr)
	le.PutUint16(out[8:], hdrSize)
	le.PutUint16(out[10:], uint16(protSize))
	le.PutUint32(out[12:], uint32(len(payload)))
	le.PutUint32(out[16:], 0) // flags
	out[20], out[21] = byte(ver[0]), byte(ver[1])
	le.PutUint16(out[22:], uint16(ver[2]))
	le.PutUint32(out[24:], ver[3])
	out = append(out, payload...)

	out = le.AppendUint16(out, protInfoMagic)
	out = le.AppendUint16(out, uint16(protSize))
	out = le.AppendUint16(out, TLVVariant)
	out = le.AppendUint16(out, uint16(len(value)))
	out = append(out, value...)

	sum := sha256.Sum256(out)
	out = le.AppendUint16(out, tlvInfoMagic)
	out = le.AppendUint16(out, 4+4+sha256.Size)
	out = le.AppendUint16(out, tlvSHA256)
	out = le.AppendUint16(out, sha256.Size)
	out = append(out, sum[:]...)
	return out, nil
}

// Payload returns n deterministic pseudo-random bytes standing in for a firmware binary of v at
// version: different for every variant and version, identical on every call.
func Payload(v fleet.Variant, version string, n int) []byte {
	seed := sha256.Sum256([]byte(fmt.Sprintf("fleetdesk-fw|%s|%s|%s|%s", v.Console, v.Model, v.Transport, version)))
	out := make([]byte, 0, n+sha256.Size)
	block := seed
	for len(out) < n {
		block = sha256.Sum256(block[:])
		out = append(out, block[:]...)
	}
	return out[:n]
}

// parseVersion reads "1.2.3" or "1.2.3+4" into major, minor, revision, build.
func parseVersion(s string) ([4]uint32, error) {
	var v [4]uint32
	main, build, hasBuild := strings.Cut(s, "+")
	parts := strings.Split(main, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("fwimage: version %q is not major.minor.revision[+build]", s)
	}
	limits := []int{8, 8, 16}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, limits[i])
		if err != nil {
			return v, fmt.Errorf("fwimage: version %q: %v", s, err)
		}
		v[i] = uint32(n)
	}
	if hasBuild {
		n, err := strconv.ParseUint(build, 10, 32)
		if err != nil {
			return v, fmt.Errorf("fwimage: version %q: build: %v", s, err)
		}
		v[3] = uint32(n)
	}
	return v, nil
}
