# FleetDesk — the two commands that matter on a fresh machine are `make run` and `make test`.
# Both install what they need first (`make deps`).

SHELL       := /bin/bash
# A failing benchmark must fail `make bench` even though its output goes through tee.
.SHELLFLAGS := -o pipefail -c
GO          ?= go
BIN         ?= bin
# Debian/Ubuntu packages: the cgo Fyne build (GL, X11), the keyring the tests use (gnome-keyring
# under dbus-run-session), the Windows cross-compiler, and Xvfb + ImageMagick for screenshots.
DEB_PKGS    := gcc pkg-config libgl1-mesa-dev xorg-dev dbus dbus-x11 gnome-keyring
DEB_WINDOWS := gcc-mingw-w64-x86-64
DEB_SHOTS   := xvfb imagemagick xdotool
# Running the Windows build under Wine (make check-windows-run): 64-bit wine and what drives it.
DEB_WINE    := wine wine64 xvfb xdotool imagemagick jq
TEST_TIMEOUT ?= 30m
TEST_FLAGS  ?=
# Nested modules (each its own go.mod, brought in by a replace) lie outside ./...: named here, they
# are vetted and tested with the same tags and flags as the rest.
NESTED_PKGS := fleetdesk.invalid/localeenv/...
TEST_PKGS   ?= ./... $(NESTED_PKGS)
# Skipped tests allowed before `make test` fails: none in CI, any number elsewhere (-1).
MAX_SKIPPED ?= $(if $(filter-out false 0,$(CI)),0,-1)
FUZZTIME    ?= 30s
# Benchmarks: each COUNT times (median), one package at a time; see scripts/bench.sh.
COUNT       ?= 5
# The build's identity, linked into internal/version: `fleetdesk --version` and the About dialog.
VERSION     ?= $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' cmd/fleetdesk/FyneApp.toml)
COMMIT      ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DATE        ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION_PKG := github.com/fleetdesk/fleetdesk/internal/version
LDFLAGS     := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).commit=$(COMMIT) -X $(VERSION_PKG).date=$(DATE)
PREFIX      ?= /usr/local
# Build tags of the app. no_emoji leaves out Fyne's colour emoji font (4 MB, parsed once per text
# style, about 25 MB of RSS): nothing FleetDesk shows needs it, Inter covers every symbol it uses.
TAGS        ?= no_emoji
DEB_PACKAGE := nsis icoutils imagemagick xz-utils file

.PHONY: deps deps-windows deps-shots deps-package deps-wine run test bench bench-smoke fuzz build build-windows lint fmt \
	screenshots clean package-windows package-linux package-darwin check-windows check-windows-run check-darwin \
	check-version install test-package-linux

deps:
	@scripts/deps.sh $(DEB_PKGS)

deps-windows:
	@scripts/deps.sh $(DEB_WINDOWS)

deps-shots:
	@scripts/deps.sh $(DEB_SHOTS)

deps-package:
	@scripts/deps.sh $(DEB_PACKAGE)

deps-wine:
	@scripts/deps.sh $(DEB_WINE)

# Starts the app; with no backend configured it runs the embedded demo backend (DEMO badge) at once,
# where an installed FleetDesk's first run asks (sign in, or explore the demo).
run: deps
	$(GO) run -tags '$(TAGS)' ./cmd/fleetdesk --first-run demo

# The full suite, never from the test cache (-count=1), built with the app's TAGS (tests build what ships): vet, then every test with the real OS keyring (gnome-keyring on a private
# D-Bus session), real SQLite files, real ptys and the simulated backend on 127.0.0.1. scripts/testsum shows what plain
# `go test` would and ends with the skipped and failed tests and the line "N passed, N failed, N skipped". In CI (CI set)
# a skipped test fails the run: skips are for -short only. TEST_FLAGS adds go test flags (CI: -race), TEST_PKGS narrows it.
test: deps
	$(GO) vet -tags '$(TAGS)' ./... $(NESTED_PKGS)
	@mkdir -p $(BIN) && $(GO) build -o $(BIN)/testsum ./scripts/testsum
	scripts/with-keyring.sh $(GO) test -tags '$(TAGS)' -json -count=1 -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) $(TEST_PKGS) | $(BIN)/testsum -max-skipped $(MAX_SKIPPED)

# Every benchmark COUNT times into bench.txt; the medians go into README.md's "Measured figures",
# and a missed target fails the target (scripts/benchcheck knows the targets).
bench: deps
	COUNT=$(COUNT) GO=$(GO) TAGS='$(TAGS)' scripts/bench.sh

# Every benchmark once (-benchtime 1x), as CI runs it: each still runs and is listed in
# scripts/benchcheck; one iteration says nothing about speed, so no target is checked.
bench-smoke: deps
	SMOKE=1 GO=$(GO) TAGS='$(TAGS)' scripts/bench.sh

# Open-ended fuzzing of every Fuzz target for FUZZTIME each (plain `go test` replays the corpora).
fuzz:
	TAGS='$(TAGS)' scripts/fuzz.sh $(FUZZTIME)

build: deps
	@mkdir -p $(BIN)
	$(GO) build -tags '$(TAGS)' -ldflags "$(LDFLAGS)" -o $(BIN)/fleetdesk ./cmd/fleetdesk
	$(GO) build -o $(BIN)/fleetsim ./cmd/fleetsim

build-windows: deps-windows
	@mkdir -p $(BIN)
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		$(GO) build -tags '$(TAGS)' -ldflags "-H=windowsgui $(LDFLAGS)" -o $(BIN)/fleetdesk.exe ./cmd/fleetdesk

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' ./... $(NESTED_PKGS)
	@! grep -rlE '"fyne.io/fyne|"database/sql"|"net/http"|go-resty' --include=*.go app/ | grep -v _test.go \
		|| (echo "app/ must import no Fyne, SQL or HTTP (see docs/DESIGN)"; exit 1)

fmt:
	gofmt -w $$(git ls-files '*.go')

# Screenshots for the README, taken from the real app under Xvfb.
screenshots: deps deps-shots
	scripts/screenshots.sh

# Packages (dist/), built with the pinned fyne tool (tools/fyne.mod); see docs/packaging.md.
# Windows, from Linux: FleetDesk.exe with icon and version resource, and a per-user NSIS installer.
package-windows: deps deps-windows deps-package
	TAGS=$(TAGS) VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) scripts/package.sh windows

# Static checks of the Windows build (PE32+ GUI exe and console .com, the version linked in, icon,
# version resources, DLL allow-list, the installer script, GOOS=windows vet).
check-windows: deps-package
	VERSION=$(VERSION) COMMIT=$(COMMIT) scripts/check-windows.sh

# The shipped Windows build run under Wine on Xvfb: the window, the command line from cmd.exe, a
# sign-in to a fleetsim, the installer and uninstaller (scripts/check-windows-run.sh).
check-windows-run: deps deps-windows deps-package deps-wine
	VERSION=$(VERSION) COMMIT=$(COMMIT) scripts/check-windows-run.sh

# A plain `go build ./cmd/fleetdesk` (no -ldflags) names its commit from Go's build info.
check-version: deps
	TAGS=$(TAGS) scripts/check-version.sh

# Linux: dist/FleetDesk-VERSION-linux-ARCH.tar.xz (binary, .desktop file, icon, its own Makefile).
package-linux: deps deps-package
	TAGS=$(TAGS) VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) scripts/package.sh linux

# Installs the Linux package into PREFIX (default /usr/local; PREFIX=$$HOME/.local for one user).
install:
	scripts/install-linux.sh "$(PREFIX)"

# Unpacks the Linux package into a temporary prefix and starts the installed app under Xvfb.
test-package-linux: package-linux deps-shots
	scripts/test-package-linux.sh

# macOS: needs a Mac (see docs/packaging.md); on Linux it says so and fails.
package-darwin: deps
	TAGS=$(TAGS) VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) scripts/package.sh darwin

# What Linux can prove about the macOS build: the non-GUI packages and every darwin-only file type-check.
check-darwin:
	scripts/check-darwin.sh

clean:
	rm -rf $(BIN) bench.txt bench-smoke.txt dist
