package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

func startSim(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// simDayTTL is the access token lifetime of tests that move simulated time by hours: the access
// token lives on the simulated clock, and their subject is not its expiry.
const simDayTTL = 24 * time.Hour

// advanceUntil moves a ManualClock server's time forward a step at a time until cond holds, and
// fails once limit of simulated time has passed. No real time is involved: a slow machine makes it
// slower, never wrong.
func advanceUntil(t testing.TB, s *Server, limit, step time.Duration, what string, cond func() bool) {
	t.Helper()
	for spent := time.Duration(0); !cond(); spent += step {
		if spent >= limit {
			t.Fatalf("%s did not happen within %v of simulated time", what, limit)
		}
		s.Advance(step)
	}
}

// waitFor polls cond in real time. Kept for tests on a backend whose time runs on its own; on a
// ManualClock backend use advanceUntil, which cannot time out on a slow machine.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeClock is a real clock (Config.Now) a test sets by hand. Prefer Config.ManualClock and
// Server.Advance: they also carry out the events due on the way.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func account(t testing.TB, s *Server, role, dealer string) Account {
	t.Helper()
	for _, a := range s.Accounts {
		if a.Role == role && (dealer == "" || a.Dealer == dealer) {
			return a
		}
	}
	t.Fatalf("no %s account", role)
	return Account{}
}

// client speaks to the simulator over real HTTP; with a contract validator it checks every
// request and answer against openapi.yaml.
type client struct {
	t     testing.TB
	base  string
	hc    *http.Client
	token string
}

func newClient(t testing.TB, s *Server, v *validator) *client {
	var rt http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: 4}
	if v != nil {
		v.setServer(s.URL)
		rt = &validatingTransport{v: v, next: rt, t: t}
	}
	return &client{t: t, base: s.URL, hc: &http.Client{Transport: rt, Timeout: 30 * time.Second}}
}

// login signs in and keeps the access token.
func (c *client) login(a Account) api.TokenPair {
	c.t.Helper()
	var tp api.TokenPair
	c.mustJSON("POST", api.PathLogin, api.LoginRequest{Email: a.Email, Password: a.Password}, 200, &tp)
	c.token = tp.AccessToken
	return tp
}

func (c *client) as(token string) *client {
	cp := *c
	cp.token = token
	return &cp
}

// do sends a request and returns the status and body.
func (c *client) do(method, path string, body any, hdr ...string) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				c.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

// mustJSON requires the status and decodes the answer into out (when not nil).
func (c *client) mustJSON(method, path string, body any, want int, out any, hdr ...string) {
	c.t.Helper()
	st, raw := c.do(method, path, body, hdr...)
	if st != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
}

// mustErr requires an error answer with the status and code, and returns its message.
func (c *client) mustErr(method, path string, body any, status int, code string, hdr ...string) string {
	c.t.Helper()
	st, raw := c.do(method, path, body, hdr...)
	if st != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, status, raw)
	}
	var eb api.ErrorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
		c.t.Fatalf("%s %s: not the error shape: %s", method, path, raw)
	}
	if code != "" && eb.Error.Code != code {
		c.t.Fatalf("%s %s: code %q, want %q (%s)", method, path, eb.Error.Code, code, eb.Error.Message)
	}
	return eb.Error.Message
}

// validator checks traffic against the contract and records which operations and statuses it saw.
type validator struct {
	doc    *openapi3.T
	mu     sync.Mutex
	router routers.Router
	seen   map[string]map[int]bool // "METHOD /path/template" → statuses
}

func newValidator(t testing.TB) *validator {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPISpec)
	if err != nil {
		t.Fatalf("loading openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return &validator{doc: doc, seen: map[string]map[int]bool{}}
}

func (v *validator) setServer(url string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.doc.Servers = openapi3.Servers{{URL: url}}
	r, err := legacy.NewRouter(v.doc)
	if err != nil {
		panic(fmt.Sprintf("router: %v", err))
	}
	v.router = r
}

type validatingTransport struct {
	v    *validator
	next http.RoundTripper
	t    testing.TB
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := context.Background()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	vt.v.mu.Lock()
	router := vt.v.router
	vt.v.mu.Unlock()
	route, params, rerr := router.FindRoute(req)

	resp, err := vt.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	if rerr != nil {
		// Not a contract path: the answer must still be the error shape.
		var eb api.ErrorBody
		if json.Unmarshal(respBody, &eb) != nil || eb.Error.Code == "" {
			vt.t.Errorf("%s %s: off-contract path answered without the error shape: %s", req.Method, req.URL.Path, respBody)
		}
		return resp, nil
	}
	check := &http.Request{Method: req.Method, URL: req.URL, Header: req.Header, Host: req.Host}
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{
		Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	reqValid := openapi3filter.ValidateRequest(ctx, in) == nil
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		vt.t.Errorf("%s %s → %d: answer breaks the contract: %v\nbody: %.400s", req.Method, req.URL.Path, resp.StatusCode, err, respBody)
	}
	if reqValid && resp.StatusCode < 300 {
		// A request the contract accepts got a success: fine. A request it accepts may also be
		// refused by state (404, 409); a request it refuses must never succeed.
	} else if !reqValid && resp.StatusCode < 300 {
		vt.t.Errorf("%s %s: the contract refuses this request but the backend answered %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if resp.StatusCode >= 300 {
		var eb api.ErrorBody
		if json.Unmarshal(respBody, &eb) != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			vt.t.Errorf("%s %s → %d without the error shape: %s", req.Method, req.URL.Path, resp.StatusCode, respBody)
		}
	}
	key := req.Method + " " + route.Path
	vt.v.mu.Lock()
	if vt.v.seen[key] == nil {
		vt.v.seen[key] = map[int]bool{}
	}
	vt.v.seen[key][resp.StatusCode] = true
	vt.v.mu.Unlock()
	return resp, nil
}
