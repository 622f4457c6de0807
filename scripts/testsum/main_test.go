package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func feed(t *testing.T, evs ...event) (*summary, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	s := newSummary(&out)
	for _, e := range evs {
		// Through JSON, as go test writes them.
		b, _ := json.Marshal(e)
		var back event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		s.add(back)
	}
	return s, &out
}

func TestCountsAndLastLine(t *testing.T) {
	s, out := feed(t,
		event{Action: "run", Package: "p", Test: "TestA"},
		event{Action: "output", Package: "p", Test: "TestA", Output: "=== RUN   TestA\n"},
		event{Action: "pass", Package: "p", Test: "TestA"},
		event{Action: "output", Package: "p", Test: "TestB", Output: "    b_test.go:9: no keyring here\n"},
		event{Action: "output", Package: "p", Test: "TestB", Output: "--- SKIP: TestB (0.00s)\n"},
		event{Action: "skip", Package: "p", Test: "TestB"},
		event{Action: "output", Package: "p", Test: "TestC", Output: "    c_test.go:3: wrong answer\n"},
		event{Action: "fail", Package: "p", Test: "TestC"},
		event{Action: "output", Package: "p", Output: "FAIL\tp\t0.1s\n"},
		event{Action: "fail", Package: "p"},
		event{Action: "output", Package: "q", Output: "PASS\n"},
		event{Action: "output", Package: "q", Output: "ok  \tq\t0.1s\n"},
		event{Action: "pass", Package: "q"},
	)
	if ok := s.report(-1, 0); ok {
		t.Error("a run with a failed test passed")
	}
	text := out.String()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if last := lines[len(lines)-1]; last != "1 passed, 1 failed, 1 skipped" {
		t.Errorf("last line %q", last)
	}
	for _, want := range []string{"wrong answer", "ok  \tq", "p.TestB: b_test.go:9: no keyring here", "  p.TestC"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "=== RUN") || strings.Contains(text, "\nPASS\n") {
		t.Errorf("passing tests' chatter shown:\n%s", text)
	}
}

func TestSkipLimitAndUnfinished(t *testing.T) {
	s, _ := feed(t, event{Action: "pass", Package: "p", Test: "TestA"}, event{Action: "skip", Package: "p", Test: "TestB"})
	if !s.report(-1, 0) {
		t.Error("a skip failed the run without a limit")
	}
	s, _ = feed(t, event{Action: "pass", Package: "p", Test: "TestA"}, event{Action: "skip", Package: "p", Test: "TestB"})
	if s.report(0, 0) {
		t.Error("a skip passed with -max-skipped 0")
	}
	// A timeout: the running test never ends, the package fails.
	s, out := feed(t,
		event{Action: "output", Package: "p", Test: "TestSlow", Output: "=== RUN   TestSlow\n"},
		event{Action: "output", Package: "p", Output: "panic: test timed out after 1s\n"},
		event{Action: "fail", Package: "p"},
	)
	if s.report(-1, 0) || !strings.Contains(out.String(), "p.TestSlow (did not finish)") || !strings.HasSuffix(out.String(), "0 passed, 1 failed, 0 skipped\n") {
		t.Errorf("timeout not reported as a failure:\n%s", out)
	}
	// Nothing at all (go test could not even start) is not a pass.
	s, _ = feed(t)
	if s.report(-1, 0) {
		t.Error("an empty run passed")
	}
	// A build failure.
	s, out = feed(t, event{Action: "build-output", ImportPath: "p [p.test]", Output: "x.go:1: syntax error\n"}, event{Action: "build-fail", ImportPath: "p [p.test]"},
		event{Action: "output", Package: "p", Output: "FAIL\tp [build failed]\n"}, event{Action: "fail", Package: "p", FailedBuild: "p [p.test]"})
	if s.report(-1, 0) || !strings.Contains(out.String(), "syntax error") || !strings.HasSuffix(out.String(), "0 passed, 1 failed, 0 skipped\n") {
		t.Errorf("build failure passed:\n%s", out)
	}
}
