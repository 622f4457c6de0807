package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/fleetdesk/fleetdesk/sync/api"
)

// BenchmarkFullListing100k pages through a fleet of 100,000 devices (as the admin, whose scope is
// all of them) over loopback HTTP with a plain client that decodes every page: a first full sync.
// Target: under 2 s per op.
func BenchmarkFullListing100k(b *testing.B) {
	s, err := Start(context.Background(), Config{Devices: 100_000, Dealers: 5, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	var adm Account
	for _, a := range s.Accounts {
		if a.Role == "admin" {
			adm = a
		}
	}
	c := &client{t: b, base: s.URL, hc: hc}
	c.login(adm)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, cursor := 0, ""
		for {
			q := url.Values{"limit": {strconv.Itoa(5000)}}
			if cursor != "" {
				q.Set("since", cursor)
			}
			req, _ := http.NewRequest("GET", s.URL+api.PathDevices+"?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var page api.DevicePage
			err = json.NewDecoder(resp.Body).Decode(&page)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("page: %d %v", resp.StatusCode, err)
			}
			n += len(page.Devices)
			cursor = page.NextCursor
			if !page.HasMore {
				break
			}
		}
		if n < 100_000 {
			b.Fatalf("listed %d devices", n)
		}
		b.ReportMetric(float64(n), "devices/op")
	}
}
