package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryBenchmarkIsListed: every Benchmark function in the repository has an entry (so make
// bench runs it and CI's smoke run checks it), and every entry names a benchmark that exists.
func TestEveryBenchmarkIsListed(t *testing.T) {
	root := filepath.Join("..", "..")
	decl := regexp.MustCompile(`(?m)^func Benchmark(\w+)\(\w+ \*testing\.B\)`)
	inCode := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range decl.FindAllStringSubmatch(string(raw), -1) {
			inCode[filepath.ToSlash(rel)+"/"+m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inCode) == 0 {
		t.Fatal("found no benchmark in the repository: the walk is looking in the wrong place")
	}
	listed := map[string]bool{}
	for _, b := range benchmarks {
		if listed[b.key()] {
			t.Errorf("%s is listed twice", b.key())
		}
		listed[b.key()] = true
		if !inCode[b.key()] {
			t.Errorf("%s is listed in benchmarks.go but no such benchmark exists", b.key())
		}
	}
	for key := range inCode {
		if !listed[key] {
			t.Errorf("Benchmark%s (%s) is not listed in benchmarks.go: make bench would not run it", filepath.Base(key), filepath.Dir(key))
		}
	}
}

// TestEveryBenchmarkHasATarget: a benchmark without a limit could get slower for ever unnoticed.
func TestEveryBenchmarkHasATarget(t *testing.T) {
	for _, b := range benchmarks {
		if b.runs == "" || !strings.HasSuffix(b.runs, "x") {
			t.Errorf("%s: runs %q, want an iteration count such as 20x", b.key(), b.runs)
		}
		if !slices.ContainsFunc(b.figures, func(f figure) bool { return f.max > 0 || f.min > 0 }) {
			t.Errorf("%s has no figure with a target", b.key())
		}
		for _, f := range b.figures {
			if f.what == "" || f.unit == "" || f.metric == "" {
				t.Errorf("%s %s: metric, unit and what are all needed: %+v", b.key(), f.metric, f)
			}
		}
	}
}

const sample = `commit: abc123
goos: linux
pkg: github.com/fleetdesk/fleetdesk/app/fleet
BenchmarkSearch100k-2   	     200	   1089192 ns/op	  869969 B/op	      10 allocs/op
BenchmarkSearch100k-2   	     200	   1172415 ns/op	  869969 B/op	      10 allocs/op
BenchmarkSearch100k-2   	     200	   1109850 ns/op	  869970 B/op	      10 allocs/op
pkg: github.com/fleetdesk/fleetdesk/app/recovery
BenchmarkFlash115200-2   	       1	7376437023 ns/op	         7.930 KB/s	         0.9952 limit-frac
BenchmarkStray-2   	       1	100 ns/op
`

func TestCheckFindsMissedMissingAndUnlisted(t *testing.T) {
	list := []bench{
		{pkg: "app/fleet", name: "Search100k", runs: "200x", figures: []figure{{metric: "ns/op", unit: "ms", max: 1.1, what: "search"}}},
		{pkg: "app/recovery", name: "Flash115200", runs: "1x", figures: []figure{
			{metric: "limit-frac", unit: "x", min: 0.9, what: "flash"}, {metric: "KB/s", unit: "x", what: "throughput"}}},
		{pkg: "app/recovery", name: "Gone", runs: "1x", figures: []figure{{metric: "ns/op", unit: "s", max: 1, what: "gone"}}},
	}
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if res.commit != "abc123" {
		t.Errorf("commit %q", res.commit)
	}
	rep := check(list, res, true)
	want := []string{
		"app/fleet/Search100k ns/op: median 1.11 ms, target < 1.10 ms",
		"app/recovery/Gone ns/op: did not run",
		"app/recovery/Stray: ran, but is not listed in scripts/benchcheck/benchmarks.go",
	}
	if !slices.Equal(rep.problems, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(rep.problems, "\n"), strings.Join(want, "\n"))
	}
	for _, row := range []string{"| 1.11 ms | 3 (1.09–1.17 ms) | **MISSED** |", "| ≥ 0.900 | 0.995 | 1 (0.995–0.995) | ok |",
		"| throughput |  | 7.93 | 1 (7.93–7.93) |  |", "| - | 0 | **did not run** |"} {
		if !strings.Contains(rep.table, row) {
			t.Errorf("table lacks %q:\n%s", row, rep.table)
		}
	}
	// The smoke run checks presence only.
	smoke := check(list, res, false)
	if len(smoke.problems) != 2 || !strings.Contains(smoke.problems[0], "Gone") || !strings.Contains(smoke.problems[1], "Stray") {
		t.Fatalf("smoke problems %q", smoke.problems)
	}
}

func TestPlanRunsEachPackageAndIterationCountOnce(t *testing.T) {
	got := plan([]bench{
		{pkg: "mapview", name: "A", runs: "40x"}, {pkg: "mapview", name: "Mem", runs: "3x"},
		{pkg: "mapview", name: "B", runs: "40x"}, {pkg: "sim", name: "C", runs: "2x"},
	})
	want := []string{"./mapview ^Benchmark(A|B)$ 40x", "./mapview ^Benchmark(Mem)$ 3x", "./sim ^Benchmark(C)$ 2x"}
	if !slices.Equal(got, want) {
		t.Fatalf("plan %q, want %q", got, want)
	}
}
