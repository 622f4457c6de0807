#!/usr/bin/env bash
# `make install PREFIX=...`: installs the newest Linux package from dist/ (make package-linux) into
# PREFIX with the Makefile fyne puts inside the tarball: PREFIX/bin/fleetdesk, the .desktop file
# under PREFIX/share/applications and the icon under PREFIX/share/pixmaps.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: scripts/install-linux.sh PREFIX}
tarball=${TARBALL:-$(ls -t dist/FleetDesk-*-linux-*.tar.xz 2>/dev/null | head -1 || true)}
[ -n "$tarball" ] && [ -f "$tarball" ] || { echo "no Linux package in dist/: run make package-linux first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xJf "$tarball" -C "$work"
# fyne puts everything under one top directory (fleetdesk/), its Makefile at the top of that.
top=$(dirname "$(find "$work" -maxdepth 2 -name Makefile | head -1)")
case "$prefix" in *" "*) echo "PREFIX must not contain spaces (the package's Makefile does not quote it)" >&2; exit 2 ;; esac
make -s -C "$top" install PREFIX="$prefix"
echo "installed $(basename "$tarball") into $prefix"
