package smp

import (
	"encoding/binary"
	"fmt"
)

// Op is the SMP operation code (low three bits of the first header byte).
type Op uint8

// The four operations.
const (
	OpRead       Op = 0
	OpReadRsp    Op = 1
	OpWrite      Op = 2
	OpWriteRsp   Op = 3
	headerLength    = 8
)

// Groups and command ids used by a recovery.
const (
	GroupOS       uint16 = 0
	GroupImage    uint16 = 1
	GroupFleet    uint16 = 64 // FleetDesk's own group: unit identity
	IDEcho        uint8  = 0
	IDReset       uint8  = 5
	IDParams      uint8  = 6
	IDImageState  uint8  = 0
	IDImageUpload uint8  = 1
	IDSlotInfo    uint8  = 6 // MCUboot serial recovery's slot info
	IDIdentity    uint8  = 0
)

// Header is the 8-byte SMP header.
type Header struct {
	Version uint8 // 0 = SMP v1, 1 = SMP v2
	Op      Op
	Flags   uint8
	Len     uint16 // payload length
	Group   uint16
	Seq     uint8
	ID      uint8
}

// Marshal appends the header and the payload, fixing Len to the payload's length.
func (h Header) Marshal(payload []byte) []byte {
	b := make([]byte, headerLength, headerLength+len(payload))
	b[0] = (h.Version&0x3)<<3 | uint8(h.Op)&0x7
	b[1] = h.Flags
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)))
	binary.BigEndian.PutUint16(b[4:], h.Group)
	b[6] = h.Seq
	b[7] = h.ID
	return append(b, payload...)
}

// ParseMessage splits a packet body into its header and payload, checking the header's length
// against what arrived.
func ParseMessage(body []byte) (Header, []byte, error) {
	if len(body) < headerLength {
		return Header{}, nil, fmt.Errorf("smp: message of %d bytes is shorter than the header", len(body))
	}
	h := Header{
		Version: body[0] >> 3 & 0x3,
		Op:      Op(body[0] & 0x7),
		Flags:   body[1],
		Len:     binary.BigEndian.Uint16(body[2:]),
		Group:   binary.BigEndian.Uint16(body[4:]),
		Seq:     body[6],
		ID:      body[7],
	}
	if int(h.Len) != len(body)-headerLength {
		return h, nil, fmt.Errorf("smp: header says %d payload bytes, %d arrived", h.Len, len(body)-headerLength)
	}
	return h, body[headerLength:], nil
}
