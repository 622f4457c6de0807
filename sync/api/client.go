package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// TokenSource hands out the bearer token for authenticated calls. sync/auth implements it and
// refreshes the access token before it expires.
type TokenSource interface {
	// AccessToken returns a token valid for at least the next few seconds.
	AccessToken(ctx context.Context) (string, error)
	// Invalidate tells the source the backend refused token; the next AccessToken must refresh.
	Invalidate(token string)
}

// Options tune a Client. The zero value gives sensible defaults.
type Options struct {
	Timeout      time.Duration // per attempt, including reading the body; default 20 s
	ImageTimeout time.Duration // per attempt for firmware image downloads; default 5 min
	MaxAttempts  int           // for retryable calls; default 4
	// AnswerTimeout bounds the wait for the first byte of an answer (the response headers); a
	// big page may still take Timeout to arrive. Default 10 s.
	AnswerTimeout time.Duration
	// MaxSilent is how many attempts of one call may end with no answer at all (a backend that
	// accepts the connection and says nothing, or one that cannot be reached in time) before the
	// call gives up: with the defaults a dead backend costs at most 2 × 10 s plus a backoff,
	// instead of every attempt's full Timeout. Default 2.
	MaxSilent     int
	BaseBackoff   time.Duration // first retry delay before jitter; default 250 ms
	MaxBackoff    time.Duration // cap on one retry delay, Retry-After included; default 10 s
	MaxBody       int64         // cap on a JSON response body; default 64 MiB
	MaxImage      int64         // cap on a firmware image; default 64 MiB
	UserAgent     string        // default "FleetDesk"
	HTTPTransport http.RoundTripper
	// Clock, when set, is the backend clock the client keeps current from every answer (the
	// data layer passes one that starts from the offset kept in the cache); default a new one.
	Clock *BackendClock
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.ImageTimeout <= 0 {
		o.ImageTimeout = 5 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = 10 * time.Second
	}
	if o.MaxSilent <= 0 {
		o.MaxSilent = 2
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 20
	}
	if o.MaxImage <= 0 {
		o.MaxImage = 64 << 20
	}
	if o.UserAgent == "" {
		o.UserAgent = "FleetDesk"
	}
}

// Client is the typed client of the fleet backend contract. It is safe for concurrent use.
type Client struct {
	base   string
	opts   Options
	rc     *resty.Client
	tokens TokenSource
	sleep  func(ctx context.Context, d time.Duration) error
	seen   *seen // shared by the copies WithTokens makes: one backend, one clock
}

// seen is what the client learns from every answer's headers: the backend's clock and state.
type seen struct {
	clock *BackendClock
	mu    sync.Mutex
	state string // the last Fleet-Backend-State seen; "" before any (or from a backend without it)
}

// Clock is the backend's clock as its answers tell it (see BackendClock).
func (c *Client) Clock() *BackendClock { return c.seen.clock }

// BackendState is the Fleet-Backend-State of the latest answer that carried one ("" when none
// has): the health check compares it with the state the cursor belongs to.
func (c *Client) BackendState() string {
	c.seen.mu.Lock()
	defer c.seen.mu.Unlock()
	return c.seen.state
}

// observe reads the backend's clock and state from an answer.
func (c *Client) observe(h http.Header, sent, received time.Time) {
	c.seen.clock.Observe(h.Get("Date"), sent, received)
	if st := h.Get(HeaderBackendState); st != "" {
		c.seen.mu.Lock()
		c.seen.state = st
		c.seen.mu.Unlock()
	}
}

// New makes a client for the backend at baseURL. tokens may be nil for a client that only signs in.
func New(baseURL string, tokens TokenSource, opts Options) (*Client, error) {
	base, err := session.CheckBackendURL(baseURL)
	if err != nil {
		return nil, err
	}
	opts.defaults()
	rc := resty.New().
		SetBaseURL(base).
		SetHeader("User-Agent", opts.UserAgent).
		SetHeader("Accept", "application/json").
		SetDoNotParseResponse(true).
		SetRedirectPolicy(resty.NoRedirectPolicy())
	if opts.HTTPTransport != nil {
		rc.SetTransport(opts.HTTPTransport)
	} else if t, ok := rc.GetClient().Transport.(*http.Transport); ok {
		t.ResponseHeaderTimeout = opts.AnswerTimeout
	}
	// resty logs request failures itself; the caller gets them as errors instead.
	rc.SetLogger(quietLogger{})
	clock := opts.Clock
	if clock == nil {
		clock = NewBackendClock()
	}
	return &Client{base: base, opts: opts, rc: rc, tokens: tokens, sleep: sleepCtx, seen: &seen{clock: clock}}, nil
}

// WithTokens returns a client sharing this one's connections that authenticates with ts.
func (c *Client) WithTokens(ts TokenSource) *Client {
	cp := *c
	cp.tokens = ts
	return &cp
}

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// NewIdempotencyKey makes the key for one user action; pass the same key to every retry of it.
func NewIdempotencyKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a time-based key still avoids reuse.
		return fmt.Sprintf("t%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

// call describes one request.
type call struct {
	method   string
	path     string            // a Path* constant
	params   map[string]string // path parameters
	query    map[string]string
	body     any
	auth     bool
	retry    bool // idempotent (or made so by an Idempotency-Key): safe to send again
	idemKey  string
	maxBody  int64
	timeout  time.Duration
	expected []int // success statuses; default 200
	// header, when set, is given the headers of the answer that succeeded.
	header func(http.Header)
}

func (cl call) endpoint() string { return cl.method + " " + cl.path }

// do runs the call with retries and returns the body of a successful answer.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	if cl.maxBody == 0 {
		cl.maxBody = c.opts.MaxBody
	}
	if cl.timeout == 0 {
		cl.timeout = c.opts.Timeout
	}
	attempts := 1
	if cl.retry {
		attempts = c.opts.MaxAttempts
	}
	reauthed, skipWait := false, false
	silent := 0
	var last *Error
	for i := 0; i < attempts; i++ {
		if i > 0 && !skipWait {
			if err := c.sleep(ctx, c.backoff(i, last)); err != nil {
				return nil, c.ctxErr(cl, err, last)
			}
		}
		skipWait = false
		body, aerr := c.attempt(ctx, cl)
		if aerr == nil {
			return body, nil
		}
		last = aerr
		if ctx.Err() != nil {
			return nil, c.ctxErr(cl, ctx.Err(), last)
		}
		if aerr.Kind == KindUnauthorized && cl.auth && !reauthed && c.tokens != nil && aerr.Status != 0 {
			// The request was refused before it ran, so one more try with a fresh token is safe
			// even for a non-idempotent call.
			reauthed, skipWait = true, true
			attempts++
			continue
		}
		if !cl.retry || !aerr.retryable() {
			return nil, last
		}
		if aerr.silent {
			if silent++; silent >= c.opts.MaxSilent {
				return nil, last
			}
		}
		if aerr.retryAfter > c.opts.MaxBackoff {
			// The backend asked for a longer pause than a caller should block on.
			return nil, last
		}
	}
	return nil, last
}

func (c *Client) ctxErr(cl call, err error, last *Error) *Error {
	msg := "cancelled"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "gave up waiting"
	}
	if last != nil {
		msg += " (last failure: " + last.Error() + ")"
	}
	return &Error{Endpoint: cl.endpoint(), Kind: KindOffline, Message: msg, Err: err}
}

// backoff is exponential with full jitter, or what Retry-After asked for.
func (c *Client) backoff(retry int, last *Error) time.Duration {
	if last != nil && last.retryAfter > 0 {
		return last.retryAfter
	}
	ceil := c.opts.BaseBackoff << (retry - 1)
	if ceil > c.opts.MaxBackoff || ceil <= 0 {
		ceil = c.opts.MaxBackoff
	}
	return ceil/2 + time.Duration(mrand.Int64N(int64(ceil/2)+1))
}

// attempt sends the request once. wait is the backend's Retry-After, if any.
func (c *Client) attempt(ctx context.Context, cl call) ([]byte, *Error) {
	actx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()
	req := c.rc.R().SetContext(actx)
	for k, v := range cl.params {
		req.SetPathParam(k, v)
	}
	for k, v := range cl.query {
		if v != "" {
			req.SetQueryParam(k, v)
		}
	}
	if cl.body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(cl.body)
	}
	if cl.idemKey != "" {
		req.SetHeader(HeaderIdempotencyKey, cl.idemKey)
	}
	if cl.auth {
		if c.tokens == nil {
			return nil, &Error{Endpoint: cl.endpoint(), Kind: KindUnauthorized, Message: "not signed in"}
		}
		tok, err := c.tokens.AccessToken(ctx)
		if err != nil {
			var ae *Error
			if errors.As(err, &ae) {
				return nil, ae
			}
			return nil, &Error{Endpoint: cl.endpoint(), Kind: KindUnauthorized, Message: err.Error(), Err: err}
		}
		req.SetAuthToken(tok)
	}
	sent := time.Now()
	resp, err := req.Execute(cl.method, cl.path)
	if err != nil {
		return nil, c.transportErr(cl, err, actx)
	}
	// The headers are in (the body may still be on its way): the Date was written in between.
	c.observe(resp.Header(), sent, time.Now())
	raw := resp.RawBody()
	defer raw.Close()
	body, rerr := readCapped(raw, cl.maxBody, resp.RawResponse.ContentLength, takeBody())
	status := resp.StatusCode()
	var wait time.Duration
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		// An HTTP date in Retry-After is on the backend's clock, not this PC's.
		if d, ok := ParseRetryAfter(resp.Header().Get("Retry-After"), c.seen.clock.Now()); ok {
			wait = d
		}
	}
	if rerr != nil {
		if errors.Is(rerr, errTooBig) {
			return nil, &Error{Endpoint: cl.endpoint(), Kind: KindBadResponse, Status: status,
				Message: fmt.Sprintf("response body larger than %d bytes", cl.maxBody)}
		}
		if actx.Err() != nil && ctx.Err() == nil {
			return nil, &Error{Endpoint: cl.endpoint(), Kind: KindOffline, Status: status, transient: true,
				Message: fmt.Sprintf("timed out after %s reading the response", cl.timeout), Err: rerr}
		}
		return nil, &Error{Endpoint: cl.endpoint(), Kind: KindBadResponse, Status: status, transient: true,
			Message: "response body cut short: " + rerr.Error(), Err: rerr}
	}
	if ok := success(status, cl.expected); ok {
		if cl.header != nil {
			cl.header(resp.Header())
		}
		return body, nil
	}
	e := &Error{Endpoint: cl.endpoint(), Status: status, retryAfter: wait}
	if d, ok := DecodeError(body); ok {
		e.Code, e.Message = d.Code, d.Message
	} else {
		e.Message = "no error details in the answer"
	}
	e.Kind = kindForStatus(status, e.Code)
	if e.Kind == KindUnauthorized && cl.auth && c.tokens != nil {
		c.tokens.Invalidate(req.Token)
	}
	return nil, e
}

func success(status int, expected []int) bool {
	if len(expected) == 0 {
		return status == http.StatusOK
	}
	for _, s := range expected {
		if s == status {
			return true
		}
	}
	return false
}

func (c *Client) transportErr(cl call, err error, actx context.Context) *Error {
	e := &Error{Endpoint: cl.endpoint(), Kind: KindOffline, Err: err}
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var ne net.Error
	switch {
	case actx.Err() != nil:
		e.Message = fmt.Sprintf("no answer within %s", cl.timeout)
		e.silent = true
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		// The transport's answer timeout: connected, asked, and heard nothing.
		e.Message = fmt.Sprintf("the backend is not answering (connected, but no answer within %s)", c.opts.AnswerTimeout)
		e.silent = true
	default:
		e.Message = "backend unreachable: " + inner.Error()
	}
	return e
}

var errTooBig = errors.New("body too big")

// Body buffers are reused: a first sync reads a hundred pages of about 400 KB, and a buffer grown
// afresh for each (by doubling, as a chunked answer has no length) was over 100 MB of garbage, a
// collection every few pages while the cache writer ran. json hands its buffer back once the
// answer is decoded (the decoders copy every string they keep); a body returned to a caller is
// never handed back.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody is the largest buffer kept for reuse: a firmware image read once is not held.
const maxPooledBody = 4 << 20

func takeBody() []byte { return (*bodies.Get().(*[]byte))[:0] }

func giveBody(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBody {
		return
	}
	b = b[:0]
	bodies.Put(&b)
}

// readCapped reads at most limit bytes into buf (grown as needed); an endless or huge body fails
// instead of filling memory.
// size is the announced length (-1 when unknown): the buffer is made that big at once instead of
// growing by doubling through a 100,000-unit sync's pages.
func readCapped(r io.Reader, limit, size int64, buf []byte) ([]byte, error) {
	b := buf[:0]
	switch {
	case size > 0 && size <= limit && int64(cap(b)) <= size:
		b = make([]byte, 0, size+1) // +1: room to see the end without growing
	case cap(b) == 0:
		b = make([]byte, 0, 512)
	}
	lr := io.LimitReader(r, limit+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(b)) > limit {
		return nil, errTooBig
	}
	return b, nil
}

// json runs a call and decodes its answer into out (nil: the body is ignored).
func (c *Client) json(ctx context.Context, cl call, out any) error {
	body, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	err = Decode(body, out)
	giveBody(body)
	if err != nil {
		return &Error{Endpoint: cl.endpoint(), Kind: KindBadResponse, Status: http.StatusOK, Message: err.Error(), Err: err}
	}
	return nil
}
