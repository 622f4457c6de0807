package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// Login signs in. It is never retried: a second sign-in after a lost answer would only mint a
// second session, and the user can simply try again.
func (c *Client) Login(ctx context.Context, email, password string) (TokenPair, error) {
	var tp TokenPair
	err := c.json(ctx, call{method: http.MethodPost, path: PathLogin, body: LoginRequest{Email: email, Password: password}}, &tp)
	return tp, err
}

// Refresh trades a refresh token for a new pair. Not retried: backends that rotate refresh tokens
// invalidate the old one on first use.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	var tp TokenPair
	err := c.json(ctx, call{method: http.MethodPost, path: PathRefresh, body: RefreshRequest{RefreshToken: refreshToken}}, &tp)
	return tp, err
}

// Logout ends the session on the backend (the refresh token stops working).
func (c *Client) Logout(ctx context.Context, refreshToken string) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: PathLogout, body: RefreshRequest{RefreshToken: refreshToken},
		auth: true, retry: true, expected: []int{http.StatusOK, http.StatusNoContent}})
	return err
}

// Me is the signed-in account.
func (c *Client) Me(ctx context.Context) (Me, error) {
	var me Me
	err := c.json(ctx, call{method: http.MethodGet, path: PathMe, auth: true, retry: true}, &me)
	return me, err
}

// Devices returns one page of devices changed after cursor since ("" for the first full sync).
func (c *Client) Devices(ctx context.Context, since string, limit int) (DevicePage, error) {
	var p DevicePage
	q := map[string]string{"since": since}
	if limit > 0 {
		q["limit"] = strconv.Itoa(limit)
	}
	err := c.json(ctx, call{method: http.MethodGet, path: PathDevices, query: q, auth: true, retry: true,
		header: func(h http.Header) { p.State = h.Get(HeaderBackendState) }}, &p)
	return p, err
}

// Device returns one device.
func (c *Client) Device(ctx context.Context, id string) (fleet.Device, error) {
	var d fleet.Device
	err := c.json(ctx, call{method: http.MethodGet, path: PathDevice, params: map[string]string{"id": id}, auth: true, retry: true}, &d)
	return d, err
}

// SendCommand posts an action to a unit. key identifies the user action (NewIdempotencyKey): it
// makes the POST safe to retry, because the backend runs one key at most once.
func (c *Client) SendCommand(ctx context.Context, deviceID string, req CommandRequest, key string) (fleet.Command, error) {
	var cmd fleet.Command
	cl := call{method: http.MethodPost, path: PathDeviceCommands, params: map[string]string{"id": deviceID}, body: req,
		auth: true, idemKey: key, retry: key != "", expected: []int{http.StatusOK, http.StatusCreated, http.StatusAccepted}}
	err := c.json(ctx, cl, &cmd)
	return cmd, err
}

// CommandHistory is a unit's commands, newest first.
func (c *Client) CommandHistory(ctx context.Context, deviceID string) ([]fleet.Command, error) {
	var l CommandList
	err := c.json(ctx, call{method: http.MethodGet, path: PathDeviceCommands, params: map[string]string{"id": deviceID}, auth: true, retry: true}, &l)
	return l.Commands, err
}

// Command returns one command's state.
func (c *Client) Command(ctx context.Context, id string) (fleet.Command, error) {
	var cmd fleet.Command
	err := c.json(ctx, call{method: http.MethodGet, path: PathCommand, params: map[string]string{"id": id}, auth: true, retry: true}, &cmd)
	return cmd, err
}

// Releases lists the releases of a console ("" for all).
func (c *Client) Releases(ctx context.Context, console fleet.Console) ([]rollout.Release, error) {
	var l ReleaseList
	err := c.json(ctx, call{method: http.MethodGet, path: PathReleases, query: map[string]string{"console": string(console)}, auth: true, retry: true}, &l)
	return l.Releases, err
}

// ReleaseImage downloads a firmware image (capped at Options.MaxImage).
func (c *Client) ReleaseImage(ctx context.Context, id string) ([]byte, error) {
	return c.do(ctx, call{method: http.MethodGet, path: PathReleaseImage, params: map[string]string{"id": id}, auth: true, retry: true,
		maxBody: c.opts.MaxImage, timeout: c.opts.ImageTimeout})
}

// Rollouts lists the caller's rollouts, newest first.
func (c *Client) Rollouts(ctx context.Context) ([]rollout.Rollout, error) {
	var l RolloutList
	err := c.json(ctx, call{method: http.MethodGet, path: PathRollouts, auth: true, retry: true}, &l)
	return l.Rollouts, err
}

// CreateRollout starts a rollout. Not retried: a lost answer must not start a second rollout.
func (c *Client) CreateRollout(ctx context.Context, req rollout.CreateRequest) (rollout.Rollout, error) {
	var r rollout.Rollout
	err := c.json(ctx, call{method: http.MethodPost, path: PathRollouts, body: req, auth: true,
		expected: []int{http.StatusOK, http.StatusCreated}}, &r)
	return r, err
}

// Rollout returns one rollout with its per-unit progress.
func (c *Client) Rollout(ctx context.Context, id string) (rollout.Rollout, error) {
	var r rollout.Rollout
	err := c.json(ctx, call{method: http.MethodGet, path: PathRollout, params: map[string]string{"id": id}, auth: true, retry: true}, &r)
	return r, err
}

func (c *Client) rolloutAction(ctx context.Context, path, id string) (rollout.Rollout, error) {
	var r rollout.Rollout
	// Pausing a paused rollout changes nothing, so these transitions are safe to repeat.
	err := c.json(ctx, call{method: http.MethodPost, path: path, params: map[string]string{"id": id}, auth: true, retry: true}, &r)
	return r, err
}

// PauseRollout pauses a running rollout.
func (c *Client) PauseRollout(ctx context.Context, id string) (rollout.Rollout, error) {
	return c.rolloutAction(ctx, PathRolloutPause, id)
}

// ResumeRollout resumes a paused rollout.
func (c *Client) ResumeRollout(ctx context.Context, id string) (rollout.Rollout, error) {
	return c.rolloutAction(ctx, PathRolloutResume, id)
}

// CancelRollout stops a rollout for good (the guide's emergency stop).
func (c *Client) CancelRollout(ctx context.Context, id string) (rollout.Rollout, error) {
	return c.rolloutAction(ctx, PathRolloutCancel, id)
}

// Users lists the customer accounts in the caller's scope.
func (c *Client) Users(ctx context.Context) ([]token.User, error) {
	var l UserList
	err := c.json(ctx, call{method: http.MethodGet, path: PathUsers, auth: true, retry: true}, &l)
	return l.Users, err
}

// Tokens lists the tokens the caller issued (metadata only).
func (c *Client) Tokens(ctx context.Context) ([]token.Info, error) {
	var l TokenList
	err := c.json(ctx, call{method: http.MethodGet, path: PathTokens, auth: true, retry: true}, &l)
	return l.Tokens, err
}

// CreateToken issues a token; the answer carries the secret this once. Not retried.
func (c *Client) CreateToken(ctx context.Context, req token.CreateRequest) (token.Created, error) {
	var t token.Created
	err := c.json(ctx, call{method: http.MethodPost, path: PathTokens, body: req, auth: true,
		expected: []int{http.StatusOK, http.StatusCreated}}, &t)
	return t, err
}

// RevokeToken revokes a token; revoking twice is harmless, so it is retried.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: PathToken, params: map[string]string{"id": id}, auth: true, retry: true,
		expected: []int{http.StatusOK, http.StatusNoContent}})
	return err
}

// UploadServiceLog sends on-site recovery records. Entries carry client-made IDs, so a resend is
// not recorded twice (the answer counts it as a duplicate) and the call is retried.
func (c *Client) UploadServiceLog(ctx context.Context, entries []ServiceLogEntry) (ServiceLogResult, error) {
	var res ServiceLogResult
	body, err := c.do(ctx, call{method: http.MethodPost, path: PathServiceLog, body: ServiceLogRequest{Entries: entries}, auth: true, retry: true,
		expected: []int{http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent}})
	if err != nil || len(body) == 0 {
		return res, err
	}
	if err := Decode(body, &res); err != nil {
		return res, &Error{Endpoint: "POST " + PathServiceLog, Kind: KindBadResponse, Status: http.StatusOK, Message: err.Error(), Err: err}
	}
	return res, nil
}
