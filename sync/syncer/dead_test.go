package syncer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// deadNetwork stands between the app and the backend; once killed, nothing gets through any more
// and nothing is refused either, as when a network goes away: open connections (the stream) stay
// open and silent, new requests get no answer.
type deadNetwork struct {
	url    string
	dead   atomic.Bool
	killed time.Time // set before dead
}

func newDeadNetwork(t *testing.T, backend string) *deadNetwork {
	u, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	n := &deadNetwork{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.dead.Load() {
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(&silencedWriter{ResponseWriter: w, n: n, ctx: r.Context()}, r)
	}))
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

// silencedWriter passes an answer on until the network dies, then blocks like a full socket.
type silencedWriter struct {
	http.ResponseWriter
	n   *deadNetwork
	ctx context.Context
}

func (w *silencedWriter) Write(p []byte) (int, error) {
	if w.n.dead.Load() {
		<-w.ctx.Done()
		return 0, w.ctx.Err()
	}
	return w.ResponseWriter.Write(p)
}

func (w *silencedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.n.dead.Load() {
		f.Flush()
	}
}

// TestLiveNoticesADeadNetwork (issue 23): while live, the network goes away without a word (the
// stream's connection stays open and silent, new requests are never answered). The replica
// notices from the stream's silence past its heartbeat (its sync interval is an hour and its
// health checks are off, so no sync or check can be what notices), says Reconnecting, then
// Offline; when the network comes back it is live again with the backend's fleet.
func TestLiveNoticesADeadNetwork(t *testing.T) {
	srv := startOn(t, "127.0.0.1:0", liveCfg(100))
	acc := srv.Accounts[0]
	n := newDeadNetwork(t, srv.URL)
	var sawReconnecting atomic.Int64 // when, in ns since the network died
	s := openLive(t, n.url, acc, t.TempDir(), func(o *Options) {
		o.HealthEvery = -1
		o.HealthTimeout = 500 * time.Millisecond
		o.StreamFirstWithin = time.Second
		o.API.Timeout, o.API.AnswerTimeout = time.Second, time.Second
	})
	defer s.Subscribe(func(session.Change) {
		if s.Status().Updates == session.UpdatesReconnecting && n.dead.Load() && sawReconnecting.Load() == 0 {
			sawReconnecting.Store(int64(time.Since(n.killed)))
		}
	})()
	waitLive(t, s)
	n.killed = time.Now()
	n.dead.Store(true)
	waitFor(t, "Offline", func() bool { return !s.Status().Reachable })
	t.Logf("Reconnecting %s, Offline %s after the network died (heartbeat 100 ms)",
		time.Duration(sawReconnecting.Load()).Round(10*time.Millisecond), time.Since(n.killed).Round(10*time.Millisecond))
	if sawReconnecting.Load() == 0 {
		t.Error("the status never said Reconnecting before Offline")
	}
	n.dead.Store(false)
	srv.Advance(5 * time.Minute)
	waitFor(t, "online and live again", func() bool {
		st := s.Status()
		return st.Reachable && st.Updates == session.UpdatesLive
	})
	equalsBackend(t, s, srv, acc)
}
