package sim

import (
	"net/http"
	"time"

	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// PathSimAdvance is the test hook of a ManualClock backend running as its own process
// (`fleetsim serve --manual-clock`): POST {"by":"90s"} as the admin account moves simulated time
// like Server.Advance and answers, once everything due has been carried out, with the new time.
// It is not part of the contract and exists only on a ManualClock backend.
const PathSimAdvance = "/sim/advance"

// AdvanceRequest is the body of POST /sim/advance: a Go duration ("90s", "2h").
type AdvanceRequest struct {
	By string `json:"by"`
}

// AdvanceResult is the answer of POST /sim/advance.
type AdvanceResult struct {
	Now time.Time `json:"now"`
}

func (b *Backend) advanceHTTP(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.actor.Role != scope.RoleAdmin {
		return errf(http.StatusForbidden, api.CodeForbidden, "only the administrator moves the simulated clock")
	}
	var req AdvanceRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := time.ParseDuration(req.By)
	if err != nil || d < 0 || d > 400*24*time.Hour {
		return errf(http.StatusBadRequest, api.CodeBadRequest, "by must be a duration from 0 to 400 days, such as \"90s\" or \"2h\"")
	}
	b.Advance(d)
	return writeJSON(w, http.StatusOK, AdvanceResult{Now: b.Now()})
}
