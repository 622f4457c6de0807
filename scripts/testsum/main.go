// Command testsum reads `go test -json` on stdin and prints what a plain `go test` would (package
// results, the output of failed tests, build errors, panics), then the skipped and failed tests by
// name and a last line "N passed, N failed, N skipped" counting every test and subtest. It exits 1
// when a test or a package failed, when the input ended without any result, or, with -max-skipped
// (CI passes 0), when more tests skipped than allowed: in CI a skip means a part of the suite did
// not run, and that must not look like a pass.
//
//	go test -json ./... | go run ./scripts/testsum -max-skipped 0
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output events
	// FailedBuild is set on a package's fail event when it did not build.
	FailedBuild string
}

// summary accumulates the run.
type summary struct {
	out                     io.Writer
	passed, failed, skipped []string
	pkgFailed               []string
	buf                     map[string][]string // a running test's output, shown if it fails
	testFailedIn            map[string]bool     // packages in which some test failed
	results                 int
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, buf: map[string][]string{}, testFailedIn: map[string]bool{}}
}

func (s *summary) add(e event) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
	case "output":
		if e.Test == "" {
			// Package-level lines: "ok", "FAIL", panics, coverage. The bare PASS is noise.
			if t := strings.TrimSpace(e.Output); t != "PASS" && !strings.HasPrefix(t, "=== ") {
				fmt.Fprint(s.out, e.Output)
			}
			return
		}
		s.buf[key] = append(s.buf[key], e.Output)
	case "pass", "fail", "skip":
		s.results++
		if e.Test == "" {
			if e.Action == "fail" {
				s.unfinished(e.Package)
				switch {
				case e.FailedBuild != "":
					s.pkgFailed = append(s.pkgFailed, e.Package+" (build failed)")
				case !s.testFailedIn[e.Package]:
					// No test failed yet the package did: a panic outside a test, TestMain.
					s.pkgFailed = append(s.pkgFailed, e.Package)
				}
			}
			return
		}
		name := e.Package + "." + e.Test
		switch e.Action {
		case "pass":
			s.passed = append(s.passed, name)
		case "fail":
			s.failed = append(s.failed, name)
			s.testFailedIn[e.Package] = true
			fmt.Fprint(s.out, strings.Join(s.buf[key], ""))
		case "skip":
			s.skipped = append(s.skipped, name+skipReason(s.buf[key]))
		}
		delete(s.buf, key)
	}
}

// unfinished fails the tests of a failed package that never ended (a timeout, a crash), with
// their output so far.
func (s *summary) unfinished(pkg string) {
	var keys []string
	for k := range s.buf {
		if strings.HasPrefix(k, pkg+" ") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprint(s.out, strings.Join(s.buf[k], ""))
		s.failed = append(s.failed, pkg+"."+strings.TrimPrefix(k, pkg+" ")+" (did not finish)")
		s.testFailedIn[pkg] = true
		delete(s.buf, k)
	}
}

// skipReason is the message a test gave t.Skip, from its output ("    x_test.go:12: why").
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "===") {
			continue
		}
		return ": " + l
	}
	return ""
}

// report prints the lists and the final line, and says whether the run passes.
func (s *summary) report(maxSkipped int, elapsed time.Duration) bool {
	w := s.out
	ok := len(s.failed) == 0 && len(s.pkgFailed) == 0 && s.results > 0
	if len(s.skipped) > 0 {
		sort.Strings(s.skipped)
		fmt.Fprintf(w, "\nSkipped (%d):\n", len(s.skipped))
		for _, n := range s.skipped {
			fmt.Fprintln(w, "  "+n)
		}
		if maxSkipped >= 0 && len(s.skipped) > maxSkipped {
			fmt.Fprintf(w, "%d tests skipped, at most %d allowed here: a skipped test is a part of the suite that did not run\n", len(s.skipped), maxSkipped)
			ok = false
		}
	}
	if len(s.failed)+len(s.pkgFailed) > 0 {
		fmt.Fprintf(w, "\nFailed (%d):\n", len(s.failed)+len(s.pkgFailed))
		for _, n := range s.failed {
			fmt.Fprintln(w, "  "+n)
		}
		for _, p := range s.pkgFailed {
			fmt.Fprintln(w, "  package "+p)
		}
	}
	if s.results == 0 {
		fmt.Fprintln(w, "\nno test results in the input")
	}
	fmt.Fprintf(w, "\n%d tests run in %s\n", len(s.passed)+len(s.failed)+len(s.skipped), elapsed.Round(time.Second))
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", len(s.passed), len(s.failed)+len(s.pkgFailed), len(s.skipped))
	return ok
}

func main() {
	maxSkipped := flag.Int("max-skipped", -1, "fail when more tests than this skipped (-1: no limit)")
	flag.Parse()
	start := time.Now()
	s := newSummary(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(os.Stdout, string(line)) // not an event (an error from go itself): show it
			continue
		}
		s.add(e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "testsum: reading go test -json:", err)
		os.Exit(2)
	}
	if !s.report(*maxSkipped, time.Since(start)) {
		os.Exit(1)
	}
}
