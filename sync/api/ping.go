package api

import (
	"context"
	"net/http"
	"time"
)

// Ping checks that the backend answers at all: one attempt, no retries, no token. Any answer
// from the backend (even "sign in first") means it is reachable; no answer within timeout, a
// refused connection or a 5xx means it is not, and the error says why.
func (c *Client) Ping(ctx context.Context, timeout time.Duration) error {
	_, aerr := c.attempt(ctx, call{method: http.MethodGet, path: PathMe, timeout: timeout, maxBody: 64 << 10})
	if aerr == nil || (aerr.Kind != KindOffline && aerr.Kind != KindServer) {
		return nil
	}
	return aerr
}
