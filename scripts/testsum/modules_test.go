package main

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nestedModules is the module path of every go.mod in the repository below its root: their
// packages are outside `./...`, so `make test` must name them.
func nestedModules(t *testing.T, root string) []string {
	t.Helper()
	var mods []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "bin" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if d.Name() != "go.mod" || filepath.Dir(path) == root {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
				mods = append(mods, strings.Trim(strings.TrimSpace(m), `"`)+"/...")
				break
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

// `make test` (and so .ci/run) and `make lint` vet and test the packages of every nested module
// (internal/localeenv is one: fleetdesk.invalid/localeenv, brought in by a replace) with the
// same tags and flags as the rest: `go test ./...` does not reach them.
func TestMakeCoversNestedModules(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mods := nestedModules(t, root)
	if len(mods) == 0 {
		t.Fatal("no nested module found; internal/localeenv has one")
	}
	for _, target := range []string{"test", "lint"} {
		cmd := exec.Command("make", "-n", target, "TEST_FLAGS=-race")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		for _, verb := range map[string][]string{"test": {"go vet", "go test"}, "lint": {"go vet"}}[target] {
			var line string
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, verb+" ") && strings.Contains(l, "./...") {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("make -n %s runs no %s of ./...:\n%s", target, verb, out)
			}
			for _, m := range mods {
				if !strings.Contains(line, " "+m) {
					t.Errorf("make %s: %q leaves out the nested module %s", target, line, m)
				}
			}
			if verb == "go test" && (!strings.Contains(line, "-race") || !strings.Contains(line, "-tags 'no_emoji'")) {
				t.Errorf("make test: %q", line)
			}
		}
	}
}
