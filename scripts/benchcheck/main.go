// Command benchcheck is the one source of FleetDesk's benchmark figures and targets (the list is
// benchmarks.go). It has three uses:
//
//	benchcheck -plan
//	    prints the runs `make bench` makes, one line each: package, -bench pattern, -benchtime.
//	benchcheck [-readme README.md] [-load L] bench.txt
//	    reads the output of those runs (go test -bench, -count N), takes each figure's median,
//	    prints a markdown table (rewriting README.md's "Measured figures" block with -readme) and
//	    exits 1 when a target is missed, a listed figure did not run, or a benchmark ran that is
//	    not listed.
//	benchcheck -smoke bench.txt
//	    for CI's run of every benchmark once (-benchtime 1x): exits 1 when a listed figure did not
//	    run or a benchmark is not listed. One iteration proves nothing about speed, so targets are
//	    not checked; it keeps every benchmark from rotting between `make bench` runs.
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

// bench is one benchmark: where it lives, the -benchtime of one run, and its figures.
type bench struct {
	pkg, name string
	runs      string
	figures   []figure
}

// figure is one metric of a benchmark, how to show it, and its limit if it has one.
type figure struct {
	metric   string  // ns/op, or a unit the benchmark reports with b.ReportMetric
	unit     string  // s, ms, us (ns/op converted), or any other label shown as is
	max, min float64 // 0: no limit on that side
	what     string
}

func (b bench) key() string { return b.pkg + "/" + b.name }

var (
	pkgLine    = regexp.MustCompile(`^pkg: github.com/fleetdesk/fleetdesk/(\S+)`)
	benchLine  = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)
	commitLine = regexp.MustCompile(`^commit: (\S+)`)
)

// results is what a bench.txt holds: values[pkg/name][metric] over every run, and the commit
// bench.sh recorded.
type results struct {
	values map[string]map[string][]float64
	commit string
}

func parse(r io.Reader) (results, error) {
	res := results{values: map[string]map[string][]float64{}}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := commitLine.FindStringSubmatch(line); m != nil && res.commit == "" {
			res.commit = m[1]
			continue
		}
		if m := pkgLine.FindStringSubmatch(line); m != nil {
			pkg = m[1]
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := pkg + "/" + m[1]
		if res.values[key] == nil {
			res.values[key] = map[string][]float64{}
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			res.values[key][f[i+1]] = append(res.values[key][f[i+1]], v)
		}
	}
	return res, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// scale converts a metric's value into the figure's unit.
func scale(f figure, v float64) float64 {
	if f.metric != "ns/op" {
		return v
	}
	switch f.unit {
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

// plan groups the benchmarks into go test runs: one per package and -benchtime.
func plan(list []bench) []string {
	type run struct{ pkg, runs string }
	var order []run
	names := map[run][]string{}
	for _, b := range list {
		r := run{b.pkg, b.runs}
		if names[r] == nil {
			order = append(order, r)
		}
		names[r] = append(names[r], b.name)
	}
	var out []string
	for _, r := range order {
		out = append(out, fmt.Sprintf("./%s ^Benchmark(%s)$ %s", r.pkg, strings.Join(names[r], "|"), r.runs))
	}
	return out
}

// report is the outcome of checking results against the list.
type report struct {
	table    string
	problems []string // one line each: a missed target, a figure that did not run, an unlisted benchmark
}

// check compares res with list. With targets false (the smoke run) only presence is checked.
func check(list []bench, res results, targets bool) report {
	var rep report
	var b strings.Builder
	b.WriteString("| package | benchmark | what | target | median | runs | |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	listed := map[string]bool{}
	for _, bn := range list {
		listed[bn.key()] = true
		for _, f := range bn.figures {
			v := res.values[bn.key()][f.metric]
			limit := ""
			switch {
			case f.max > 0:
				limit = "< " + show(f.max, f.unit)
			case f.min > 0:
				limit = "≥ " + show(f.min, f.unit)
			}
			metric := ""
			if f.metric != "ns/op" {
				metric = " (" + f.metric + ")"
			}
			if len(v) == 0 {
				rep.problems = append(rep.problems, fmt.Sprintf("%s %s: did not run", bn.key(), f.metric))
				fmt.Fprintf(&b, "| `%s` | %s%s | %s | %s | - | 0 | **did not run** |\n", bn.pkg, bn.name, metric, f.what, limit)
				continue
			}
			m := scale(f, median(v))
			lo, hi := scale(f, slices.Min(v)), scale(f, slices.Max(v))
			status := ""
			switch {
			case !targets:
			case f.max > 0 && m >= f.max || f.min > 0 && m < f.min:
				status = "**MISSED**"
				rep.problems = append(rep.problems, fmt.Sprintf("%s %s: median %s, target %s", bn.key(), f.metric, show(m, f.unit), limit))
			case limit != "":
				status = "ok"
			}
			fmt.Fprintf(&b, "| `%s` | %s%s | %s | %s | %s | %d (%s–%s) | %s |\n", bn.pkg, bn.name, metric, f.what, limit,
				show(m, f.unit), len(v), show(lo, "x"), show(hi, f.unit), status)
		}
	}
	var unlisted []string
	for key := range res.values {
		if !listed[key] {
			unlisted = append(unlisted, key)
		}
	}
	slices.Sort(unlisted)
	for _, key := range unlisted {
		rep.problems = append(rep.problems, key+": ran, but is not listed in scripts/benchcheck/benchmarks.go")
	}
	rep.table = b.String()
	return rep
}

func main() {
	readme := flag.String("readme", "", "rewrite the block between <!-- bench:start --> and <!-- bench:end --> in this file")
	load := flag.String("load", "", "the machine's load average during the run, for the table's caption")
	printPlan := flag.Bool("plan", false, "print the runs make bench makes: package, -bench pattern, -benchtime")
	smoke := flag.Bool("smoke", false, "check only that every listed benchmark ran (CI's -benchtime 1x run)")
	flag.Parse()
	if *printPlan {
		for _, l := range plan(benchmarks) {
			fmt.Println(l)
		}
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: benchcheck -plan | benchcheck [-smoke] [-readme README.md] [-load L] bench.txt")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	res, err := parse(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
	rep := check(benchmarks, res, !*smoke)
	if *smoke {
		ran := 0
		for _, b := range benchmarks {
			if len(res.values[b.key()]) > 0 {
				ran++
			}
		}
		fmt.Printf("benchcheck: %d of %d listed benchmarks ran once\n", ran, len(benchmarks))
	} else {
		caption := fmt.Sprintf("Generated by `make bench` from commit %s on %s (%d CPUs, %s, load average %s): every figure is the\n"+
			"median of the runs in `bench.txt` (`-count` %s). `make bench` fails when a target is missed.\n\n",
			orDash(res.commit), time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), orDash(*load), runsOf(res))
		fmt.Print(caption + rep.table)
		if *readme != "" {
			if err := rewrite(*readme, caption+rep.table); err != nil {
				fmt.Fprintln(os.Stderr, "benchcheck:", err)
				os.Exit(2)
			}
		}
	}
	if len(rep.problems) > 0 {
		for _, p := range rep.problems {
			fmt.Fprintln(os.Stderr, "benchcheck:", p)
		}
		fmt.Fprintf(os.Stderr, "benchcheck: %d problem(s)\n", len(rep.problems))
		os.Exit(1)
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "not recorded"
	}
	return s
}

func runsOf(res results) string {
	n := 0
	for _, m := range res.values {
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
