#!/usr/bin/env bash
# Takes the README's screenshots from the real app in demo mode under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null # with the version linked in, as the About shot shows it
display=:${SHOT_DISPLAY:-97}
Xvfb "$display" -screen 0 1360x860x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
tmp=$(mktemp -d)
for page in ${SHOT_PAGES:-console manage map rollouts tokens recovery settings about}; do
  # A throwaway cache/config dir each time, so the shots show a fresh demo fleet.
  DISPLAY=$display LANG=C.UTF-8 XDG_CACHE_HOME="$tmp/$page" XDG_CONFIG_HOME="$tmp/$page" \
    bin/fleetdesk --demo --page "${page/about/settings}" --window 1360x860 >/dev/null 2>"$tmp/$page.log" &
  app=$!
  sleep "${SHOT_WAIT:-8}"
  # The map fits the demo dealer's units (central USA); the built-in basemap's state borders and
  # place names make that view readable as it is.
  # The About dialog opens from the button at the top of Settings.
  if [ "$page" = about ] && command -v xdotool >/dev/null 2>&1; then
    DISPLAY=$display xdotool mousemove 276 25 click 1; sleep 2
  fi
  DISPLAY=$display import -window root "docs/shots/$page.png"
  kill $app 2>/dev/null || true
  wait $app 2>/dev/null || true
  echo "docs/shots/$page.png"
done
rm -rf "$tmp"
