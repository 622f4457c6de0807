package smp

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Well-known MCUmgr result codes (MGMT_ERR_*).
const (
	RCOK          = 0
	RCUnknown     = 1
	RCNoMem       = 2
	RCInval       = 3
	RCTimeout     = 4
	RCNoEnt       = 5
	RCBadState    = 6
	RCMsgSize     = 7
	RCNotSupp     = 8
	RCCorrupt     = 9
	RCBusy        = 10
	RCAccessDeny  = 11
	RCUnsupported = 12
)

// DeviceError is an error the unit reported, in either form: SMP v1 {"rc": n} (Group is -1) or
// SMP v2 {"err": {"group": g, "rc": n}}.
type DeviceError struct {
	Group int
	RC    int
}

func (e *DeviceError) Error() string {
	name := rcNames[e.RC]
	if name == "" {
		name = "error"
	}
	if e.Group >= 0 {
		return fmt.Sprintf("unit refused: %s (group %d rc %d)", name, e.Group, e.RC)
	}
	return fmt.Sprintf("unit refused: %s (rc %d)", name, e.RC)
}

var rcNames = map[int]string{
	RCUnknown: "unknown error", RCNoMem: "out of memory", RCInval: "invalid argument",
	RCTimeout: "timeout", RCNoEnt: "no such entry", RCBadState: "bad state",
	RCMsgSize: "message too large", RCNotSupp: "not supported", RCCorrupt: "corrupt",
	RCBusy: "busy", RCAccessDeny: "access denied", RCUnsupported: "unsupported",
}

// IsNotSupported reports whether err is the unit saying it does not implement the command.
func IsNotSupported(err error) bool {
	var de *DeviceError
	return errors.As(err, &de) && (de.RC == RCNotSupp || de.RC == RCUnsupported)
}

// errorForms captures both error shapes; fields absent from the payload stay nil.
type errorForms struct {
	RC  *int `cbor:"rc"`
	Err *struct {
		Group int `cbor:"group"`
		RC    int `cbor:"rc"`
	} `cbor:"err"`
}

// decMode accepts what real units send (indefinite-length maps included) but bounds nesting and
// sizes so a hostile or garbled payload cannot exhaust memory.
var decMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		MaxNestedLevels:  16,
		MaxArrayElements: 1024,
		MaxMapPairs:      1024,
		DupMapKey:        cbor.DupMapKeyQuiet,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// DecodeResponse decodes a response payload into out (a pointer to a struct with cbor tags, or
// nil), after checking for an error in either form. A v1 "rc" of 0 is success.
func DecodeResponse(payload []byte, out any) error {
	var ef errorForms
	if err := decMode.Unmarshal(payload, &ef); err != nil {
		return fmt.Errorf("smp: response is not a CBOR map: %w", err)
	}
	if ef.Err != nil && ef.Err.RC != RCOK {
		return &DeviceError{Group: ef.Err.Group, RC: ef.Err.RC}
	}
	if ef.RC != nil && *ef.RC != RCOK {
		return &DeviceError{Group: -1, RC: *ef.RC}
	}
	if out == nil {
		return nil
	}
	if err := decMode.Unmarshal(payload, out); err != nil {
		return fmt.Errorf("smp: unexpected response shape: %w", err)
	}
	return nil
}
