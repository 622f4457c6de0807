#!/usr/bin/env bash
# Runs a command on a private D-Bus session with an unlocked gnome-keyring, so the keyring tests
# talk to a real Secret Service and never to the user's own keyring.
set -euo pipefail
if [ "$(uname -s)" != "Linux" ] || ! command -v dbus-run-session >/dev/null 2>&1; then
  exec "$@"
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.local/share/keyrings" "$home/.cache" "$home/.config"
chmod 700 "$home/.local/share/keyrings"
export FLEETDESK_REQUIRE_KEYRING=1
# The keyring daemon keeps its files under HOME; the Go caches stay where they were.
export GOENV="${GOENV:-$(go env GOENV)}" GOCACHE="${GOCACHE:-$(go env GOCACHE)}" GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}" GOPATH="${GOPATH:-$(go env GOPATH)}"
export HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache" XDG_CONFIG_HOME="$home/.config"
exec dbus-run-session -- bash -c 'echo -n fleetdesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$@"' bash "$@"
