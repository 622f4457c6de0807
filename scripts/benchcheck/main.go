// Command benchcheck reads the output of `make bench` (go test -bench, -count N), takes each
// metric's median over the runs, compares it with the project's targets, prints a markdown table,
// rewrites the "Measured figures" block of README.md, and exits non-zero when a target is missed
// or a benchmark with a target did not run. It is the one source of the figures the docs quote.
//
//	go run ./scripts/benchcheck [-readme README.md] [-load "1.2 0.9 0.8"] bench.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// target is one benchmark figure and, when it has one, its limit.
type target struct {
	pkg, bench, metric string
	what               string
	max, min           float64 // 0: no limit on that side
	unit               string  // how to show the value: ms, s, us, MB, B, x (plain)
}

// The targets. ns/op figures are converted to the unit shown.
var targets = []target{
	{pkg: "ui/console", bench: "Keystroke100k", metric: "median-ms", unit: "ms", max: 1, what: "keystroke in the Fleet Console at 100,000 units: match, health, sort, row model (median)"},
	{pkg: "ui/console", bench: "Keystroke100k", metric: "p95-ms", unit: "ms", max: 3, what: "the same, 95th percentile"},
	{pkg: "ui/console", bench: "Keystroke100k", metric: "snapshot-ms", unit: "ms", what: "one-off per new snapshot: text index, health instants, sort orders"},
	{pkg: "ui/console", bench: "KeystrokePaint100k", metric: "median-ms", unit: "ms", what: "keystroke with the table on screen (Fyne re-renders the visible cells), median"},
	{pkg: "ui/console", bench: "ConsoleColdStart100k", metric: "ns/op", unit: "s", max: 1, what: "cache of 100,000 → searchable console, first result shown (in process)"},
	{pkg: "ui/console", bench: "ConsoleMemory100k", metric: "heap-MB", unit: "MB", max: 250, what: "heap with 100,000 units loaded and the console rendered"},
	{pkg: "app/fleet", bench: "Search100k", metric: "ns/op", unit: "ms", max: 5, what: "Index.Search alone, cycling seven queries"},
	{pkg: "mapview", bench: "SetMarkers100k", metric: "ns/op", unit: "ms", max: 8, what: "map frame for a new snapshot of 100,000 markers (1% moved)"},
	{pkg: "mapview", bench: "SetMarkersAllMoved100k", metric: "ns/op", unit: "ms", max: 8, what: "map frame for a snapshot where all 100,000 moved (first load)"},
	{pkg: "mapview", bench: "ZoomFrame100k", metric: "ns/op", unit: "ms", max: 8, what: "map frame for a wheel notch to a kept zoom level"},
	{pkg: "mapview", bench: "ZoomFrameRecluster100k", metric: "ns/op", unit: "ms", max: 8, what: "map frame for a wheel notch that clusters again"},
	{pkg: "mapview", bench: "PanFrame100k", metric: "ns/op", unit: "ms", max: 8, what: "map frame for a drag step"},
	{pkg: "mapview", bench: "Cluster100k", metric: "ns/op", unit: "ms", max: 8, what: "clustering alone, 100,000 markers all in view"},
	{pkg: "mapview", bench: "MapMemory100k", metric: "bytes/marker", unit: "B", max: 200, what: "everything the map widget keeps alive, per marker (markers, IDs, projection, 3 kept clusterings; the tile cache, bounded by its budget, apart)"},
	{pkg: "ui/mappage", bench: "SetFleet100k", metric: "ns/op", unit: "ms", what: "Fleet Map page: one sync change on 100,000 units"},
	{pkg: "sync/syncer", bench: "FullSync100k", metric: "ns/op", unit: "s", max: 1.0, what: "first sync of 100,000 units from fleetsim into a new cache"},
	{pkg: "sync/syncer", bench: "DeltaSync1k", metric: "ns/op", unit: "ms", max: 30, what: "delta of 1,000 changes spread over a 100,000-unit cache and searched index (60 deltas a run: the index gives up the loaded array once)"},
	{pkg: "sync/cache", bench: "OpenCache100k", metric: "ns/op", unit: "ms", max: 500, what: "open a 100,000-unit cache and have it searchable"},
	{pkg: "sim", bench: "FullListing100k", metric: "ns/op", unit: "s", max: 2, what: "fleetsim: full paged listing of 100,000 units over loopback"},
	{pkg: "mapview/tiles", bench: "MemoryHit", metric: "ns/op", unit: "us", max: 1000, what: "a cached tile served from memory"},
	{pkg: "mapview/basemap", bench: "RenderTile", metric: "ns/op", unit: "ms", what: "one offline basemap tile"},
	{pkg: "app/recovery", bench: "Flash115200", metric: "limit-frac", unit: "x", min: 0.9, what: "flash over an emulated 115200-baud line: share of the line's SMP limit"},
	{pkg: "app/recovery", bench: "Flash921600Pipelined", metric: "KB/s", unit: "x", what: "flash at 921600 baud, 4 chunks in flight (KB/s)"},
	{pkg: "app/rollout", bench: "Eligible10k", metric: "ns/op", unit: "ms", what: "rollout eligibility over 10,000 units"},
	{pkg: "ui/tokens", bench: "PickerKeystroke", metric: "ns/op", unit: "ms", what: "API Tokens unit picker keystroke"},
}

var (
	pkgLine   = regexp.MustCompile(`^pkg: github.com/fleetdesk/fleetdesk/(\S+)`)
	benchLine = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)
)

// parse returns values[pkg/bench][metric] over every run.
func parse(r io.Reader) (map[string]map[string][]float64, error) {
	out := map[string]map[string][]float64{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := pkgLine.FindStringSubmatch(line); m != nil {
			pkg = m[1]
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := pkg + "/" + m[1]
		if out[key] == nil {
			out[key] = map[string][]float64{}
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			out[key][f[i+1]] = append(out[key][f[i+1]], v)
		}
	}
	return out, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// scale converts a metric's value into the target's unit.
func scale(t target, v float64) float64 {
	if t.metric != "ns/op" {
		return v
	}
	switch t.unit {
	case "s":
		return v / 1e9
	case "ms":
		return v / 1e6
	case "us":
		return v / 1e3
	}
	return v
}

func show(v float64, unit string) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	switch {
	case v >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	switch unit {
	case "x":
		return s
	case "us":
		return s + " µs"
	}
	return s + " " + unit
}

func main() {
	readme := flag.String("readme", "", "rewrite the block between <!-- bench:start --> and <!-- bench:end --> in this file")
	load := flag.String("load", "", "the machine's load average during the run, for the table's caption")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: benchcheck [-readme README.md] [-load L] bench.txt")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	vals, err := parse(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Generated by `make bench` on %s (%d CPUs, %s, load average %s): every figure is the\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), orDash(*load))
	fmt.Fprintf(&b, "median of the runs in `bench.txt` (`-count` %s). `make bench` fails when a target is missed.\n\n", runsOf(vals))
	b.WriteString("| package | benchmark | what | target | median | runs | |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	failed := 0
	for _, t := range targets {
		v := vals[t.pkg+"/"+t.bench][t.metric]
		limit := ""
		switch {
		case t.max > 0:
			limit = "< " + show(t.max, t.unit)
		case t.min > 0:
			limit = "≥ " + show(t.min, t.unit)
		}
		metric := ""
		if t.metric != "ns/op" {
			metric = " (" + t.metric + ")"
		}
		if len(v) == 0 {
			status := ""
			if limit != "" {
				status = "**did not run**"
				failed++
			}
			fmt.Fprintf(&b, "| `%s` | %s%s | %s | %s | - | 0 | %s |\n", t.pkg, t.bench, metric, t.what, limit, status)
			continue
		}
		m := scale(t, median(v))
		lo, hi := scale(t, slices.Min(v)), scale(t, slices.Max(v))
		status := ""
		if t.max > 0 && m >= t.max || t.min > 0 && m < t.min {
			status = "**MISSED**"
			failed++
		} else if limit != "" {
			status = "ok"
		}
		fmt.Fprintf(&b, "| `%s` | %s%s | %s | %s | %s | %d (%s–%s) | %s |\n", t.pkg, t.bench, metric, t.what, limit,
			show(m, t.unit), len(v), show(lo, "x"), show(hi, t.unit), status)
	}
	fmt.Print(b.String())
	if *readme != "" {
		if err := rewrite(*readme, b.String()); err != nil {
			fmt.Fprintln(os.Stderr, "benchcheck:", err)
			os.Exit(2)
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "benchcheck: %d target(s) missed or not run\n", failed)
		os.Exit(1)
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "not recorded"
	}
	return s
}

func runsOf(vals map[string]map[string][]float64) string {
	n := 0
	for _, m := range vals {
		for _, v := range m {
			n = max(n, len(v))
		}
	}
	return strconv.Itoa(n)
}

const startMark, endMark = "<!-- bench:start -->", "<!-- bench:end -->"

func rewrite(path, table string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(raw)
	i, j := strings.Index(s, startMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s block", path, startMark, endMark)
	}
	s = s[:i+len(startMark)] + "\n" + table + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
