package sim

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// DefaultEventHeartbeat is the event stream's heartbeat interval unless Config says otherwise.
const DefaultEventHeartbeat = 5 * time.Second

// A stream holds no queue of its own: it keeps a position in the change and news logs and, when
// woken, renders what lies after it, at most one batch at a time. A subscriber that falls behind
// costs a position, not memory; one whose connection stops taking bytes is cut off after
// EventWriteTimeout and resumes from its last event ID, getting each unit's latest state once.
const (
	streamBatchEvents = 2000
	streamBatchBytes  = 256 << 10
	// streamLinger: a busy stream writes at most this often, so a thousand changes a second
	// reach the connection in a few dozen writes, not a thousand.
	streamLinger = 40 * time.Millisecond
	// streamRetryMS is the reconnection delay the stream suggests (the standard `retry:` field).
	streamRetryMS = 1000
)

// EventStreams is the number of event streams open now.
func (b *Backend) EventStreams() int { return int(b.streams.Load()) }

// endStreams ends every open event stream (the backend is stopping); idempotent.
func (b *Backend) endStreams() {
	b.streamsOnce.Do(func() { close(b.streamsEnd) })
}

func (b *Backend) streamEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	if !loopbackRemote(r.RemoteAddr) {
		return errf(http.StatusForbidden, api.CodeForbidden, "the simulated backend serves its event stream on loopback only")
	}
	// Last-Event-ID is what a reconnecting client last got: newer than the URL it first used.
	from := r.Header.Get(api.HeaderLastEventID)
	if from == "" {
		from = r.URL.Query().Get("cursor")
	}
	b.mu.Lock()
	var since uint64
	var err error
	if from == "" {
		b.w.sealRollouts()
		since = b.w.seq // no cursor: from now on
	} else {
		since, err = b.parseCursor(from)
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	if n := b.streams.Add(1); int(n) > b.cfg.MaxEventStreams {
		b.streams.Add(-1)
		w.Header().Set("Retry-After", "5")
		return errf(http.StatusTooManyRequests, api.CodeRateLimited,
			"too many event streams are open (%d): try again shortly, or ask GET %s?since= for the changes", b.cfg.MaxEventStreams, api.PathDevices)
	}
	defer b.streams.Add(-1)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", api.EventStreamType)
	h.Set("X-Accel-Buffering", "no") // asks a buffering proxy (nginx) to pass each event on at once
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	buf.WriteString("retry: " + strconv.Itoa(streamRetryMS) + "\n\n")
	hello, _ := json.Marshal(api.EventHello{Cursor: b.cursor(since), HeartbeatMS: int(b.cfg.EventHeartbeat / time.Millisecond)})
	writeEvent(&buf, api.EventNameHello, b.cursor(since), hello)
	send := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(b.cfg.EventWriteTimeout))
		_, err := w.Write(buf.Bytes())
		if err == nil {
			err = rc.Flush()
		}
		if buf.Cap() > 2*streamBatchBytes {
			buf = bytes.Buffer{} // one huge event grew it: do not keep that per subscriber
		}
		buf.Reset()
		if err != nil {
			b.logf("sim: event stream of %s ended at %s: %v", p.actor.Email, b.cursor(since), err)
			return false
		}
		return true
	}
	if !send() {
		return nil
	}
	beat := time.NewTimer(b.cfg.EventHeartbeat)
	defer beat.Stop()
	lastWrite, lastAuth := time.Now(), time.Now()
	for {
		if time.Since(lastAuth) >= b.cfg.EventHeartbeat {
			// A stream lives no longer than its token: expired, revoked or signed out, it ends
			// and the client comes back with a fresh one.
			if _, err := b.authenticate(r); err != nil {
				return nil
			}
			lastAuth = time.Now()
		}
		ring := b.w.bell.wait() // before reading, so a change during the read wakes the next wait
		b.mu.Lock()
		next, more := b.streamBatch(p, since, &buf)
		b.mu.Unlock()
		if buf.Len() > 0 {
			if !send() {
				return nil
			}
			since, lastWrite = next, time.Now()
			beat.Reset(b.cfg.EventHeartbeat)
			if more {
				continue
			}
		}
		since = next
		select {
		case <-r.Context().Done():
			return nil
		case <-b.streamsEnd:
			return nil
		case <-ring:
			if d := streamLinger - time.Since(lastWrite); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-r.Context().Done():
					t.Stop()
					return nil
				case <-b.streamsEnd:
					t.Stop()
					return nil
				case <-t.C:
				}
			}
		case <-beat.C:
			buf.WriteString(": heartbeat\n\n")
			if !send() {
				return nil
			}
			beat.Reset(b.cfg.EventHeartbeat)
		}
	}
}

// loopbackRemote reports whether a request comes from this machine.
func loopbackRemote(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeEvent appends one event. data is JSON from encoding/json: one line, no raw newline.
func writeEvent(buf *bytes.Buffer, name, id string, data []byte) {
	buf.WriteString("event: ")
	buf.WriteString(name)
	buf.WriteString("\nid: ")
	buf.WriteString(id)
	buf.WriteString("\ndata: ")
	buf.Write(data)
	buf.WriteString("\n\n")
}

// streamItem is one piece of news for a stream, in sequence order.
type streamItem struct {
	seq     uint64
	dev     int32
	removed bool
	news    *newsEntry // a command or rollout; nil for a device
}

// streamBatch renders into buf the events after since that p may see, at most one batch. It returns
// the position reached and whether more may be waiting. The caller holds b.mu.
func (b *Backend) streamBatch(p *principal, since uint64, buf *bytes.Buffer) (uint64, bool) {
	w := b.w
	w.sealRollouts()
	if p.actor.Role == scope.RoleCustomer {
		return b.streamBatchCustomer(p, since, buf)
	}
	devs, news := &w.global, &w.globalNews
	if p.actor.Role == scope.RoleDealer {
		di := w.dealerIndex(p.actor.Dealer)
		if di < 0 {
			return since, false
		}
		devs, news = &w.logs[di], &w.news[di]
	}
	i, j := devs.from(since), news.from(since)
	for n := 0; n < streamBatchEvents && buf.Len() < streamBatchBytes; {
		for i < len(devs.entries) && !devs.current(devs.entries[i], w.devs) {
			i++
		}
		for j < len(news.entries) && !news.entries[j].current() {
			j++
		}
		var it streamItem
		switch {
		case i < len(devs.entries) && (j >= len(news.entries) || devs.entries[i].seq < news.entries[j].seq):
			e := devs.entries[i]
			it = streamItem{seq: e.seq, dev: e.dev, removed: e.removed}
			i++
		case j < len(news.entries):
			it = streamItem{seq: news.entries[j].seq, news: &news.entries[j]}
			j++
		default:
			return since, false
		}
		if b.render(p, it, since, buf) {
			n++
		}
		since = it.seq
	}
	return since, true
}

// streamBatchCustomer is streamBatch for a customer token: its account's units (the ones it was
// restricted to) and their commands; no rollouts, which are the dealer's.
func (b *Backend) streamBatchCustomer(p *principal, since uint64, buf *bytes.Buffer) (uint64, bool) {
	w := b.w
	var items []streamItem
	for _, i := range p.cust.devs {
		d := w.devs[i]
		if d.Seq <= since {
			continue
		}
		switch {
		case p.canSee(d):
			items = append(items, streamItem{seq: d.Seq, dev: i})
		case p.hadInScope(d):
			items = append(items, streamItem{seq: d.Seq, dev: i, removed: true})
		}
	}
	if di := w.dealerIndex(p.cust.User.Dealer); di >= 0 {
		news := &w.news[di]
		for j := news.from(since); j < len(news.entries); j++ {
			if e := &news.entries[j]; e.cmd != nil && e.current() {
				items = append(items, streamItem{seq: e.seq, news: e})
			}
		}
	}
	sort.Slice(items, func(a, c int) bool { return items[a].seq < items[c].seq })
	for n, it := range items {
		if n == streamBatchEvents || buf.Len() >= streamBatchBytes {
			return since, true
		}
		b.render(p, it, since, buf)
		since = it.seq
	}
	return since, false
}

// render writes one item as its event, if p may see it; prev is the stream's position before it
// (a rollout event carries the units that changed after prev). It reports whether it wrote.
func (b *Backend) render(p *principal, it streamItem, prev uint64, buf *bytes.Buffer) bool {
	w := b.w
	id := b.cursor(it.seq)
	switch {
	case it.news == nil && it.removed:
		data, _ := json.Marshal(api.EventRemoved{ID: w.devs[it.dev].D.ID})
		writeEvent(buf, api.EventNameRemoved, id, data)
	case it.news == nil:
		writeEvent(buf, api.EventNameDevice, id, w.devs[it.dev].json())
	case it.news.cmd != nil:
		c := it.news.cmd
		if !p.canSee(w.devs[c.Dev]) {
			return false // the unit has left the scope since the transition
		}
		data, _ := json.Marshal(c.C)
		writeEvent(buf, api.EventNameCommand, id, data)
	default:
		ro := it.news.ro
		if !b.seesRollout(p, ro) {
			return false
		}
		out := ro.R
		out.Units = make([]rollout.UnitProgress, 0, 8)
		for k, u := range ro.sent {
			if ro.unitSeq[k] > prev {
				out.Units = append(out.Units, u)
			}
		}
		data, _ := json.Marshal(out)
		writeEvent(buf, api.EventNameRollout, id, data)
	}
	return true
}
