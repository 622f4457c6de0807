#!/usr/bin/env bash
# `make test-package-linux`: installs the Linux package (dist/, from make package-linux) into a
# temporary prefix the way a user would (`make install PREFIX=...`), then proves the installed
# files work: the .desktop file points at the installed binary and icon, `fleetdesk --version`
# names this build, and the installed app starts under Xvfb, stays up and maps its window.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(sed -n 's/^Version *= *"\(.*\)"/\1/p' cmd/fleetdesk/FyneApp.toml)}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix="$tmp/prefix"
scripts/install-linux.sh "$prefix"
bin="$prefix/bin/fleetdesk"
[ -x "$bin" ] || fail "no executable at $bin"
desktop=$(ls "$prefix"/share/applications/*.desktop 2>/dev/null | head -1)
[ -n "$desktop" ] || fail "no .desktop file under $prefix/share/applications"
grep -q '^Name=FleetDesk$' "$desktop" || fail "$desktop does not name FleetDesk"
grep -q '^Exec=fleetdesk' "$desktop" || fail "$desktop does not start fleetdesk: $(grep ^Exec "$desktop")"
grep -q '^Categories=.*Utility' "$desktop" || fail "$desktop lacks the categories from FyneApp.toml"
icon=$(sed -n 's/^Icon=//p' "$desktop")
ls "$prefix"/share/pixmaps/"$icon"* >/dev/null 2>&1 || fail "icon $icon of $desktop is not installed"
echo "ok:   installed $bin, $(basename "$desktop"), icon $icon"

out=$("$bin" --version)
case "$out" in "FleetDesk $version (commit "*) echo "ok:   $out" ;; *) fail "--version printed: $out" ;; esac

display=:${TEST_DISPLAY:-93}
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do DISPLAY=$display xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.2; done
# A throwaway home: the demo backend, its cache and the preferences stay in $tmp.
DISPLAY=$display HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_CACHE_HOME="$tmp/home/.cache" \
	"$bin" --demo >"$tmp/app.log" 2>&1 &
app=$!
pids+=($app)
# --sync waits until a window with the title exists; the timeout only bounds a broken start.
if ! DISPLAY=$display timeout 120 xdotool search --sync --onlyvisible --name '^FleetDesk' >"$tmp/win" 2>/dev/null; then
	cat "$tmp/app.log" >&2
	kill -0 $app 2>/dev/null || fail "the installed app exited before it showed a window"
	fail "the installed app showed no window within 120 s"
fi
kill -0 $app 2>/dev/null || { cat "$tmp/app.log" >&2; fail "the installed app died after showing its window"; }
title=$(DISPLAY=$display xdotool getwindowname "$(head -1 "$tmp/win")")
echo "ok:   the installed app is running and shows its window \"$title\""
# Then the real start: the embedded demo backend is up, signed in, and the main window titled.
if ! DISPLAY=$display timeout 120 xdotool search --sync --name '\(DEMO\)' >/dev/null 2>&1; then
	cat "$tmp/app.log" >&2
	fail "the installed app did not open its demo session within 120 s"
fi
kill -0 $app 2>/dev/null || fail "the installed app died after opening its session"
echo "ok:   main window \"$(DISPLAY=$display xdotool getwindowname "$(head -1 "$tmp/win")")\""
kill $app
wait $app 2>/dev/null || true
echo "Linux package test passed."
