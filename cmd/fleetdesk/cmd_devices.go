package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

func init() {
	register("devices", "list cached devices, no network needed (--search, --health, --format table|json|csv)", runDevices)
}

// deviceRow is one device as the devices command prints it (JSON field names follow the contract).
type deviceRow struct {
	fleet.Device
	Health fleet.Health `json:"health"`
}

func runDevices(args []string) int {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	df := addDataFlags(fs)
	search := fs.String("search", "", "words that must all be found (case-insensitive, each in the device ID, customer e-mail or name)")
	health := fs.String("health", "", "only these health states, comma-separated: live, late, lost, attention")
	model := fs.String("model", "", "only these models, comma-separated (X Pro, D100, D180, V100, V5, AutoGen Ultra)")
	format := fs.String("format", "table", "output format: table, json or csv")
	limit := fs.Int("limit", 0, "print at most this many devices (0: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch *format {
	case "table", "json", "csv":
	default:
		fmt.Fprintf(os.Stderr, "fleetdesk devices: unknown format %q (table, json or csv)\n", *format)
		return 2
	}
	var f fleet.Filter
	f.Text = *search
	for _, h := range splitList(*health) {
		v, err := fleet.ParseHealth(strings.ToLower(h))
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk devices:", err)
			return 2
		}
		f.Health = append(f.Health, v)
	}
	for _, m := range splitList(*model) {
		v, err := fleet.ParseModel(m)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk devices:", err)
			return 2
		}
		f.Models = append(f.Models, v)
	}
	r, err := df.resolve(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk devices:", err)
		return 2
	}
	s, err := syncer.OpenCached(context.Background(), syncer.Options{Profile: r.profile, CacheDir: df.cacheDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk devices:", err)
		return 1
	}
	defer s.Close()
	st := s.Status()
	if st.Notice != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk devices:", st.Notice)
	}
	// Ages and health on the backend's clock as of the last sync, not this PC's.
	now := s.Now()
	if n := fleet.ClockNote(st.ClockOffset); n != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk devices:", n)
	}
	ix := s.Fleet()
	hits := ix.Search(f, now)
	total := len(hits)
	if *limit > 0 && len(hits) > *limit {
		hits = hits[:*limit]
	}
	// The age goes to stderr so stdout stays clean for scripts.
	fmt.Fprintf(os.Stderr, "profile %q: %d of %d cached units match; %s.\n", r.profile, total, ix.Len(), syncer.DataAge(now, st.LastSync))
	if st.LastSync.IsZero() && ix.Len() == 0 {
		fmt.Fprintln(os.Stderr, "fleetdesk devices: the cache is empty: run `fleetdesk sync` first.")
	}
	switch *format {
	case "json":
		rows := make([]deviceRow, 0, len(hits))
		for _, i := range hits {
			d := ix.At(i)
			rows = append(rows, deviceRow{Device: d, Health: d.HealthAt(now)})
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk devices:", err)
			return 1
		}
	case "csv":
		w := csv.NewWriter(os.Stdout)
		_ = w.Write([]string{"id", "name", "customer_email", "model", "console", "transport", "firmware_version", "health", "online", "last_seen", "lat", "lon"})
		for _, i := range hits {
			d := ix.At(i)
			lat, lon := "", ""
			if d.GPS != nil {
				lat, lon = strconv.FormatFloat(d.GPS.Lat, 'f', 6, 64), strconv.FormatFloat(d.GPS.Lon, 'f', 6, 64)
			}
			seen := ""
			if !d.LastSeen.IsZero() {
				seen = d.LastSeen.UTC().Format(time.RFC3339)
			}
			_ = w.Write([]string{d.ID, d.Name, d.CustomerEmail, string(d.Model), string(d.Console), string(d.Transport), d.Firmware,
				string(d.HealthAt(now)), strconv.FormatBool(d.Online), seen, lat, lon})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk devices:", err)
			return 1
		}
	default:
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCUSTOMER\tMODEL\tVARIANT\tFIRMWARE\tHEALTH\tLAST SEEN")
		for _, i := range hits {
			d := ix.At(i)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Name, d.CustomerEmail, d.Model.DisplayName(),
				d.Transport.DisplayName(), d.Firmware, d.HealthAt(now), fleet.Ago(now, d.LastSeen))
		}
		tw.Flush()
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
