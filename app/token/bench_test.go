package token

import (
	"fmt"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

// BenchmarkValidate is one keystroke in the wizard's last step: a request restricted to 1,000
// devices judged against a 100,000-unit fleet and 100 accounts of 1,000 units each.
func BenchmarkValidate(b *testing.B) {
	devs := make([]fleet.Device, 100_000)
	users := make([]User, 100)
	for i := range users {
		users[i] = User{ID: fmt.Sprintf("u-%05d", i), Email: fmt.Sprintf("c%05d@x.example", i), Dealer: "d1"}
	}
	for i := range devs {
		devs[i] = fleet.Device{ID: fmt.Sprintf("XP-%06d", i), Model: fleet.ModelXPro, Dealer: "d1", CustomerEmail: users[i%len(users)].Email}
	}
	c := Check{Actor: scope.Actor{Role: scope.RoleDealer, Dealer: "d1"}, Users: users, Fleet: fleet.NewIndex(devs), Now: now}
	req := CreateRequest{UserID: users[7].ID, Name: "bench", Access: AccessReadOnly, ExpiresAt: DefaultPolicy.DefaultExpiry(now)}
	for i := 0; i < 1000; i++ {
		req.Devices = append(req.Devices, fmt.Sprintf("XP-%06d", 7+i*len(users)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if ps := c.Validate(req); len(ps) != 0 {
			b.Fatal(ps.Err())
		}
	}
}
