#!/usr/bin/env bash
# Builds FleetDesk's packages with the pinned fyne tool (tools/fyne.mod): `scripts/package.sh
# windows|linux|darwin`. Output goes to dist/. VERSION, COMMIT and DATE come from the Makefile and
# are linked into internal/version, so the packaged binary's --version and About dialog name the
# build.
#
# The fyne tool is a separate module file (tools/fyne.mod), not a `tool` line in go.mod: fyne.io/tools
# v1.7.4 requires fyne v2.8, and a tool line would upgrade the app's own Fyne with it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
os=${1:?usage: scripts/package.sh windows|linux|darwin}
: "${VERSION:?}" "${COMMIT:?}" "${DATE:?}"
TAGS=${TAGS-no_emoji} # the Makefile's build tags
mkdir -p dist

vpkg=github.com/fleetdesk/fleetdesk/internal/version
# fyne package takes extra linker flags only through GOFLAGS, one -ldflags= per word.
export GOFLAGS="-ldflags=-X=$vpkg.version=$VERSION -ldflags=-X=$vpkg.commit=$COMMIT -ldflags=-X=$vpkg.date=$DATE"

# `go tool -n` prints the tool's path, building it for this machine first. Asked before GOOS is
# set, so the tool itself is never cross-compiled.
fyne=$(GOFLAGS= go tool -modfile="$root/tools/fyne.mod" -n fyne)

# fyne package bumps Build in FyneApp.toml on every run; the release number is set by hand.
meta=cmd/fleetdesk/FyneApp.toml
cp "$meta" dist/.FyneApp.toml.orig
trap 'cp "$root/dist/.FyneApp.toml.orig" "$root/$meta"; rm -f "$root/dist/.FyneApp.toml.orig"' EXIT

case "$os" in
windows)
	export CC=${CC:-x86_64-w64-mingw32-gcc} GOARCH=amd64
	(cd cmd/fleetdesk && "$fyne" package -os windows --name FleetDesk --tags "$TAGS")
	mv -f cmd/fleetdesk/FleetDesk.exe dist/FleetDesk.exe
	convert assets/icon.png -define icon:auto-resize=256,64,48,32,16 dist/fleetdesk.ico
	# A four-part numeric version for the installer's own version resource, as fyne gave the exe
	# (the build number before fyne's bump).
	build=$(sed -n 's/^Build *= *\([0-9]*\).*/\1/p' dist/.FyneApp.toml.orig)
	makensis -V2 -WX -INPUTCHARSET UTF8 \
		-DVERSION="$VERSION" -DVIVERSION="$VERSION.${build:-0}" \
		-DEXE="$root/dist/FleetDesk.exe" -DICON="$root/dist/fleetdesk.ico" \
		-DOUTFILE="$root/dist/FleetDesk-$VERSION-setup.exe" \
		packaging/windows/fleetdesk.nsi
	ls -l dist/FleetDesk.exe "dist/FleetDesk-$VERSION-setup.exe"
	;;
linux)
	(cd cmd/fleetdesk && "$fyne" package -os linux --name FleetDesk --tags "$TAGS")
	mv -f cmd/fleetdesk/FleetDesk.tar.xz "dist/FleetDesk-$VERSION-linux-$(go env GOARCH).tar.xz"
	ls -l "dist/FleetDesk-$VERSION-linux-$(go env GOARCH).tar.xz"
	;;
darwin)
	if [ "$(go env GOHOSTOS)" != darwin ]; then
		echo "package-darwin needs a Mac (Xcode command-line tools): the .app links against macOS's" >&2
		echo "Cocoa and OpenGL frameworks, which no Linux toolchain provides. What Linux can check:" >&2
		echo "  make check-darwin" >&2
		exit 2
	fi
	(cd cmd/fleetdesk && "$fyne" package -os darwin --name FleetDesk --tags "$TAGS")
	rm -rf dist/FleetDesk.app
	mv -f cmd/fleetdesk/FleetDesk.app dist/
	ls -ld dist/FleetDesk.app
	;;
*)
	echo "unknown target $os" >&2
	exit 2
	;;
esac
