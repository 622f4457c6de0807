#!/usr/bin/env bash
# Builds FleetDesk's packages with the pinned fyne tool (tools/fyne.mod): `scripts/package.sh
# windows|linux|darwin`. Output goes to dist/. VERSION, COMMIT and DATE come from the Makefile and
# are linked into internal/version, so the packaged binary's --version and About dialog name the
# build. `scripts/package.sh windows-installer OUTFILE [MAKENSIS-FLAG...]` builds only the
# installer from what `windows` left in dist/ (scripts/check-windows-run.sh builds a 64-bit one).
#
# The fyne tool is a separate module file (tools/fyne.mod), not a `tool` line in go.mod: fyne.io/tools
# v1.7.4 requires fyne v2.8, and a tool line would upgrade the app's own Fyne with it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
os=${1:?usage: scripts/package.sh windows|linux|darwin}
: "${VERSION:?}"
TAGS=${TAGS-no_emoji} # the Makefile's build tags
mkdir -p dist

# installer OUTFILE [MAKENSIS-FLAG...]: the NSIS installer of dist/'s FleetDesk.exe and
# fleetdesk.com. The shipped one is NSIS's default, 32-bit (it runs on every Windows);
# -X"Target amd64-unicode" builds the same script as a 64-bit program, for a Wine without 32-bit
# support.
installer() {
	local out=$1
	shift
	makensis -V2 -WX -INPUTCHARSET UTF8 "$@" \
		-DVERSION="$VERSION" -DVIVERSION="$VERSION.$build" \
		-DEXE="$root/dist/FleetDesk.exe" -DCOM="$root/dist/fleetdesk.com" -DICON="$root/dist/fleetdesk.ico" \
		-DOUTFILE="$out" packaging/windows/fleetdesk.nsi
}
meta=cmd/fleetdesk/FyneApp.toml
# The release's build number, for four-part Windows versions as fyne gives the exe (read before
# fyne package bumps it).
build=$(sed -n 's/^Build *= *\([0-9]*\).*/\1/p' "$meta")
build=${build:-0}
if [ "$os" = windows-installer ]; then
	shift
	installer "${1:?usage: scripts/package.sh windows-installer OUTFILE [MAKENSIS-FLAG...]}" "${@:2}"
	exit
fi

: "${COMMIT:?}" "${DATE:?}"
vpkg=github.com/fleetdesk/fleetdesk/internal/version
ldflags="-X $vpkg.version=$VERSION -X $vpkg.commit=$COMMIT -X $vpkg.date=$DATE"

# fyne package takes extra linker flags only through GOFLAGS, one -ldflags= per word.
export GOFLAGS="-ldflags=-X=$vpkg.version=$VERSION -ldflags=-X=$vpkg.commit=$COMMIT -ldflags=-X=$vpkg.date=$DATE"

# `go tool -n` prints the tool's path, building it for this machine first. Asked before GOOS is
# set, so the tool itself is never cross-compiled.
fyne=$(GOFLAGS= go tool -modfile="$root/tools/fyne.mod" -n fyne)

# fyne package bumps Build in FyneApp.toml on every run; the release number is set by hand.
cp "$meta" dist/.FyneApp.toml.orig
# What the Windows build leaves in the source folder while it runs (see below).
placeholder=cmd/fleetdesk/FleetDesk.exe
comsyso=cmd/fleetdesk/zz_fleetdesk_com_windows_amd64.syso
trap 'cp "$root/dist/.FyneApp.toml.orig" "$root/$meta"; rm -f "$root/dist/.FyneApp.toml.orig" "$root/$placeholder" "$root/$comsyso"' EXIT

case "$os" in
windows)
	export CC=${CC:-x86_64-w64-mingw32-gcc} GOARCH=amd64
	# FleetDesk.exe, the window. fyne package (tools v1.7.4) builds the exe, writes the icon,
	# version resource and manifest into a .syso, and builds again; its first build takes the
	# -ldflags out of GOFLAGS, so the second, the one that ships, had lost the version ("FleetDesk
	# dev (commit unknown)"). Given an existing --executable it skips the first build and builds
	# once, with the resources and the version, over it: the placeholder is that executable.
	: >"$placeholder"
	(cd cmd/fleetdesk && "$fyne" package -os windows --name FleetDesk --tags "$TAGS" --executable "$root/$placeholder")
	mv -f "$placeholder" dist/FleetDesk.exe
	# The build that ships names this release (check-windows and check-windows-run check it too).
	if ! go version -m dist/FleetDesk.exe | grep -q -- "$vpkg.version=$VERSION .*$vpkg.commit=$COMMIT[ \"]"; then
		echo "package: dist/FleetDesk.exe was built without the version flags:" >&2
		go version -m dist/FleetDesk.exe | grep -- -ldflags >&2 || echo "  (no -ldflags, or not a Go program)" >&2
		exit 1
	fi
	convert assets/icon.png -define icon:auto-resize=256,64,48,32,16 dist/fleetdesk.ico
	# fleetdesk.com, the command line: the same program for the console subsystem (no -H=windowsgui),
	# with its own icon and version resource. Without a command it starts FleetDesk.exe
	# (-X main.guiExe; cmd/fleetdesk/launch.go).
	IFS=. read -r v1 v2 v3 <<<"$VERSION"
	fv="${v1:-0},${v2:-0},${v3%%[!0-9]*},$build"
	cat >dist/.fleetdesk-com.rc <<-RC
		1 ICON "$root/dist/fleetdesk.ico"
		1 VERSIONINFO
		FILEVERSION $fv
		PRODUCTVERSION $fv
		FILEOS 0x40004
		FILETYPE 0x1
		BEGIN
		  BLOCK "StringFileInfo"
		  BEGIN
		    BLOCK "040904B0"
		    BEGIN
		      VALUE "FileDescription", "FleetDesk command line"
		      VALUE "ProductName", "FleetDesk"
		      VALUE "ProductVersion", "$VERSION"
		      VALUE "FileVersion", "$VERSION"
		      VALUE "OriginalFilename", "fleetdesk.com"
		    END
		  END
		  BLOCK "VarFileInfo"
		  BEGIN
		    VALUE "Translation", 0x409, 1200
		  END
		END
	RC
	x86_64-w64-mingw32-windres -O coff -i dist/.fleetdesk-com.rc -o "$comsyso"
	rm -f dist/.fleetdesk-com.rc
	# fyne's build sets CGO_CFLAGS of its own; any other value would rebuild every cgo package (Fyne's
	# GL and GLFW: minutes). They are in the exe's build info: the same ones, so only the link is new.
	cgo_cflags=$(go version -m dist/FleetDesk.exe | sed -n 's/^[[:space:]]*build[[:space:]]*CGO_CFLAGS=//p' | sed 's/^"\(.*\)"$/\1/')
	cgo_ldflags=$(go version -m dist/FleetDesk.exe | sed -n 's/^[[:space:]]*build[[:space:]]*CGO_LDFLAGS=//p' | sed 's/^"\(.*\)"$/\1/')
	GOFLAGS= CGO_ENABLED=1 GOOS=windows CGO_CFLAGS="$cgo_cflags" CGO_LDFLAGS="$cgo_ldflags" go build -tags "$TAGS,migrated_fynedo" \
		-ldflags "$ldflags -X main.guiExe=FleetDesk.exe" -o dist/fleetdesk.com ./cmd/fleetdesk
	rm -f "$comsyso"
	installer "$root/dist/FleetDesk-$VERSION-setup.exe"
	ls -l dist/FleetDesk.exe dist/fleetdesk.com "dist/FleetDesk-$VERSION-setup.exe"
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
