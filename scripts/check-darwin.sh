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
	# A platform file may use a name declared in a shared file: bring in the file that declares each
	# name vet reports undefined, as long as that file imports only the standard library (no dot in a
	# path's first element), until vet passes or no such file is left.
	while ! out=$(go vet "${plat[@]}" 2>&1); do
		names=$(grep -oE 'undefined: [A-Za-z_][A-Za-z0-9_]*' <<<"$out" | cut -d' ' -f2 | sort -u)
		added=0
		for name in $names; do
			for f in $common; do
				case " ${plat[*]} " in *" $dir/$f "*) continue ;; esac
				grep -qE "^(var|func|const|type) (\([^)]*\) )?$name\b" "$dir/$f" || continue
				imports=$(sed -n -e '/^import (/,/^)/p' -e '/^import "/p' "$dir/$f" | grep -oE '"[^"]+"' | tr -d '"' | cut -d/ -f1)
				if ! grep -q '\.' <<<"$imports"; then plat+=("$dir/$f"); added=1; fi
			done
		done
		[ $added = 1 ] || { echo "$out" >&2; exit 1; }
	done
	echo "GOOS=darwin go vet ${plat[*]#$PWD/}"
	checked=$((checked + ${#plat[@]}))
done
echo "darwin checks passed (${#ok[@]} packages, $checked darwin-only files of GUI packages)."
