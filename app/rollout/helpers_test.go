package rollout

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

var (
	t0     = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	dealer = scope.Actor{UserID: "u1", Email: "d@example.com", Role: scope.RoleDealer, Dealer: "dl-1"}
)

func dev(id string, m fleet.Model, tr fleet.Transport, fw string, online bool) fleet.Device {
	seen := t0.Add(-30 * time.Second)
	if !online {
		seen = t0.Add(-48 * time.Hour)
	}
	return fleet.Device{ID: id, Name: "unit " + id, Model: m, Console: fleet.ConsoleFor(m), Transport: tr,
		Firmware: fw, Online: online, LastSeen: seen, RunState: fleet.RunRunning, Dealer: "dl-1"}
}

func rel(m fleet.Model, tr fleet.Transport, ver string) Release {
	return Release{ID: fmt.Sprintf("rel-%s-%s-%s", m, tr, ver), Console: fleet.ConsoleFor(m), Model: m,
		Transport: tr, Version: ver, SHA256: "ab" + ver, CreatedAt: t0.Add(-24 * time.Hour)}
}

// mixedFleet is a Unified-console fleet around D180 GSM units, plus one of every kind of unit
// that must be left out.
func mixedFleet() []fleet.Device {
	var ds []fleet.Device
	for i := 0; i < 6; i++ {
		ds = append(ds, dev(fmt.Sprintf("d180g-%02d", i), fleet.ModelD180, fleet.TransportGSM, "2.3.0", true))
	}
	ds = append(ds,
		dev("d180w-00", fleet.ModelD180, fleet.TransportWiFi, "2.3.0", true), // other variant
		dev("d100g-00", fleet.ModelD100, fleet.TransportGSM, "2.3.0", true),  // other engine
		dev("xpro-00", fleet.ModelXPro, fleet.TransportGSM, "2.3.0", true),   // other console
		dev("ultra-00", fleet.ModelUltra, fleet.TransportGSM, "2.3.0", true), // other console
		dev("d180g-off", fleet.ModelD180, fleet.TransportGSM, "2.3.0", false),
		dev("d180g-new", fleet.ModelD180, fleet.TransportGSM, "2.4.1", true),
	)
	other := dev("d180g-xdl", fleet.ModelD180, fleet.TransportGSM, "2.3.0", true)
	other.Dealer = "dl-2"
	return append(ds, other)
}

// withDevice returns a new index where the device with d.ID is replaced by d.
func withDevice(ix *fleet.Index, d fleet.Device) *fleet.Index {
	ds := make([]fleet.Device, 0, ix.Len())
	for _, x := range ix.Devices() {
		if x.ID == d.ID {
			ds = append(ds, d)
		} else {
			ds = append(ds, *x)
		}
	}
	return fleet.NewIndex(ds)
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
