package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// ErrNoEventStream is wrapped by the error of Events when the backend does not offer the stream
// (404, 405 or 501), or what answers is not an event stream (a proxy's page): keep asking for
// deltas instead.
var ErrNoEventStream = errors.New("the backend offers no event stream")

// StreamSilentError says the stream sent nothing, not even its heartbeat, for longer than it
// may: the connection is dead (cut without a word, half-open) or something between holds the
// bytes back. Before its first event (Hello false) that is a proxy buffering the stream.
type StreamSilentError struct {
	After time.Duration
	Hello bool // the stream's first event had come
}

func (e *StreamSilentError) Error() string {
	if !e.Hello {
		return fmt.Sprintf("GET %s: the event stream sent nothing within %s of opening (a proxy holding it back?)", PathEvents, e.After.Round(time.Millisecond))
	}
	return fmt.Sprintf("GET %s: the event stream went silent for %s, past its heartbeat (a dead connection)", PathEvents, e.After.Round(time.Millisecond))
}

// DeadAfter is how long a stream with this heartbeat may stay silent before it is taken for dead:
// the heartbeat plus a margin for a loaded network, half the heartbeat and at least 2 s.
func DeadAfter(heartbeat time.Duration) time.Duration {
	return heartbeat + max(heartbeat/2, 2*time.Second)
}

// Event is one decoded event of the backend's stream. Exactly one of the payloads is set for a
// known Name; an unknown Name carries none (ignore it, but its ID still counts).
type Event struct {
	Name    string
	ID      string // the cursor after this event
	Hello   *EventHello
	Device  *fleet.Device
	Removed string
	Command *fleet.Command
	Rollout *rollout.Rollout // its units: only those that changed (merge by device ID)
}

// EventStream is an open GET /v1/events. Next returns its events; Close ends it. It watches
// itself: silence past DeadAfter(heartbeat) (before the first event, past the opening bound)
// ends it with a *StreamSilentError.
type EventStream struct {
	// State is the answer's Fleet-Backend-State: the backend state its cursors belong to.
	State string

	body      io.ReadCloser
	dec       *SSEDecoder
	cancel    context.CancelFunc
	last      atomic.Int64 // when a byte last came, Unix ns
	deadAfter atomic.Int64 // silence allowed, ns
	silent    atomic.Bool
	hello     atomic.Bool
	done      chan struct{}
}

// Events opens the event stream from cursor ("" for now on). firstWithin bounds the wait for the
// stream's first event once the backend has answered: a proxy that buffers the stream holds it
// back. A cursor of another backend state is an *Error with CodeCursorExpired; a backend without
// the stream is an error wrapping ErrNoEventStream.
func (c *Client) Events(ctx context.Context, cursor string, firstWithin time.Duration) (*EventStream, error) {
	cl := call{method: http.MethodGet, path: PathEvents}
	for attempt := 0; ; attempt++ {
		s, reauth, err := c.openEvents(ctx, cl, cursor, firstWithin)
		if reauth && attempt == 0 {
			continue // refused before it ran: once more with a fresh token
		}
		return s, err
	}
}

func (c *Client) openEvents(ctx context.Context, cl call, cursor string, firstWithin time.Duration) (_ *EventStream, reauth bool, _ error) {
	if c.tokens == nil {
		return nil, false, &Error{Endpoint: cl.endpoint(), Kind: KindUnauthorized, Message: "not signed in"}
	}
	tok, err := c.tokens.AccessToken(ctx)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return nil, false, ae
		}
		return nil, false, &Error{Endpoint: cl.endpoint(), Kind: KindUnauthorized, Message: err.Error(), Err: err}
	}
	u := c.base + PathEvents
	if cursor != "" {
		u += "?cursor=" + url.QueryEscape(cursor)
	}
	sctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, false, &Error{Endpoint: cl.endpoint(), Kind: KindRefused, Message: err.Error(), Err: err}
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", EventStreamType)
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Authorization", "Bearer "+tok)
	if cursor != "" {
		// Both: the header is the standard's, the query survives a proxy that drops it.
		req.Header.Set(HeaderLastEventID, cursor)
	}
	sent := time.Now()
	resp, err := c.rc.GetClient().Do(req)
	if err != nil {
		cancel()
		return nil, false, c.transportErr(cl, err, ctx)
	}
	c.observe(resp.Header, sent, time.Now())
	if resp.StatusCode != http.StatusOK {
		defer cancel()
		defer resp.Body.Close()
		body, _ := readCapped(resp.Body, 64<<10, resp.ContentLength, nil)
		e := &Error{Endpoint: cl.endpoint(), Status: resp.StatusCode}
		if d, ok := DecodeError(body); ok {
			e.Code, e.Message = d.Code, d.Message
		} else {
			e.Message = "no error details in the answer"
		}
		e.Kind = kindForStatus(resp.StatusCode, e.Code)
		switch resp.StatusCode {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			e.Err = ErrNoEventStream
		case http.StatusUnauthorized:
			c.tokens.Invalidate(tok)
			return nil, true, e
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), c.seen.clock.Now()); ok {
				e.retryAfter = d
			}
		}
		return nil, false, e
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != EventStreamType {
		resp.Body.Close()
		cancel()
		return nil, false, &Error{Endpoint: cl.endpoint(), Kind: KindBadResponse, Status: resp.StatusCode, Err: ErrNoEventStream,
			Message: fmt.Sprintf("the answer is %q, not an event stream", resp.Header.Get("Content-Type"))}
	}
	s := &EventStream{State: resp.Header.Get(HeaderBackendState), body: resp.Body, cancel: cancel, done: make(chan struct{})}
	s.last.Store(time.Now().UnixNano())
	s.deadAfter.Store(int64(firstWithin))
	s.dec = NewSSEDecoder(&activity{r: resp.Body, last: &s.last}, 0)
	go s.watch()
	return s, false, nil
}

// RetryAfter is how long the backend asked the caller to wait (429, 503), 0 when it did not.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.retryAfter
	}
	return 0
}

// activity notes when bytes arrive: the stream's own proof of life.
type activity struct {
	r    io.Reader
	last *atomic.Int64
}

func (a *activity) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// watch ends the stream once it has been silent for longer than allowed.
func (s *EventStream) watch() {
	for {
		allowed := time.Duration(s.deadAfter.Load())
		tick := min(max(allowed/5, 20*time.Millisecond), time.Second)
		t := time.NewTimer(tick)
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, s.last.Load())) > time.Duration(s.deadAfter.Load()) {
			s.silent.Store(true)
			s.cancel()
			return
		}
	}
}

// LastHeard is when the stream last sent anything (an event or its heartbeat), by this PC's
// clock: until then the backend was there and nothing had changed unsaid.
func (s *EventStream) LastHeard() time.Time { return time.Unix(0, s.last.Load()) }

// Close ends the stream and its watch.
func (s *EventStream) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.cancel()
	s.body.Close()
}

// Next returns the next event. An event whose data is not what its name promises is an *Error
// of KindBadResponse naming it: the stream cannot be trusted past it (resume from the last good
// ID). The end of the stream is io.EOF; silence is a *StreamSilentError.
func (s *EventStream) Next() (Event, error) {
	raw, err := s.dec.Next()
	if err != nil {
		if s.silent.Load() {
			return Event{}, &StreamSilentError{After: time.Duration(s.deadAfter.Load()), Hello: s.hello.Load()}
		}
		if errors.Is(err, ErrSSETooLarge) {
			return Event{}, &Error{Endpoint: "GET " + PathEvents, Kind: KindBadResponse, Status: http.StatusOK, Message: err.Error(), Err: err}
		}
		return Event{}, err
	}
	ev, err := decodeEvent(raw)
	if err != nil {
		return Event{}, &Error{Endpoint: "GET " + PathEvents, Kind: KindBadResponse, Status: http.StatusOK, Err: err,
			Message: fmt.Sprintf("event %q (id %q) is unreadable: %v", truncateText(raw.Name, 40), truncateText(raw.ID, 80), err)}
	}
	if ev.Hello != nil {
		s.hello.Store(true)
		if ev.Hello.HeartbeatMS > 0 {
			s.deadAfter.Store(int64(DeadAfter(time.Duration(ev.Hello.HeartbeatMS) * time.Millisecond)))
		}
	}
	return ev, nil
}

// decodeEvent reads one event's data by its name.
func decodeEvent(raw SSEEvent) (Event, error) {
	ev := Event{Name: raw.Name, ID: raw.ID}
	data := []byte(raw.Data)
	var err error
	switch raw.Name {
	case EventNameHello:
		var h EventHello
		if err = Decode(data, &h); err == nil && h.Cursor == "" {
			err = errors.New("no cursor")
		}
		if h.HeartbeatMS < 0 || h.HeartbeatMS > int(time.Hour/time.Millisecond) {
			err = fmt.Errorf("heartbeat of %d ms", h.HeartbeatMS)
		}
		ev.Hello = &h
	case EventNameDevice:
		var d fleet.Device
		if err = Decode(data, &d); err == nil && d.ID == "" {
			err = errors.New("a device without an id")
		}
		ev.Device = &d
	case EventNameRemoved:
		var r EventRemoved
		if err = Decode(data, &r); err == nil && r.ID == "" {
			err = errors.New("no id")
		}
		ev.Removed = r.ID
	case EventNameCommand:
		var c fleet.Command
		if err = Decode(data, &c); err == nil && (c.ID == "" || c.DeviceID == "") {
			err = errors.New("a command without its id or device")
		}
		ev.Command = &c
	case EventNameRollout:
		var r rollout.Rollout
		if err = Decode(data, &r); err == nil && r.ID == "" {
			err = errors.New("a rollout without an id")
		}
		for _, u := range r.Units {
			if err == nil && u.DeviceID == "" {
				err = errors.New("a rollout unit without a device id")
			}
		}
		ev.Rollout = &r
	default:
		return Event{Name: raw.Name, ID: raw.ID}, nil // a newer backend's event: not ours to read
	}
	if err == nil && ev.ID == "" && raw.Name != EventNameHello {
		err = errors.New("no id: it cannot be resumed from")
	}
	return ev, err
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
