package rollout

import (
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

func TestReleasesForKeepsOnlyTheUnitsVariantNewestFirst(t *testing.T) {
	d := fleet.Device{ID: "ULTRA-1", Model: fleet.ModelUltra, Console: fleet.ConsoleUltra, Transport: fleet.TransportGSM, Firmware: "3.1.0"}
	rel := func(id string, c fleet.Console, m fleet.Model, tr fleet.Transport, v string) Release {
		return Release{ID: id, Console: c, Engine: m, Transport: tr, Version: v}
	}
	all := []Release{
		rel("a", fleet.ConsoleUltra, fleet.ModelUltra, fleet.TransportGSM, "3.1.0"),
		rel("b", fleet.ConsoleUltra, fleet.ModelUltra, fleet.TransportWiFi, "3.2.0"),  // other transport
		rel("c", fleet.ConsoleUnified, fleet.ModelD180, fleet.TransportGSM, "3.2.0"),  // other engine
		rel("d", fleet.ConsoleUnified, fleet.ModelUltra, fleet.TransportGSM, "3.3.0"), // wrong console
		rel("e", fleet.ConsoleUltra, fleet.ModelUltra, fleet.TransportGSM, "3.10.0"),
		rel("f", fleet.ConsoleUltra, fleet.ModelUltra, fleet.TransportGSM, "3.9.1"),
	}
	var ids []string
	for _, r := range ReleasesFor(d, all) {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "e,f,a" {
		t.Fatalf("matching %v, want e,f,a (newest first)", ids)
	}
}
