#!/usr/bin/env bash
# Runs a command on a private D-Bus session with an unlocked gnome-keyring, so the keyring tests
# talk to a real Secret Service and never to the user's own keyring.
#
# FLEETDESK_REQUIRE_KEYRING=1 turns a keyring test's skip into a failure. It is set whenever this
# script provides the keyring, and in CI (CI=true) always, even where it cannot provide one (no
# dbus-run-session, not Linux): there the keyring tests fail instead of passing as skipped.
set -euo pipefail
# Fyne takes its language from LANGUAGE, else LANG; a C locale (C.UTF-8 included) is no language
# tag, and every UI test would log a parse error. LANGUAGE changes nothing else here.
case "${LANG:-}" in "" | C | POSIX) export LANG=C.UTF-8 ;; esac
case "${LANG}" in C.* | POSIX.*) export LANGUAGE="${LANGUAGE:-en_US}" ;; esac
if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then
  export FLEETDESK_REQUIRE_KEYRING=1
fi
if [ "$(uname -s)" != "Linux" ] || ! command -v dbus-run-session >/dev/null 2>&1; then
  if [ -n "${FLEETDESK_REQUIRE_KEYRING:-}" ]; then
    echo "with-keyring.sh: no dbus-run-session here: the keyring tests will fail (FLEETDESK_REQUIRE_KEYRING is set)" >&2
  fi
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
