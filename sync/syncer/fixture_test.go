package syncer

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// fixture is a deterministic backend for the tests that need exact control over what changes:
// the kill -9 test and the delta benchmark. Generation 1 creates every device; each later
// generation touches a known set of them. A device's firmware names the last generation that
// touched it, so a test can check exactly which batches reached the cache.
//
// Cursors are "base.target.offset": the client holds generation base completely and has received
// the first offset changes on the way to target.
type fixture struct {
	n       int
	touches func(gen int) (from, to int) // the slots generation gen (>1) changes
	// Slot k is device k, or with scatter set, device k*scatter mod n (scatter coprime to n), so
	// that a generation's changes are spread over the whole ID range as heartbeats are.
	scatter int
	slotOf  []int // device → slot, with scatter
	base    time.Time

	mu     sync.Mutex
	fault  func(w http.ResponseWriter, r *http.Request, offset int) bool // misbehaves when it returns true
	gen    int
	lists  map[[2]int][]int
	server *http.Server
	url    string
	hits   int
}

func newFixture(t testing.TB, n int, touches func(gen int) (int, int)) *fixture {
	f := &fixture{n: n, touches: touches, gen: 1, lists: map[[2]int][]int{}, base: time.Now().UTC().Truncate(time.Second)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	j := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST "+api.PathLogin, func(w http.ResponseWriter, r *http.Request) {
		var req api.LoginRequest
		json.NewDecoder(r.Body).Decode(&req)
		if req.Password != "fixture-pw" {
			w.WriteHeader(401)
			j(w, api.ErrorBody{Error: api.ErrorDetail{Code: api.CodeUnauthorized, Message: "wrong password"}})
			return
		}
		j(w, api.TokenPair{AccessToken: "fixture-access", RefreshToken: "fixture-refresh", TokenType: "Bearer", ExpiresIn: 3600})
	})
	mux.HandleFunc("POST "+api.PathRefresh, func(w http.ResponseWriter, r *http.Request) {
		j(w, api.TokenPair{AccessToken: "fixture-access", RefreshToken: "fixture-refresh", TokenType: "Bearer", ExpiresIn: 3600})
	})
	mux.HandleFunc("GET "+api.PathMe, func(w http.ResponseWriter, r *http.Request) {
		j(w, api.Me{ID: "u1", Email: "dealer@fixture.example", Role: "dealer", Dealer: "D1", DealerName: "Fixture"})
	})
	mux.HandleFunc("GET "+api.PathRollouts, func(w http.ResponseWriter, r *http.Request) { j(w, api.RolloutList{}) })
	mux.HandleFunc("GET "+api.PathTokens, func(w http.ResponseWriter, r *http.Request) { j(w, api.TokenList{}) })
	mux.HandleFunc("GET "+api.PathReleases, func(w http.ResponseWriter, r *http.Request) { j(w, api.ReleaseList{}) })
	mux.HandleFunc("GET "+api.PathDevices, f.devices)
	f.server = &http.Server{Handler: mux}
	go f.server.Serve(ln)
	f.url = "http://" + ln.Addr().String()
	t.Cleanup(func() { f.server.Close() })
	return f
}

// setFault makes the devices endpoint misbehave (nil: behave).
func (f *fixture) setFault(fn func(w http.ResponseWriter, r *http.Request, offset int) bool) {
	f.mu.Lock()
	f.fault = fn
	f.mu.Unlock()
}

// scatterBy spreads every later generation's changes over the ID range (see fixture.scatter).
func (f *fixture) scatterBy(stride int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scatter = stride
	f.slotOf = make([]int, f.n)
	for k := 0; k < f.n; k++ {
		f.slotOf[f.deviceAt(k)] = k
	}
	clear(f.lists)
}

// deviceAt is the device in slot k.
func (f *fixture) deviceAt(k int) int {
	if f.scatter == 0 {
		return k
	}
	return k * f.scatter % f.n
}

// advance starts the next generation.
func (f *fixture) advance() {
	f.mu.Lock()
	f.gen++
	f.mu.Unlock()
}

// changes lists the device indexes that differ between generations base and target.
func (f *fixture) changes(base, target int) []int {
	key := [2]int{base, target}
	if l, ok := f.lists[key]; ok {
		return l
	}
	var l []int
	if base == 0 {
		l = make([]int, f.n)
		for i := range l {
			l[i] = i
		}
	} else {
		seen := map[int]bool{}
		for g := base + 1; g <= target; g++ {
			from, to := f.touches(g)
			for k := from; k < to; k++ {
				i := f.deviceAt(k)
				if !seen[i] {
					seen[i] = true
					l = append(l, i)
				}
			}
		}
		sort.Ints(l)
	}
	f.lists[key] = l
	return l
}

// lastTouch is the generation that last changed device i, as of generation g.
func (f *fixture) lastTouch(i, g int) int {
	k := i
	if f.slotOf != nil {
		k = f.slotOf[i]
	}
	for ; g > 1; g-- {
		if from, to := f.touches(g); k >= from && k < to {
			return g
		}
	}
	return 1
}

func (f *fixture) device(i, g int) fleet.Device {
	m := fleet.AllModels[i%len(fleet.AllModels)]
	d := fleet.Device{ID: fmt.Sprintf("FX-%06d", i), Name: fmt.Sprintf("Fixture unit %d", i), CustomerEmail: fmt.Sprintf("c%d@fixture.example", i%500),
		Model: m, Console: fleet.ConsoleFor(m), Transport: fleet.AllTransports[i%2], Firmware: fmt.Sprintf("g%d", f.lastTouch(i, g)),
		Online: true, LastSeen: f.base, RunState: fleet.RunRunning, Dealer: "D1", UpdatedAt: f.base}
	if i%3 == 0 {
		d.GPS = &fleet.Position{Lat: float64(i%90) / 2, Lon: float64(i%180) / 2, FixTime: f.base}
	}
	return d
}

func (f *fixture) devices(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits++
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	base, target, off := 0, f.gen, 0
	if c := r.URL.Query().Get("since"); c != "" {
		p := strings.Split(c, ".")
		if len(p) != 3 {
			w.WriteHeader(400)
			return
		}
		base, _ = strconv.Atoi(p[0])
		target, _ = strconv.Atoi(p[1])
		off, _ = strconv.Atoi(p[2])
		if base == target {
			target, off = f.gen, 0 // complete at base: the delta to now
		}
	}
	if f.fault != nil && f.fault(w, r, off) {
		return
	}
	list := f.changes(base, target)
	end := min(off+limit, len(list))
	page := api.DevicePage{Devices: make([]fleet.Device, 0, end-off), Total: f.n}
	for _, i := range list[off:end] {
		page.Devices = append(page.Devices, f.device(i, target))
	}
	page.HasMore = end < len(list)
	if page.HasMore {
		page.NextCursor = fmt.Sprintf("%d.%d.%d", base, target, end)
	} else {
		page.NextCursor = fmt.Sprintf("%d.%d.0", target, target)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(page)
}
