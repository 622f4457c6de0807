package sim

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// The seeded fleet looks like a real one: model-prefixed IDs, consistent consoles, real places,
// most units with GPS, both transports, released firmware versions; and the same seed gives the
// same fleet.
func TestSeededWorldIsRealistic(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	cfg := Config{Devices: 3000, Dealers: 4, Seed: 99}
	w, err := seedWorld(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	idRe := regexp.MustCompile(`^(XP|D100|D180|V100|V5|ULT)-\d{5}$`)
	seen := map[string]bool{}
	withGPS, transports, models := 0, map[fleet.Transport]int{}, map[fleet.Model]int{}
	for _, d := range w.devs {
		x := d.D
		if !idRe.MatchString(x.ID) || seen[x.ID] || !strings.HasPrefix(x.ID, idPrefix[x.Model]+"-") {
			t.Fatalf("bad or duplicate ID %q for %s", x.ID, x.Model)
		}
		seen[x.ID] = true
		if fleet.ConsoleFor(x.Model) != x.Console || !slices.Contains(consoleVersions[x.Console], x.Firmware) {
			t.Fatalf("%s: console %s firmware %s", x.ID, x.Console, x.Firmware)
		}
		if x.Name == "" || x.CustomerEmail == "" || x.Dealer == "" || x.LastSeen.After(now) {
			t.Fatalf("%s incomplete: %+v", x.ID, x)
		}
		transports[x.Transport]++
		models[x.Model]++
		if x.GPS == nil {
			continue
		}
		withGPS++
		near := false
		for _, reg := range regions {
			for _, p := range reg {
				dLat, dLon := x.GPS.Lat-p.Lat, (x.GPS.Lon-p.Lon)*math.Cos(p.Lat*math.Pi/180)
				if math.Hypot(dLat, dLon) <= p.Radius*1.001 {
					near = true
				}
			}
		}
		if !near {
			t.Fatalf("%s at %v,%v is not near any seeded place", x.ID, x.GPS.Lat, x.GPS.Lon)
		}
	}
	share := float64(withGPS) / float64(len(w.devs))
	if share < 0.75 || share > 0.95 {
		t.Errorf("%.0f%% of units have GPS; want most but not all", share*100)
	}
	if len(transports) != 2 || len(models) != len(fleet.AllModels) {
		t.Errorf("transports %v models %v", transports, models)
	}
	if len(w.devs) != cfg.Devices || len(w.dealers) != cfg.Dealers {
		t.Errorf("%d devices, %d dealers", len(w.devs), len(w.dealers))
	}
	w2, _ := seedWorld(cfg, now)
	for i := range w.devs {
		if w.devs[i].D.ID != w2.devs[i].D.ID || w.devs[i].D.Name != w2.devs[i].D.Name {
			t.Fatal("the same seed gave another fleet")
		}
	}
	cfg.Seed = 100
	w3, _ := seedWorld(cfg, now)
	if w3.devs[0].D.Name == w.devs[0].D.Name && w3.devs[1].D.Name == w.devs[1].D.Name && w3.devs[2].D.Name == w.devs[2].D.Name {
		t.Error("another seed gave the same fleet")
	}
}
