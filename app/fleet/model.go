// Package fleet is FleetDesk's domain model: generator controllers (units; their records are
// Devices, as the backend contract names them), the models (the guide's "engines") and firmware
// consoles (firmware families) they belong to, their transports, their health as the screens show
// it, and search over a fleet. It imports no Fyne, no HTTP and no SQL. The words are
// docs/glossary.md's: "console" is a firmware console, never the Fleet Console page; "online" is a
// unit's connection, never FleetDesk reaching the backend.
package fleet

import (
	"fmt"
	"strings"
	"time"
)

// Model is a controller model, which the dealer guide also calls the engine. Every Go name for it
// is Model (Device.Model, Release.Model, Variant.Model); "engine" is only the backend contract's
// JSON key for a release's or rollout's model and the guide's word on screen (docs/glossary.md).
// The code is what travels on the wire, in firmware image metadata and in the cache; DisplayName
// is what a dealer reads.
type Model string

// The models a dealer can have in the fleet.
const (
	ModelXPro  Model = "XPRO"
	ModelD100  Model = "D100"
	ModelD180  Model = "D180"
	ModelV100  Model = "V100"
	ModelV5    Model = "V5"
	ModelUltra Model = "ULTRA"
)

// AllModels lists every model in a stable display order.
var AllModels = []Model{ModelXPro, ModelD100, ModelD180, ModelV100, ModelV5, ModelUltra}

// DisplayName is the name the dealer guide uses for the model.
func (m Model) DisplayName() string {
	switch m {
	case ModelXPro:
		return "X Pro"
	case ModelUltra:
		return "AutoGen Ultra"
	}
	return string(m)
}

// Valid reports whether m is a known model.
func (m Model) Valid() bool {
	for _, k := range AllModels {
		if k == m {
			return true
		}
	}
	return false
}

// ParseModel accepts a model code or display name, case-insensitively.
func ParseModel(s string) (Model, error) {
	t := strings.TrimSpace(s)
	for _, m := range AllModels {
		if strings.EqualFold(t, string(m)) || strings.EqualFold(t, m.DisplayName()) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown model %q (known: X Pro, D100, D180, V100, V5, AutoGen Ultra)", s)
}

// Console is a firmware family. Each model is served by exactly one console; Ultra releases never
// share policy with Unified engines.
type Console string

// The three consoles of the dealer guide.
const (
	ConsoleXPro    Console = "xpro"
	ConsoleUnified Console = "unified"
	ConsoleUltra   Console = "ultra"
)

// AllConsoles lists the consoles in the guide's order.
var AllConsoles = []Console{ConsoleXPro, ConsoleUnified, ConsoleUltra}

// DisplayName is the console's name as the dealer guide writes it.
func (c Console) DisplayName() string {
	switch c {
	case ConsoleXPro:
		return "X Pro firmware console"
	case ConsoleUnified:
		return "Unified firmware console"
	case ConsoleUltra:
		return "Ultra firmware console"
	}
	return string(c)
}

// Valid reports whether c is a known console.
func (c Console) Valid() bool {
	return c == ConsoleXPro || c == ConsoleUnified || c == ConsoleUltra
}

// ParseConsole accepts a console code.
func ParseConsole(s string) (Console, error) {
	c := Console(strings.ToLower(strings.TrimSpace(s)))
	if !c.Valid() {
		return "", fmt.Errorf("unknown console %q (known: xpro, unified, ultra)", s)
	}
	return c, nil
}

// ConsoleFor is the one console that serves a model.
func ConsoleFor(m Model) Console {
	switch m {
	case ModelXPro:
		return ConsoleXPro
	case ModelD100, ModelD180, ModelV100, ModelV5:
		return ConsoleUnified
	case ModelUltra:
		return ConsoleUltra
	}
	return ""
}

// ModelsOf lists the models a console serves.
func ModelsOf(c Console) []Model {
	var out []Model
	for _, m := range AllModels {
		if ConsoleFor(m) == c {
			out = append(out, m)
		}
	}
	return out
}

// Transport is how a unit reaches the backend; GSM units report far less often than WiFi units.
type Transport string

// The two transport variants.
const (
	TransportGSM  Transport = "gsm"
	TransportWiFi Transport = "wifi"
)

// AllTransports lists the transport variants.
var AllTransports = []Transport{TransportGSM, TransportWiFi}

// DisplayName is "GSM" or "WiFi".
func (t Transport) DisplayName() string {
	switch t {
	case TransportGSM:
		return "GSM"
	case TransportWiFi:
		return "WiFi"
	}
	return string(t)
}

// Valid reports whether t is a known transport.
func (t Transport) Valid() bool { return t == TransportGSM || t == TransportWiFi }

// ParseTransport accepts "gsm" or "wifi" in any case.
func ParseTransport(s string) (Transport, error) {
	t := Transport(strings.ToLower(strings.TrimSpace(s)))
	if !t.Valid() {
		return "", fmt.Errorf("unknown transport %q (known: gsm, wifi)", s)
	}
	return t, nil
}

// RunState is what the generator itself is doing.
type RunState string

// Run states reported by units.
const (
	RunRunning RunState = "running"
	RunStopped RunState = "stopped"
	RunFault   RunState = "fault"
)

// Position is a GPS fix.
type Position struct {
	Lat     float64   `json:"lat"`
	Lon     float64   `json:"lon"`
	FixTime time.Time `json:"fix_time"`
}

// Device is one generator controller as the dealer sees it.
// The JSON form is the backend contract's (sync/api/openapi.yaml, schema Device).
type Device struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	CustomerEmail string    `json:"customer_email"`
	Model         Model     `json:"model"` // the engine
	Console       Console   `json:"console"`
	Transport     Transport `json:"transport"`
	Firmware      string    `json:"firmware_version"`
	Online        bool      `json:"online"`
	LastSeen      time.Time `json:"last_seen"`
	RunState      RunState  `json:"run_state"`
	Alarms        []string  `json:"alarms"`
	GPS           *Position `json:"gps,omitempty"` // nil when the unit has no position
	Dealer        string    `json:"dealer"`
	UpdatedAt     time.Time `json:"updated_at"` // when the backend last changed this record
}

// Variant is the (console, engine, transport) triple a firmware release is built for.
type Variant struct {
	Console   Console
	Model     Model
	Transport Transport
}

// String renders the variant the way the screens write it: "D180, GSM".
func (v Variant) String() string {
	return v.Model.DisplayName() + ", " + v.Transport.DisplayName()
}

// VariantFor is the firmware variant of an engine and transport: the console is the one that
// serves the engine (ConsoleFor), never chosen apart from it.
func VariantFor(m Model, t Transport) Variant {
	return Variant{Console: ConsoleFor(m), Model: m, Transport: t}
}

// VariantOf is the firmware variant a device needs.
func VariantOf(d Device) Variant { return VariantFor(d.Model, d.Transport) }
