package rollout

import (
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

func TestReleasesForKeepsOnlyTheUnitsVariantNewestFirst(t *testing.T) {
	d := fleet.Device{ID: "ULTRA-1", Model: fleet.ModelUltra, Console: fleet.ConsoleUltra, Transport: fleet.TransportGSM, Firmware: "3.1.0"}
	rel := func(id string, c fleet.Console, m fleet.Model, tr fleet.Transport, v string) Release {
		return Release{ID: id, Console: c, Model: m, Transport: tr, Version: v}
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

// TestMatchesIsBuiltForTheUnitsVariant: the rule for a unit and the rule for a chosen variant are
// one rule, over every engine, transport and recorded console.
func TestMatchesIsBuiltForTheUnitsVariant(t *testing.T) {
	var rels []Release
	for _, m := range fleet.AllModels {
		for _, tr := range fleet.AllTransports {
			v := fleet.VariantFor(m, tr)
			rels = append(rels, Release{ID: string(m) + string(tr), Console: v.Console, Model: m, Transport: tr, Version: "1.0.0", SHA256: strings.Repeat("a", 64), Size: 1})
		}
	}
	for _, m := range fleet.AllModels {
		for _, tr := range fleet.AllTransports {
			for _, c := range fleet.AllConsoles {
				d := fleet.Device{ID: "U-1", Model: m, Transport: tr, Console: c}
				for _, r := range rels {
					want := c == fleet.ConsoleFor(m) && r.Model == m && r.Transport == tr
					if Matches(r, d) != want {
						t.Errorf("Matches(%s, %s/%s/%s) = %v", r.ID, m, tr, c, !want)
					}
					if _, mismatch := variantMismatch(r, d); mismatch == want {
						t.Errorf("variantMismatch(%s, %s/%s/%s) disagrees with Matches", r.ID, m, tr, c)
					}
				}
			}
			if got := ReleasesForVariant(fleet.VariantFor(m, tr), rels); len(got) != 1 || got[0].Model != m || got[0].Transport != tr {
				t.Errorf("ReleasesForVariant(%s, %s) = %v", m, tr, got)
			}
		}
	}
}
