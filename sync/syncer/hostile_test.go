package syncer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// hostileProxy stands between the app and fleetsim like a misbehaving network or proxy: every
// call passes, but the event stream goes through a fault that sees each block of the stream (an
// event, a comment, the retry field) as it passes and decides what reaches the app.
type hostileProxy struct {
	url     string
	target  *url.URL
	mu      sync.Mutex
	fault   streamFault
	once    bool // the fault hits the next stream only; later ones pass untouched
	streams atomic.Int32
	hits    atomic.Int32 // blocks the fault acted on
	idle    time.Duration
}

// streamFault decides, for block n (from 1) of a stream, what to do.
type streamFault func(n int, block []byte) (action faultAction, extra []byte)

type faultAction int

const (
	pass          faultAction = iota
	cutBefore                 // the connection dies before this block (between events)
	cutHalfway                // half of this block reaches the app, then the connection dies
	injectFirst               // extra reaches the app first, then this block
	injectThenCut             // extra reaches the app, then the connection dies
	stall                     // nothing more is forwarded, the connection stays open (half-open)
	hold                      // a buffering proxy: nothing is forwarded until 1 MiB has gathered
	holdAll                   // asked with block 0: the proxy holds back even the answer's head
)

func newHostileProxy(t *testing.T, backend string) *hostileProxy {
	u, _ := url.Parse(backend)
	h := &hostileProxy{target: u}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == api.PathEvents {
			h.stream(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// arm sets the fault for the next stream (once) or every stream.
func (h *hostileProxy) arm(f streamFault, once bool) {
	h.mu.Lock()
	h.fault, h.once = f, once
	h.mu.Unlock()
}

func (h *hostileProxy) take() streamFault {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.fault
	if h.once {
		h.fault = nil
	}
	return f
}

func (h *hostileProxy) stream(w http.ResponseWriter, r *http.Request) {
	h.streams.Add(1)
	up := r.Clone(r.Context())
	up.RequestURI = ""
	up.URL.Scheme, up.URL.Host, up.Host = h.target.Scheme, h.target.Host, h.target.Host
	resp, err := http.DefaultTransport.RoundTrip(up)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	fault := h.take()
	if fault != nil {
		if act, _ := fault(0, nil); act == holdAll {
			h.hits.Add(1)
			<-r.Context().Done() // not even the answer's head gets through
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	rc.Flush() // the head goes at once, as proxies send it
	blocks := make(chan []byte)
	go func() {
		defer close(blocks)
		br := bufio.NewReader(resp.Body)
		for {
			b, err := readBlock(br)
			if err != nil {
				return
			}
			select {
			case blocks <- b:
			case <-r.Context().Done():
				return
			}
		}
	}()
	var held bytes.Buffer
	for n := 1; ; n++ {
		var b []byte
		var ok bool
		if h.idle > 0 {
			select {
			case b, ok = <-blocks:
			case <-time.After(h.idle):
				panic(http.ErrAbortHandler) // an idle timeout: the proxy drops the connection
			}
		} else {
			b, ok = <-blocks
		}
		if !ok {
			return
		}
		act, extra := pass, []byte(nil)
		if fault != nil && n > 0 {
			act, extra = fault(n, b)
		}
		if act != pass {
			h.hits.Add(1)
		}
		switch act {
		case cutBefore:
			panic(http.ErrAbortHandler)
		case cutHalfway:
			w.Write(b[:len(b)/2])
			rc.Flush()
			panic(http.ErrAbortHandler)
		case injectFirst:
			w.Write(extra)
		case injectThenCut:
			w.Write(extra)
			rc.Flush()
			panic(http.ErrAbortHandler)
		case stall:
			<-r.Context().Done() // the app gives up on the silent connection
			return
		case hold:
			held.Write(b)
			if held.Len() < 1<<20 {
				continue
			}
			b = held.Bytes()
		}
		w.Write(b)
		rc.Flush()
	}
}

// readBlock reads up to and including the blank line that ends an event (fleetsim ends lines
// with "\n").
func readBlock(br *bufio.Reader) ([]byte, error) {
	var b []byte
	for {
		line, err := br.ReadBytes('\n')
		b = append(b, line...)
		if err != nil {
			return nil, err
		}
		if len(line) == 1 {
			return b, nil
		}
	}
}

// isEvent reports whether a block is a device event (the faults pick those to act on).
func isEvent(b []byte) bool { return bytes.HasPrefix(b, []byte("event: device\n")) }

// afterEvents acts on the k-th device event of the stream.
func afterEvents(k int, act faultAction, extra []byte) streamFault {
	seen := 0
	return func(n int, b []byte) (faultAction, []byte) {
		if !isEvent(b) {
			return pass, nil
		}
		if seen++; seen == k {
			return act, extra
		}
		return pass, nil
	}
}

// hostile is one fault case against a live replica.
type hostile struct {
	fault  func(t *testing.T, srv *sim.Server) streamFault // the fault, from what the backend holds
	once   bool                                            // only the first stream meets it
	idle   time.Duration                                   // the proxy's idle timeout (0: none)
	sim    func(*sim.Config)
	tune   func(*Options)
	opened func(s *Replica)
	polls  bool          // the replica ends up asking for deltas instead of live
	pause  time.Duration // between the bursts of changes (default 50 ms)
	check  func(t *testing.T, s *Replica, hp *hostileProxy)
}

// run: the fault hits streams that carry changes; then the replica must recover by itself and
// end equal to the backend, in memory and in its cache file, live again, without listing the
// fleet again (its cursor never passed anything it did not apply).
func (h hostile) run(t *testing.T) {
	cfg := liveCfg(300)
	if h.sim != nil {
		h.sim(&cfg)
	}
	srv := startOn(t, "127.0.0.1:0", cfg)
	acc := srv.Accounts[0]
	hp := newHostileProxy(t, srv.URL)
	hp.idle = h.idle
	if h.fault != nil {
		hp.arm(h.fault(t, srv), h.once)
	}
	dir := t.TempDir()
	s := openLive(t, hp.url, acc, dir, func(o *Options) {
		o.StreamFirstWithin = time.Second
		if h.tune != nil {
			h.tune(o)
		}
	})
	if h.opened != nil {
		h.opened(s)
	}
	waitFor(t, "the first sync", func() bool { st := s.Status(); return !st.LastSync.IsZero() && !st.Syncing })
	if h.pause == 0 {
		h.pause = 50 * time.Millisecond // the stream carries some of a burst before the next
	}
	for range 4 {
		srv.Advance(5 * time.Minute)
		time.Sleep(h.pause)
	}
	equalsBackend(t, s, srv, acc)
	if h.polls {
		waitFor(t, "deltas instead of live", func() bool {
			st := s.Status()
			return st.Updates == session.UpdatesPolling && st.UpdatesWhy == whyBuffered
		})
		srv.Advance(5 * time.Minute) // and the deltas follow the backend
		equalsBackend(t, s, srv, acc)
	} else {
		waitLive(t, s)
	}
	if h.fault != nil && hp.hits.Load() == 0 {
		t.Fatal("the fault never hit: a useless probe")
	}
	if st := s.Status(); st.Resync != "" {
		t.Fatalf("the replica listed the fleet again (%q): its cursor had passed something it did not apply", st.Resync)
	}
	if h.check != nil {
		h.check(t, s, hp)
	}
	cacheEqualsBackend(t, s, dir, srv, acc)
}

func once(f streamFault) func(*testing.T, *sim.Server) streamFault {
	return func(*testing.T, *sim.Server) streamFault { return f }
}

// The connection dies in the middle of an event: the half event is dropped, the stream resumed
// from the last whole one.
func TestHostileStreamCutMidEvent(t *testing.T) {
	hostile{fault: once(afterEvents(20, cutHalfway, nil)), once: true}.run(t)
}

// The connection dies between two events.
func TestHostileStreamCutBetweenEvents(t *testing.T) {
	hostile{fault: once(afterEvents(20, cutBefore, nil)), once: true}.run(t)
}

// A garbage event with an ID far ahead of the backend, the last thing before the connection
// dies: were its ID taken, the resume would be answered 410 and the replica would list
// everything again (run fails on that). Every stream carries some, in the flow of events or just
// before a cut: the replica resumes from before each and still ends equal.
func TestHostileStreamGarbageEvent(t *testing.T) {
	hostile{fault: func(t *testing.T, srv *sim.Server) streamFault {
		k := 0
		return func(n int, b []byte) (faultAction, []byte) {
			if !isEvent(b) {
				return pass, nil
			}
			if k++; k%40 != 0 {
				return pass, nil
			}
			id := strings.TrimPrefix(strings.SplitN(string(b), "\n", 3)[1], "id: ")
			state, _, _ := strings.Cut(id, ".")
			act := injectFirst
			if k%80 == 0 {
				act = injectThenCut
			}
			return act, []byte("event: device\nid: " + state + ".999999999\ndata: {\"id\": 12, garbage\n\n")
		}
	}}.run(t)
}

// An event for another dealer's unit slipped in between the backend's (with no id, so it keeps
// the one before it): never applied, never announced.
func TestHostileStreamOtherDealersUnit(t *testing.T) {
	var foreign string
	var announced atomic.Bool
	hostile{
		fault: func(t *testing.T, srv *sim.Server) streamFault {
			for _, d := range backendFleet(t, srv.URL, srv.Accounts[1]) {
				foreign = d.ID
				raw, _ := json.Marshal(d)
				ev := []byte("event: device\ndata: " + string(raw) + "\n\n")
				return func(n int, b []byte) (faultAction, []byte) {
					if isEvent(b) && n%7 == 0 {
						return injectFirst, ev
					}
					return pass, nil
				}
			}
			t.Fatal("the other dealer has no units")
			return nil
		},
		opened: func(s *Replica) {
			s.Subscribe(func(ch session.Change) {
				for _, id := range ch.Devices {
					if id == foreign {
						announced.Store(true)
					}
				}
			})
		},
		check: func(t *testing.T, s *Replica, hp *hostileProxy) {
			if _, ok := s.Fleet().Get(foreign); ok || announced.Load() {
				t.Fatalf("another dealer's unit %s reached the fleet (announced %v)", foreign, announced.Load())
			}
		},
	}.run(t)
}

// The stream stalls with its connection open (a half-open TCP connection: nothing arrives, no
// end is seen): noticed past the heartbeat, resumed, nothing lost.
func TestHostileStreamStalls(t *testing.T) {
	hostile{fault: once(afterEvents(20, stall, nil)), once: true,
		check: func(t *testing.T, s *Replica, hp *hostileProxy) {
			if hp.streams.Load() < 2 {
				t.Fatalf("%d streams: the stall was never noticed", hp.streams.Load())
			}
		}}.run(t)
}

// A proxy that buffers the stream: its first event never arrives in time, so the replica asks for
// deltas at its interval instead, says why, and still follows the backend.
func TestHostileStreamBuffered(t *testing.T) {
	hostile{fault: once(func(int, []byte) (faultAction, []byte) { return hold, nil }), polls: true,
		tune: func(o *Options) { o.Interval = 200 * time.Millisecond; o.HealthEvery = -1 }}.run(t)
}

// A proxy that holds back even the stream's head: the stream gets no answer in time, yet the
// backend answers every other call, so it is the stream that is held back (not the backend gone).
func TestHostileStreamHeldWhole(t *testing.T) {
	hostile{fault: once(func(n int, _ []byte) (faultAction, []byte) {
		if n == 0 {
			return holdAll, nil
		}
		return pass, nil
	}), polls: true, tune: func(o *Options) {
		o.Interval, o.HealthEvery, o.API.AnswerTimeout = 200*time.Millisecond, -1, time.Second
	}, check: func(t *testing.T, s *Replica, hp *hostileProxy) {
		if !s.Status().Reachable {
			t.Fatal("a held-back stream made the app say Offline")
		}
	}}.run(t)
}

// A proxy that drops connections idle for 400 ms: the 100 ms heartbeat keeps the stream through
// it, one connection all along.
func TestHostileProxyIdleTimeoutBeatenByHeartbeat(t *testing.T) {
	hostile{idle: 400 * time.Millisecond, pause: 600 * time.Millisecond, check: func(t *testing.T, s *Replica, hp *hostileProxy) {
		if n := hp.streams.Load(); n != 1 {
			t.Fatalf("%d streams: the idle timeout cut the stream despite its heartbeat", n)
		}
	}}.run(t)
}

// The same proxy with a heartbeat slower than its timeout: cut whenever quiet, resumed every
// time, nothing lost.
func TestHostileProxyIdleTimeoutCuts(t *testing.T) {
	hostile{idle: 300 * time.Millisecond, sim: func(c *sim.Config) { c.EventHeartbeat = 2 * time.Second }, pause: 600 * time.Millisecond,
		check: func(t *testing.T, s *Replica, hp *hostileProxy) {
			if n := hp.streams.Load(); n < 2 {
				t.Fatalf("%d streams: the idle timeout never cut one: a useless probe", n)
			}
		}}.run(t)
}
