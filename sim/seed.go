package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// place is a town or region centre on land; units are scattered within Radius degrees of it, small
// enough that the scatter stays on land.
type place struct {
	Name     string
	Lat, Lon float64
	Radius   float64
}

// regions group places so each dealer's fleet is geographically plausible.
var regions = [][]place{
	{ // US Midwest and plains
		{"Kansas City", 39.10, -94.58, 0.25}, {"Omaha", 41.26, -95.93, 0.2}, {"Des Moines", 41.59, -93.62, 0.2},
		{"Wichita", 37.69, -97.34, 0.25}, {"Denver", 39.74, -104.99, 0.2}, {"Oklahoma City", 35.47, -97.52, 0.25},
	},
	{ // US South and Southwest
		{"Dallas", 32.78, -96.80, 0.25}, {"Austin", 30.27, -97.74, 0.2}, {"Phoenix", 33.45, -112.07, 0.25},
		{"Albuquerque", 35.08, -106.65, 0.2}, {"Atlanta", 33.75, -84.39, 0.2}, {"Nashville", 36.16, -86.78, 0.2},
	},
	{ // Central Europe
		{"Munich", 48.14, 11.58, 0.15}, {"Lyon", 45.76, 4.84, 0.15}, {"Madrid", 40.42, -3.70, 0.2},
		{"Warsaw", 52.23, 21.01, 0.15}, {"Prague", 50.08, 14.44, 0.15}, {"Vienna", 48.21, 16.37, 0.12},
	},
	{ // East and southern Africa
		{"Nairobi", -1.29, 36.82, 0.15}, {"Johannesburg", -26.20, 28.05, 0.2}, {"Lusaka", -15.39, 28.32, 0.2},
		{"Kampala", 0.35, 32.58, 0.1}, {"Addis Ababa", 9.03, 38.74, 0.15}, {"Harare", -17.83, 31.05, 0.2},
	},
	{ // Australia inland and Brazil interior
		{"Canberra", -35.28, 149.13, 0.15}, {"Dubbo", -32.25, 148.60, 0.2}, {"Toowoomba", -27.56, 151.95, 0.15},
		{"Brasília", -15.79, -47.88, 0.2}, {"Goiânia", -16.69, -49.26, 0.15}, {"Campinas", -22.91, -47.06, 0.12},
	},
	{ // India and Turkey
		{"Delhi", 28.61, 77.21, 0.15}, {"Jaipur", 26.91, 75.79, 0.15}, {"Nagpur", 21.15, 79.09, 0.15},
		{"Ankara", 39.93, 32.86, 0.15}, {"Konya", 37.87, 32.48, 0.15}, {"Bangalore", 12.97, 77.59, 0.12},
	},
}

var dealerNames = []string{
	"Northwind Power Services", "Prairie Genset Supply", "Alpine Energy Systems", "Savanna Power Solutions",
	"Outback Generator Co.", "Meridian Standby Power", "Cedar Ridge Electric", "Blue Mesa Power",
	"Harbour Gensets", "Summit Field Power", "Ironwood Energy", "Redline Power Rentals",
}

var surnames = []string{
	"Hartley", "Okafor", "Lindqvist", "Moreau", "Castillo", "Nakamura", "Brennan", "Kowalski", "Adeyemi",
	"Fischer", "Delgado", "Whitaker", "Osei", "Novak", "Ferreira", "Sato", "Mbeki", "Larsen", "Quinn",
	"Patel", "Romero", "Dubois", "Gallagher", "Haddad", "Jensen", "Kariuki", "Ivanova", "Torres", "Weber",
	"Ashworth", "Banerjee", "Coleman", "Eriksen", "Grant", "Holloway", "Ibrahim", "Keller", "Mendes",
}

var businesses = []string{
	"Farms", "Construction", "Dairy", "Logistics", "Quarries", "Hospital", "Water Works", "Telecom",
	"Vineyards", "Mining", "Cold Storage", "Events", "Data Centre", "Irrigation", "Hotels", "Clinic",
	"Greenhouses", "Pumping", "Retail Park", "School District",
}

var sites = []string{
	"North Barn", "Pump House", "Main Office", "Cold Store", "Quarry Gate", "Data Room", "Standby",
	"Well 3", "East Field", "Workshop", "Tower Site", "Loading Bay", "Clinic Wing", "Irrigation Pump",
	"Site Office", "Back-up", "Milking Shed", "Gate House", "Substation", "Camp",
}

// Alarms a unit may raise; codes as the real controllers send them.
var alarmCodes = []string{
	"low_fuel", "high_coolant_temp", "low_oil_pressure", "battery_low", "overspeed", "underfrequency",
	"maintenance_due", "door_open",
}

// firmware versions per console, oldest first; the last is the newest release.
var consoleVersions = map[fleet.Console][]string{
	fleet.ConsoleXPro:    {"1.8.2", "1.9.0", "1.9.3"},
	fleet.ConsoleUnified: {"2.3.0", "2.3.4", "2.4.1"},
	fleet.ConsoleUltra:   {"3.1.0", "3.1.5", "3.2.0"},
}

var idPrefix = map[fleet.Model]string{
	fleet.ModelXPro: "XP", fleet.ModelD100: "D100", fleet.ModelD180: "D180",
	fleet.ModelV100: "V100", fleet.ModelV5: "V5", fleet.ModelUltra: "ULT",
}

// modelWeights is how common each model is in a fleet.
var modelWeights = []struct {
	m fleet.Model
	w int
}{{fleet.ModelXPro, 18}, {fleet.ModelD100, 14}, {fleet.ModelD180, 24}, {fleet.ModelV100, 12}, {fleet.ModelV5, 17}, {fleet.ModelUltra, 15}}

// password derives an account's password from the seed, so the same seed (or database) always
// yields the same accounts without storing passwords anywhere.
func password(seed int64, email string) string {
	m := hmac.New(sha256.New, []byte(fmt.Sprintf("fleetsim-seed-%d", seed)))
	m.Write([]byte(email))
	return "sim-" + hex.EncodeToString(m.Sum(nil))[:16]
}

const adminEmail = "admin@fleetsim.test"

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// seedWorld builds the initial fleet deterministically from cfg.Seed.
func seedWorld(cfg Config, now time.Time) (*world, error) {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eedf1ee7))
	w := newWorld(cfg.Seed)
	// The draw stays, so the seeded world is the same as ever; the state ID itself is new on
	// every start (NewBackend), or a restarted backend would take the old one's cursors.
	_ = r.Uint32()

	for i := 0; i < cfg.Dealers; i++ {
		name := dealerNames[i%len(dealerNames)]
		if i >= len(dealerNames) {
			name = fmt.Sprintf("%s %d", name, i/len(dealerNames)+1)
		}
		email := fmt.Sprintf("dealer%d@fleetsim.test", i+1)
		w.dealers = append(w.dealers, &dealer{ID: fmt.Sprintf("dlr-%03d", i+1), Name: name, Email: email, Password: password(cfg.Seed, email)})
	}
	w.makeLogs()

	// Split the units over the dealers unevenly, as real dealers differ in size.
	share := make([]float64, cfg.Dealers)
	var sum float64
	for i := range share {
		share[i] = 0.6 + r.Float64()
		sum += share[i]
	}
	counts := make([]int, cfg.Dealers)
	left := cfg.Devices
	for i := range counts {
		if i == len(counts)-1 {
			counts[i] = left
		} else {
			counts[i] = int(float64(cfg.Devices) * share[i] / sum)
			left -= counts[i]
		}
	}

	seenCompany := map[string]int{}
	serial := map[fleet.Model]int{}
	userN := 0
	for di, n := range counts {
		dl := w.dealers[di]
		region := regions[di%len(regions)]
		nCust := n / 12
		if nCust < 3 {
			nCust = 3
		}
		if nCust > 3000 {
			nCust = 3000
		}
		first := len(w.customers)
		for c := 0; c < nCust; c++ {
			company := surnames[r.IntN(len(surnames))] + " " + businesses[r.IntN(len(businesses))]
			seenCompany[company]++
			if k := seenCompany[company]; k > 1 {
				company = fmt.Sprintf("%s %d", company, k)
			}
			userN++
			u := token.User{
				ID:     fmt.Sprintf("usr-%05d", userN),
				Email:  "ops@" + slug(company) + ".example",
				Name:   company,
				Dealer: dl.ID,
			}
			w.byEmail[u.Email] = len(w.customers)
			w.customers = append(w.customers, &customer{User: u})
		}
		for k := 0; k < n; k++ {
			ci := first + r.IntN(nCust)
			if k < nCust {
				ci = first + k // every customer owns at least one unit
			}
			cu := w.customers[ci]
			m := pickModel(r)
			serial[m]++
			tr := fleet.TransportWiFi
			if r.Float64() < 0.55 {
				tr = fleet.TransportGSM
			}
			cons := fleet.ConsoleFor(m)
			vers := consoleVersions[cons]
			fw := vers[1]
			switch x := r.Float64(); {
			case x < 0.2:
				fw = vers[0]
			case x > 0.85:
				fw = vers[2]
			}
			d := fleet.Device{
				ID:            fmt.Sprintf("%s-%05d", idPrefix[m], serial[m]),
				Name:          cu.User.Name + " " + sites[r.IntN(len(sites))],
				CustomerEmail: cu.User.Email,
				Model:         m,
				Console:       cons,
				Transport:     tr,
				Firmware:      fw,
				Online:        true,
				RunState:      fleet.RunStopped,
				Alarms:        []string{},
				Dealer:        dl.ID,
			}
			th := fleet.ThresholdsFor(tr)
			if r.Float64() < 0.85 {
				p := region[r.IntN(len(region))]
				// Uniform in a disc, so units do not pile up on the centre.
				a, rad := r.Float64()*2*math.Pi, p.Radius*math.Sqrt(r.Float64())
				d.GPS = &fleet.Position{
					Lat: round6(p.Lat + rad*math.Sin(a)),
					Lon: round6(p.Lon + rad*math.Cos(a)/math.Cos(p.Lat*math.Pi/180)),
				}
			}
			if r.Float64() < 0.45 {
				d.RunState = fleet.RunRunning
			}
			dv := &dev{D: d, Customer: ci, dealer: di}
			switch x := r.Float64(); {
			case x < 0.02: // lost long ago, comes back much later
				dv.D.Online = false
				dv.D.LastSeen = now.Add(-th.LostAfter - time.Duration(r.Int64N(int64(72*time.Hour)))).UTC().Truncate(time.Second)
				dv.NextBeat = now.Add(time.Duration(r.Int64N(int64(th.LostAfter * 2))))
			case x < 0.08: // quiet for a while
				dv.D.Online = false
				dv.D.LastSeen = now.Add(-th.LiveFor - time.Duration(r.Int64N(int64(th.LostAfter-th.LiveFor)))).UTC().Truncate(time.Second)
				dv.NextBeat = now.Add(time.Duration(r.Int64N(int64(th.LostAfter))))
			default:
				dv.D.LastSeen = now.Add(-time.Duration(r.Int64N(int64(th.Heartbeat)))).UTC().Truncate(time.Second)
				dv.NextBeat = dv.D.LastSeen.Add(th.Heartbeat)
			}
			if d.GPS != nil {
				dv.D.GPS.FixTime = dv.D.LastSeen
			}
			if r.Float64() < 0.04 {
				dv.D.Alarms = []string{alarmCodes[r.IntN(len(alarmCodes))]}
			}
			if r.Float64() < 0.01 {
				dv.D.RunState = fleet.RunFault
			}
			idx := int32(len(w.devs))
			w.byID[d.ID] = idx
			w.devs = append(w.devs, dv)
			cu.devs = append(cu.devs, idx)
			dl.count++
			w.touch(idx, now)
		}
	}
	if err := w.buildReleases(now); err != nil {
		return nil, err
	}
	return w, nil
}

func newWorld(seed int64) *world {
	return &world{
		seed:      seed,
		byID:      map[string]int32{},
		byEmail:   map[string]int{},
		relByID:   map[string]*release{},
		commands:  map[string]*command{},
		idem:      map[string]*command{},
		rollouts:  map[string]*rolloutState{},
		validated: map[string]bool{},
		tokens:    map[string]*tokenRec{},
		tokByHash: map[string]*tokenRec{},
		service:   map[string]*serviceRecord{},
	}
}

func pickModel(r *rand.Rand) fleet.Model {
	total := 0
	for _, mw := range modelWeights {
		total += mw.w
	}
	x := r.IntN(total)
	for _, mw := range modelWeights {
		if x < mw.w {
			return mw.m
		}
		x -= mw.w
	}
	return fleet.ModelD180
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
