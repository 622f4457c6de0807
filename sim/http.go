package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// HeaderSimTime carries the simulated clock on every answer, so a client comparing last_seen
// with "now" at --speed above 1 can use the backend's now instead of its own.
const HeaderSimTime = "X-Fleetsim-Time"

const maxBody = 1 << 20

// maxRolloutBody is the body limit of a rollout request: room for maxConfirmed device IDs.
const maxRolloutBody = 4 << 20

// apiError is an error answer: status, contract code, message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(what string) *apiError {
	return errf(http.StatusNotFound, api.CodeNotFound, "%s not found", what)
}

var errReadOnly = errf(http.StatusForbidden, api.CodeForbidden, "this token is read-only: commands and writes are refused")

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *principal) error

func (b *Backend) routes() http.Handler {
	mux := http.NewServeMux()
	open := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			b.finish(w, h(w, r))
		})
	}
	authed := func(pattern string, h handlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			p, err := b.authenticate(r)
			if err == nil {
				err = h(w, r, p)
			}
			b.finish(w, err)
		})
	}
	open("POST "+api.PathLogin, b.login)
	open("POST "+api.PathRefresh, b.refresh)
	authed("POST "+api.PathLogout, b.logout)
	authed("GET "+api.PathMe, b.me)
	authed("GET "+api.PathDevices, b.listDevices)
	authed("GET "+api.PathDevice, b.getDevice)
	if !b.cfg.NoEvents {
		authed("GET "+api.PathEvents, b.streamEvents)
	}
	authed("POST "+api.PathDeviceCommands, b.postCommand)
	authed("GET "+api.PathDeviceCommands, b.listCommands)
	authed("GET "+api.PathCommand, b.getCommand)
	authed("GET "+api.PathReleases, b.listReleases)
	authed("GET "+api.PathReleaseImage, b.releaseImage)
	authed("GET "+api.PathRollouts, b.listRollouts)
	authed("POST "+api.PathRollouts, b.createRollout)
	authed("GET "+api.PathRollout, b.getRollout)
	authed("POST "+api.PathRolloutPause, b.rolloutAction(rolloutPause))
	authed("POST "+api.PathRolloutResume, b.rolloutAction(rolloutResume))
	authed("POST "+api.PathRolloutCancel, b.rolloutAction(rolloutCancel))
	authed("GET "+api.PathUsers, b.listUsers)
	authed("GET "+api.PathTokens, b.listTokens)
	authed("POST "+api.PathTokens, b.createToken)
	authed("DELETE "+api.PathToken, b.revokeToken)
	authed("POST "+api.PathServiceLog, b.postServiceLog)
	authed("POST "+api.PathAdminPush, b.adminPush)
	authed("POST "+api.PathAdminOverride, b.adminOverride)
	if b.manual != nil {
		authed("POST "+PathSimAdvance, b.advanceHTTP)
	}
	// Everything else, including a known path with another method, is the contract's 404.
	open("/", func(w http.ResponseWriter, r *http.Request) error {
		return errf(http.StatusNotFound, api.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	})
	state := b.w.epoch
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := b.clk.now()
		// The backend's clock and state on every answer, as the contract says: Date is the clock
		// last_seen and every other time is read on (net/http would write the PC's), and the
		// state ID changes whenever this backend is not the one that handed out older cursors.
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		w.Header().Set(HeaderSimTime, now.Format(time.RFC3339Nano))
		w.Header().Set(api.HeaderBackendState, state) // fixed for the backend's life
		w.Header().Set("Cache-Control", "no-store")
		limit := int64(maxBody)
		if r.Method == http.MethodPost && r.URL.Path == api.PathRollouts {
			limit = maxRolloutBody // it names every unit the dealer confirmed
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		mux.ServeHTTP(w, r)
	})
}

func (b *Backend) finish(w http.ResponseWriter, err error) {
	if err == nil {
		return
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		b.logf("sim: internal error: %v", err)
		ae = errf(http.StatusInternalServerError, api.CodeInternal, "internal error")
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fleetsim"`)
	}
	writeJSON(w, ae.status, api.ErrorBody{Error: api.ErrorDetail{Code: ae.code, Message: ae.message}})
}

// writeJSON sends the answer. It returns nil even when the client went away mid-answer: the
// status is on the wire already, so there is no error answer left to give.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

// decode reads a JSON body strictly: unknown fields and trailing data are refused.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "request body too large (at most %d MiB)", mbe.Limit>>20)
		}
		return errf(http.StatusBadRequest, api.CodeBadRequest, "bad JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "bad JSON body: trailing data")
	}
	return nil
}

// ---- auth ----

func (b *Backend) authenticate(r *http.Request) (*principal, error) {
	tok, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "sign in first: missing bearer token")
	}
	h := hashSecret(tok)
	real := b.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.sess[h]; s != nil && !s.Refresh {
		if real.After(s.Expires) {
			delete(b.sess, h)
			b.w.dirtyMisc = true
			return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "access token expired: refresh or sign in again")
		}
		return b.accountPrincipal(s.Email, s.Pair)
	}
	if t := b.w.tokByHash[h]; t != nil {
		switch {
		case t.Info.Revoked:
			return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "this token was revoked")
		case real.After(t.Info.ExpiresAt):
			return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "this token expired")
		}
		ci, ok := b.w.byEmail[t.Info.UserEmail]
		if !ok {
			return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "the token's account no longer exists")
		}
		cu := b.w.customers[ci]
		used := real.UTC()
		t.Info.LastUsed = &used
		t.dirty = true
		b.w.dirtyMisc = true
		return &principal{
			actor: scope.Actor{UserID: cu.User.ID, Email: cu.User.Email, Role: scope.RoleCustomer, Dealer: cu.User.Dealer},
			name:  cu.User.Name, tok: t, cust: cu,
		}, nil
	}
	return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "unknown or expired token: sign in again")
}

func (b *Backend) accountPrincipal(email, pair string) (*principal, error) {
	if email == adminEmail {
		return &principal{actor: scope.Actor{UserID: "adm-1", Email: email, Role: scope.RoleAdmin}, name: "Fleet administrator", pair: pair}, nil
	}
	for _, d := range b.w.dealers {
		if d.Email == email {
			return &principal{actor: scope.Actor{UserID: "acc-" + d.ID, Email: email, Role: scope.RoleDealer, Dealer: d.ID}, name: d.Name, pair: pair}, nil
		}
	}
	return nil, errf(http.StatusUnauthorized, api.CodeUnauthorized, "account no longer exists")
}

func (b *Backend) issuePair(email string) api.TokenPair {
	access, refresh := newSecret(prefixAccess), newSecret(prefixRefresh)
	pair := hashSecret(refresh)[:16]
	real := b.cfg.Now()
	b.sess[hashSecret(access)] = &session{Email: email, Expires: real.Add(b.cfg.AccessTTL), Pair: pair}
	b.sess[hashSecret(refresh)] = &session{Email: email, Refresh: true, Expires: real.Add(refreshTTL), Pair: pair}
	b.w.dirtyMisc = true
	return api.TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(b.cfg.AccessTTL / time.Second)}
}

func (b *Backend) login(w http.ResponseWriter, r *http.Request) error {
	var req api.LoginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	b.mu.Lock()
	defer b.mu.Unlock()
	known := email == adminEmail
	for _, d := range b.w.dealers {
		known = known || d.Email == email
	}
	if !known || !sameString(req.Password, password(b.w.seed, email)) {
		return errf(http.StatusUnauthorized, api.CodeUnauthorized, "wrong email or password")
	}
	b.logf("sim: %s signed in", email)
	return writeJSON(w, http.StatusOK, b.issuePair(email))
}

func (b *Backend) refresh(w http.ResponseWriter, r *http.Request) error {
	var req api.RefreshRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	h := hashSecret(req.RefreshToken)
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sess[h]
	if s == nil || !s.Refresh || b.cfg.Now().After(s.Expires) {
		return errf(http.StatusUnauthorized, api.CodeUnauthorized, "refresh token unknown or expired: sign in again")
	}
	// Refresh tokens are single use: the old pair ends here.
	b.endPair(s.Pair)
	return writeJSON(w, http.StatusOK, b.issuePair(s.Email))
}

func (b *Backend) endPair(pair string) {
	for h, s := range b.sess {
		if s.Pair == pair {
			delete(b.sess, h)
		}
	}
	b.w.dirtyMisc = true
}

func (b *Backend) logout(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.tok != nil {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "API tokens are revoked by the dealer, not logged out")
	}
	// The body is optional: a client may name its refresh token, in case it belongs to a pair
	// other than the access token's (after a refresh race).
	var req api.RefreshRequest
	if r.ContentLength != 0 {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "reading the body: %v", err)
		}
		if len(bytes.TrimSpace(body)) > 0 {
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err := decode(r, &req); err != nil {
				return err
			}
		}
	}
	b.mu.Lock()
	if s := b.sess[hashSecret(req.RefreshToken)]; req.RefreshToken != "" && s != nil && s.Email == p.actor.Email {
		b.endPair(s.Pair)
	}
	b.endPair(p.pair)
	b.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (b *Backend) me(w http.ResponseWriter, r *http.Request, p *principal) error {
	m := api.Me{ID: p.actor.UserID, Email: p.actor.Email, Name: p.name, Role: string(p.actor.Role), Dealer: p.actor.Dealer}
	b.mu.Lock()
	if i := b.w.dealerIndex(p.actor.Dealer); i >= 0 {
		m.DealerName = b.w.dealers[i].Name
	}
	b.mu.Unlock()
	return writeJSON(w, http.StatusOK, m)
}

// ---- devices ----

const (
	defaultPage = 500
	maxPage     = 5000
)

func (b *Backend) parseCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	ep, n, ok := strings.Cut(s, ".")
	seq, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil || ep == "" {
		return 0, errf(http.StatusBadRequest, api.CodeBadRequest, "malformed cursor %q", truncate(s, 40))
	}
	if b.cfg.IgnoreCursorState {
		return seq, nil
	}
	if ep != b.w.epoch {
		return 0, errf(http.StatusGone, api.CodeCursorExpired, "this cursor is from another backend state: sync from scratch (omit since)")
	}
	if seq > b.w.seq {
		// Not handed out by this state (it has not got that far): the client saw changes this
		// state does not hold, so a delta from here could never make it whole.
		return 0, errf(http.StatusGone, api.CodeCursorExpired, "this cursor is ahead of this backend state: sync from scratch (omit since)")
	}
	return seq, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (b *Backend) cursor(seq uint64) string { return b.w.epoch + "." + strconv.FormatUint(seq, 10) }

func (b *Backend) listDevices(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	limit := defaultPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "limit must be a number from 1 to %d", maxPage)
		}
		limit = n
	}
	b.mu.Lock()
	since, err := b.parseCursor(q.Get("since"))
	if err != nil {
		b.mu.Unlock()
		return err
	}
	// Devices go out as their cached JSON: a full sync of a big fleet is mostly copying bytes.
	page := api.DevicePage{Removed: []string{}}
	items := make([][]byte, 0, min(limit, 1024))
	var last uint64
	switch p.actor.Role {
	case scope.RoleCustomer:
		var mine []*dev
		for _, i := range p.cust.devs {
			d := b.w.devs[i]
			switch {
			case p.canSee(d):
				page.Total++
				if d.Seq > since {
					mine = append(mine, d)
				}
			case since > 0 && d.Seq > since && p.hadInScope(d):
				mine = append(mine, d) // transferred away since: removed
			}
		}
		sort.Slice(mine, func(a, c int) bool { return mine[a].Seq < mine[c].Seq })
		for k, d := range mine {
			if k == limit {
				page.HasMore = true
				break
			}
			if p.canSee(d) {
				items = append(items, d.json())
			} else {
				page.Removed = append(page.Removed, d.D.ID)
			}
			last = d.Seq
		}
	default:
		log := &b.w.global
		page.Total = len(b.w.devs)
		if p.actor.Role == scope.RoleDealer {
			di := b.w.dealerIndex(p.actor.Dealer)
			log = &b.w.logs[di]
			page.Total = b.w.dealers[di].count
		}
		for k := log.from(since); k < len(log.entries); k++ {
			e := log.entries[k]
			if !log.current(e, b.w.devs) {
				continue
			}
			if len(items)+len(page.Removed) == limit {
				page.HasMore = true
				break
			}
			d := b.w.devs[e.dev]
			switch {
			case !e.removed:
				items = append(items, d.json())
			case since > 0: // a first listing has nothing to remove
				page.Removed = append(page.Removed, d.D.ID)
			}
			last = e.seq
		}
	}
	if !page.HasMore {
		// Everything in scope up to now was seen: later changes all get higher numbers.
		last = max(since, b.w.seq)
	}
	page.NextCursor = b.cursor(last)
	b.mu.Unlock()
	return writePage(w, items, page)
}

// writePage writes a DevicePage whose devices are already JSON.
func writePage(w http.ResponseWriter, items [][]byte, page api.DevicePage) error {
	rest, err := json.Marshal(page) // devices is nil here: "devices":null comes first, replaced below
	if err != nil {
		return err
	}
	const head = `{"devices":null,`
	if !bytes.HasPrefix(rest, []byte(head)) {
		return fmt.Errorf("sim: unexpected DevicePage encoding %.40s", rest)
	}
	n := len(rest) + 16
	for _, it := range items {
		n += len(it) + 1
	}
	buf := make([]byte, 0, n)
	buf = append(buf, `{"devices":[`...)
	for k, it := range items {
		if k > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, it...)
	}
	buf = append(buf, "],"...)
	buf = append(buf, rest[len(head):]...)
	buf = append(buf, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
	return nil
}

// lookup finds a device the principal may see; anything else is the same 404, so a probe cannot
// tell another dealer's unit from no unit.
func (b *Backend) lookup(p *principal, id string) (int32, *dev, error) {
	i, ok := b.w.byID[id]
	if !ok || !p.canSee(b.w.devs[i]) {
		return 0, nil, notFound("device " + truncate(id, 40))
	}
	return i, b.w.devs[i], nil
}

func (b *Backend) getDevice(w http.ResponseWriter, r *http.Request, p *principal) error {
	b.mu.Lock()
	_, d, err := b.lookup(p, r.PathValue("id"))
	if err != nil {
		b.mu.Unlock()
		return err
	}
	out := copyDevice(&d.D)
	b.mu.Unlock()
	return writeJSON(w, http.StatusOK, out)
}

// ---- commands ----

func (b *Backend) postCommand(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req api.CommandRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	key := r.Header.Get(api.HeaderIdempotencyKey)
	if len(key) > 200 {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "Idempotency-Key longer than 200 characters")
	}
	now := b.clk.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	i, d, err := b.lookup(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if p.readOnly() {
		return errReadOnly
	}
	if !req.Action.Valid() {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "unknown action %q (known: start, stop, reboot, fw_update, force_ota)", truncate(string(req.Action), 40))
	}
	if p.actor.Role == scope.RoleCustomer {
		if !customerMayCommand(req.Action) {
			return errf(http.StatusForbidden, api.CodeForbidden, "firmware actions are for the dealer")
		}
	} else if err := refused(scope.CanCommand(p.actor, d.D, req.Action)); err != nil {
		return err
	}
	if key != "" {
		if c := b.w.idem[p.actor.UserID+"\x00"+key]; c != nil {
			if c.C.DeviceID != d.D.ID || c.C.Action != req.Action || c.C.ReleaseID != req.ReleaseID {
				return errf(http.StatusConflict, api.CodeConflict, "Idempotency-Key already used for a different command")
			}
			return writeJSON(w, http.StatusOK, c.C)
		}
	}
	if req.Action.NeedsRelease() {
		if req.ReleaseID == "" {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "%s needs a release_id", req.Action)
		}
		rel, err := b.releaseByID(req.ReleaseID)
		if err != nil {
			return err
		}
		if !rollout.Matches(rel.R, d.D) {
			return errf(http.StatusBadRequest, api.CodeVariant, "release %s is for %s on the %s; %s is a %s", rel.R.ID, rel.R.Variant(), rel.R.Console, d.D.ID, fleet.VariantOf(d.D))
		}
		if d.OTA != nil {
			return errf(http.StatusConflict, api.CodeConflict, "%s is already installing %s", d.D.ID, d.OTA.Version)
		}
		// Force OTA is the immediate attempt: a unit that cannot hear it now cannot install now.
		if req.Action == fleet.ActionForceOTA && (!d.D.Online || d.Gone) {
			return errf(http.StatusConflict, api.CodeUnitOffline,
				"%s is offline: Force OTA needs the unit online (FW Update waits for its next check-in)", d.D.ID)
		}
	} else if req.ReleaseID != "" {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "%s takes no release_id", req.Action)
	}
	c := b.newCommand(i, req.Action, req.ReleaseID, p.actor.UserID, key, now)
	b.logf("sim: %s sent %s to %s (%s)", p.actor.Email, req.Action, d.D.ID, c.C.ID)
	return writeJSON(w, http.StatusCreated, c.C)
}

func (b *Backend) listCommands(w http.ResponseWriter, r *http.Request, p *principal) error {
	b.mu.Lock()
	_, d, err := b.lookup(p, r.PathValue("id"))
	if err != nil {
		b.mu.Unlock()
		return err
	}
	out := api.CommandList{Commands: []fleet.Command{}}
	for _, c := range d.cmds {
		out.Commands = append(out.Commands, c.C)
	}
	b.mu.Unlock()
	sort.Slice(out.Commands, func(a, c int) bool { return out.Commands[a].ID > out.Commands[c].ID })
	return writeJSON(w, http.StatusOK, out)
}

func (b *Backend) getCommand(w http.ResponseWriter, r *http.Request, p *principal) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.w.commands[r.PathValue("id")]
	if c == nil || !p.canSee(b.w.devs[c.Dev]) {
		return notFound("command " + truncate(r.PathValue("id"), 40))
	}
	return writeJSON(w, http.StatusOK, c.C)
}

// ---- firmware ----

func (b *Backend) listReleases(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	var cons fleet.Console
	if s := q.Get("console"); s != "" {
		c, err := fleet.ParseConsole(s)
		if err != nil {
			return errf(http.StatusBadRequest, api.CodeBadRequest, "%v", err)
		}
		cons = c
	}
	out := api.ReleaseList{Releases: []rollout.Release{}}
	for _, rel := range b.w.releases { // immutable after start
		if cons == "" || rel.R.Console == cons {
			out.Releases = append(out.Releases, rel.R)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (b *Backend) releaseImage(w http.ResponseWriter, r *http.Request, p *principal) error {
	rel := b.w.relByID[r.PathValue("id")]
	if rel == nil {
		return notFound("release " + truncate(r.PathValue("id"), 60))
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(rel.image)))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.bin"`, rel.R.ID))
	w.Header().Set("ETag", `"`+rel.R.SHA256+`"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(rel.image)
	if err != nil {
		b.logf("sim: image download of %s cut short: %v", rel.R.ID, err)
	}
	return nil
}
