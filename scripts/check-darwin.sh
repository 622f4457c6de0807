#!/usr/bin/env bash
# What Linux can prove about the macOS build (the .app itself needs a Mac, see docs/packaging.md):
#   1. every package that does not need Fyne's cgo window driver vets with GOOS=darwin, CGO off;
#   2. every darwin-only file of the other packages (the platform files, e.g. cmd/fleetdesk's
#      terminal handling) type-checks for darwin together with its platform siblings.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOOS=darwin GOARCH=arm64 CGO_ENABLED=0

# On macOS these need cgo (Cocoa, OpenGL, IOKit), so a package depending on them is checked file by
# file below instead.
cgo_only='fyne.io/fyne/v2|go.bug.st/serial/enumerator'
list=$(go list -e -f '{{.ImportPath}}|{{.Dir}}| {{join .Deps " "}} ' ./...)
mapfile -t ok < <(grep -vE " ($cgo_only)[ /]" <<<"$list" | cut -d'|' -f1)
mapfile -t gui < <(grep -E " ($cgo_only)[ /]" <<<"$list" | cut -d'|' -f2)
echo "GOOS=darwin go vet: ${#ok[@]} packages without the GUI driver"
go vet "${ok[@]}"

# For the GUI packages: the files darwin builds that Linux and Windows do not both build.
checked=0
for dir in "${gui[@]}"; do
	files() { GOOS=$1 go list -e -f '{{range .GoFiles}}{{.}} {{end}}' "$dir"; }
	common=" $(comm -12 <(files linux | tr ' ' '\n' | sort) <(files windows | tr ' ' '\n' | sort) | tr '\n' ' ') "
	plat=()
	for f in $(files darwin); do
		case "$common" in *" $f "*) ;; *) plat+=("$dir/$f") ;; esac
	done
	[ ${#plat[@]} -gt 0 ] || continue
	echo "GOOS=darwin go vet ${plat[*]#$PWD/}"
	go vet "${plat[@]}"
	checked=$((checked + ${#plat[@]}))
done
echo "darwin checks passed (${#ok[@]} packages, $checked darwin-only files of GUI packages)."
