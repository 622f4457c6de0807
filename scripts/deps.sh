#!/usr/bin/env bash
# Installs the named Debian packages that are missing; elsewhere says what to install.
set -euo pipefail
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "deps: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
case "$(uname -s)" in
  Darwin) echo "deps: install Xcode command line tools (xcode-select --install); the macOS keychain is used for credentials." >&2 ;;
  MINGW*|MSYS*|CYGWIN*) echo "deps: install a mingw-w64 gcc (e.g. MSYS2 mingw-w64-x86_64-gcc); Credential Manager is used for credentials." >&2 ;;
  *) echo "deps: not a Debian system; install the equivalents of: $*" >&2 ;;
esac
