#!/usr/bin/env bash
# Takes the README's screenshots (docs/shots/*.png) from the real app in demo mode under Xvfb,
# driving it with xdotool like a dealer would. The window is always 1360x860 at 0,0 of a
# 1360x860 screen, so the click positions below are fixed points of that layout; waits poll the
# screen (a region changing or filling in) instead of sleeping long. About 3-4 minutes.
#
# SHOT_DISPLAY picks the X display number (default: a free one); SHOT_ONLY="console map ..." takes only the
# named groups: console manage map rollouts tokens recovery settings offline.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null # with the version linked in, as the About shot shows it
out=docs/shots
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# A display of our own: Xvfb picks a free number and tells it (unless SHOT_DISPLAY names one).
if [ -n "${SHOT_DISPLAY:-}" ]; then
  Xvfb ":$SHOT_DISPLAY" -screen 0 1360x860x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  echo "$SHOT_DISPLAY" >"$tmp/display"
else
  Xvfb -displayfd 3 -screen 0 1360x860x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
  pids+=($!)
fi
for _ in $(seq 50); do [ -s "$tmp/display" ] && break; sleep 0.1; done
export DISPLAY=:$(head -n1 "$tmp/display") LANG=en_US.UTF-8
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

want() { [ -z "${SHOT_ONLY:-}" ] || [[ " $SHOT_ONLY " == *" $1 "* ]]; }

# Screen regions: "WxH+X+Y".
region_sum() { import -window root -crop "$1" rgb:- 2>/dev/null | md5sum | cut -c1-32; }
region_sd() { import -window root -crop "$1" +repage -colorspace gray -format '%[fx:standard_deviation*1000]' info: 2>/dev/null | cut -d. -f1; }
# wait_filled REGION [SECONDS]: until the region shows something other than a flat background.
wait_filled() {
  local end=$((SECONDS + ${2:-20}))
  while [ "$SECONDS" -lt "$end" ]; do
    [ "$(region_sd "$1")" -gt 5 ] && return 0
    sleep 0.3
  done
  echo "screenshots: timed out waiting for $1 to fill" >&2
}
# wait_change REGION BEFORE [SECONDS]: until the region differs from the checksum BEFORE.
wait_change() {
  local end=$((SECONDS + ${3:-20}))
  while [ "$SECONDS" -lt "$end" ]; do
    [ "$(region_sum "$1")" != "$2" ] && return 0
    sleep 0.3
  done
  echo "screenshots: timed out waiting for $1 to change" >&2
}
# wait_stable REGION: until two looks 0.4 s apart agree (the page finished drawing).
wait_stable() {
  local a b i
  a=$(region_sum "$1")
  for i in $(seq 25); do
    sleep 0.4
    b=$(region_sum "$1")
    [ "$a" = "$b" ] && return 0
    a=$b
  done
}
# pixel X Y: "blue" or "other", the colour at that point.
pixel() {
  import -window root -crop "1x1+$1+$2" -format '%[fx:(b>0.6 && r<0.25)?1:0]' info: 2>/dev/null |
    sed 's/^1$/blue/; s/^0$/other/'
}
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-0.4}"; }
key() { xdotool key "$@"; sleep 0.3; }
# shot NAME [REGION]: once the region (default: the page) has stopped changing.
shot() {
  wait_stable "${2:-1216x800+144+0}"
  import -window root "$out/$1.png"
  echo "$out/$1.png"
}

# The page's area right of the navigation, and the navigation buttons.
page=1216x800+144+0
nav() {
  key Escape # a popup or dialog left open would swallow the click
  case $1 in
  console) to 71 50 ;; map) to 71 135 ;; rollouts) to 71 215 ;;
  tokens) to 71 300 ;; recovery) to 71 380 ;; settings) to 71 465 ;;
  esac
}
# to X Y [REGION]: click and wait until the region (default: the page) shows the result.
to() {
  local before
  before=$(region_sum "${3:-$page}")
  click "$1" "$2" 0.1
  wait_change "${3:-$page}" "$before" "${4:-10}"
}

# start_app NAME ARGS...: a fresh app (throwaway cache and config dirs, so the shots show a
# fresh demo fleet) whose window is up; sets $app (the app, found by its window) and $launcher.
start_app() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  XDG_CACHE_HOME="$tmp/$name" XDG_CONFIG_HOME="$tmp/$name" \
    bin/fleetdesk --window 1360x860 "$@" >/dev/null 2>"$tmp/$name.log" &
  launcher=$!
  app=$launcher
  pids+=("$launcher")
  for _ in $(seq 100); do
    xdotool search --name '^FleetDesk$' >/dev/null 2>&1 && break
    sleep 0.2
  done
  local win
  win=$(xdotool search --name '^FleetDesk$' 2>/dev/null | head -n1) || true
  if [ -n "$win" ]; then
    xdotool windowmove "$win" 0 0 || true
    app=$(xdotool getwindowpid "$win" 2>/dev/null) || app=$launcher
    pids+=("$app")
  fi
}
stop_app() {
  kill "$app" 2>/dev/null || true
  wait "$launcher" 2>/dev/null || true
}

# Recovery with a simulated unit on a pty: its path typed into the port field, then Connect; the
# unit card fills in, and the firmware list shows the releases for it.
recovery_unit() {
  bin/fleetsim unit --pty --model D180 --transport gsm --version 2.3.0 >"$tmp/unit.out" 2>"$tmp/unit.log" &
  local unit=$!
  pids+=("$unit")
  for _ in $(seq 50); do [ -s "$tmp/unit.out" ] && break; sleep 0.1; done
  local pty
  pty=$(head -n1 "$tmp/unit.out")
  if [ -z "$pty" ]; then
    echo "screenshots: fleetsim unit printed no pty; recovery-unit skipped" >&2
    return
  fi
  click 500 65 # the port field
  key ctrl+a
  xdotool type --delay 10 "$pty"
  to 1306 65 700x100+150+180 # Connect; the unit card
  shot recovery-unit
  key Escape
  kill "$unit" 2>/dev/null || true
}

# The Safe OTA Procedure on the Unified firmware console: D100 over WiFi (a WiFi unit installs in
# 9-18 s at the demo's 10x, a GSM one takes a minute or more), the newest release, the first
# eligible test device, its validation, the my_fleet confirmation and the first seconds of the
# monitor.
rollout_wizard() {
  local step=400x24+150+54 # "Step N of 5 — ..."
  to 749 123            # Unified firmware console
  click 190 188         # Engine: D100
  click 259 371         # Transport variant: WiFi
  shot rollout-1-variant
  to 749 449 "$step"    # Next: choose the release
  click 200 149         # the newest release
  shot rollout-2-release
  to 257 410 "$step"    # Next: validate on a test device (below the releases and the count of units it would reach)
  click 749 206 0.6     # Test device: the list opens over the page
  click 400 250 0.6     # an eligible unit (wherever the list opened, this row is one of them)
  shot rollout-3-test-device
  to 238 246 "$step"    # Deploy 2.4.1 to test device …
  shot rollout-3-validating 1216x40+144+50 # (its progress bar moves all along)
  # Until the test unit is back on the new release (or the wizard says it failed).
  wait_change "$step" "$(region_sum "$step")" 150
  shot rollout-4-deploy
  # The simulated units fail 5 % of installs: without the blue Deploy button the test device did
  # not validate, and the shots above show why; the rest of the procedure cannot be shown.
  if [ "$(pixel 200 267)" != blue ]; then
    echo "screenshots: the test device did not validate this time; rollout-4-confirm and rollout-5-monitor not retaken" >&2
    return
  fi
  to 278 267            # Deploy … to N units of my_fleet…: the confirmation
  shot rollout-4-confirm
  to 247 370 "$step"    # Yes, deploy
  sleep 3 # the first wave goes out
  shot rollout-5-monitor
}

# Offline: a separate simulated backend, signed in to through the sign-in screen, then stopped;
# the offline banner shows within the next sync attempts.
offline_banner() {
  bin/fleetsim serve --addr 127.0.0.1:0 --devices 200 --speed 10 --quiet >"$tmp/serve.out" 2>"$tmp/serve.log" &
  local srv=$!
  pids+=("$srv")
  for _ in $(seq 100); do [ -s "$tmp/serve.out" ] && break; sleep 0.1; done
  local url email pw
  url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$tmp/serve.out")
  email=$(sed -n 's/[^[]*\[{"email":"\([^"]*\)","password":"\([^"]*\)".*/\1/p' "$tmp/serve.out")
  pw=$(sed -n 's/[^[]*\[{"email":"\([^"]*\)","password":"\([^"]*\)".*/\2/p' "$tmp/serve.out")
  # No D-Bus session, so no Secret Service: the sign-in stays in memory and never reaches the
  # keyring of whoever runs this.
  DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent start_app offline --backend "$url" --config "$tmp/offline/config.json"
  wait_filled 500x40+430+380 20 # the sign-in form
  click 735 397 # Email
  xdotool type --delay 10 "$email"
  click 720 436 # Password
  xdotool type --delay 10 "$pw"
  key Return
  wait_filled "$rows" 30
  # The app says in a blue banner at the top that the sign-in is kept in memory only; close it.
  if [ "$(pixel 700 8)" = blue ]; then click 1338 21; fi
  sleep 1
  local top=1360x40+0+0
  local before
  before=$(region_sum "$top")
  kill "$srv" 2>/dev/null || true
  wait "$srv" 2>/dev/null || true
  wait_change "$top" "$before" 30
  sleep 1
  shot offline
  stop_app
}

# --- The demo fleet: console, Manage page, map, tokens, recovery, settings, about, rollouts.
rows=1200x80+150+165 # the console's first rows (under the offline banner too)
if want console || want manage || want map || want tokens || want recovery || want settings || want rollouts; then
  start_app demo --demo
  wait_filled "$rows" 30
  sleep 1 # the first sync's last rows and the status bar settle
fi

if want console; then
  shot console
  click 600 26 # the search field
  before=$(region_sum "$rows")
  xdotool type --delay 20 'zzqx'
  wait_change "$rows" "$before" 5
  shot console-no-match
  to 760 236 # Clear search
fi

if want manage; then
  nav console
  click 640 222 # the second unit's row
  before=$(region_sum "$page")
  key Return # opens its Manage page
  wait_change "$page" "$before" 10
  shot manage
  to 606 506    # FW Update…
  shot manage-fw-update
  to 612 601    # Cancel
fi

if want map; then
  nav map
  sleep 2 # the basemap and markers draw
  shot map
fi

if want tokens; then
  nav tokens
  shot tokens
fi

if want recovery; then
  nav recovery
  shot recovery
  recovery_unit
fi

if want settings; then
  nav settings
  shot settings
  to 340 25 # About FleetDesk, at the top of Settings
  shot about
  key Escape
fi

if want rollouts; then
  nav rollouts
  shot rollouts
  rollout_wizard
fi
[ -n "${app:-}" ] && stop_app

if want offline; then
  offline_banner
fi
