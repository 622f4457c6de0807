#!/usr/bin/env bash
# Proves statically what Linux can prove about the Windows build, without running it (that is
# scripts/check-windows-run.sh, under Wine): `scripts/check-windows.sh [FleetDesk.exe [setup.exe
# [fleetdesk.com]]]`
#   - FleetDesk.exe: a PE32+ (x86-64) binary for the GUI subsystem (no console window flashing up),
#     with the icon and a version resource naming FleetDesk and the version, as `fyne package`
#     embeds them, and this release's version and commit linked in (what --version and About show);
#   - fleetdesk.com: the same program for the console subsystem (the command line cmd.exe and
#     PowerShell wait for and show), with the same version and commit, that hands the window to
#     FleetDesk.exe;
#   - both import only DLLs on the allow-list below (a new one is a new runtime dependency);
#   - the installer is a Windows program with its own version resource, built from a script that
#     installs both per user (no admin), with a Start-menu entry, the folder on the user's PATH and
#     an uninstall entry in HKCU,
#   - `GOOS=windows go vet ./...` is clean.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-dist/FleetDesk.exe}
setup=${2:-$(ls -t dist/FleetDesk-*-setup.exe 2>/dev/null | head -1 || true)}
com=${3:-$(dirname "$exe")/fleetdesk.com}
version=${VERSION:-$(sed -n 's/^Version *= *"\(.*\)"/\1/p' cmd/fleetdesk/FyneApp.toml)}
# The commit the release is built from: the Makefile's COMMIT, else this checkout's.
commit=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || true)}
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}

# What a Go + Fyne (GLFW, OpenGL) program links against at load time. Go's runtime and x/sys load
# everything else on demand (LoadLibrary), so this list is short and stable.
allowed_dlls="kernel32.dll msvcrt.dll user32.dll gdi32.dll opengl32.dll shell32.dll"

fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
ok() { echo "ok:   $*"; }

[ -f "$exe" ] || { echo "FAIL: $exe not found (run make package-windows)" >&2; exit 1; }
hdr=$($objdump -p "$exe")

grep -qE '^Magic[[:space:]]+020b' <<<"$hdr" && ok "PE32+ (64-bit) image" || bad "$exe is not PE32+"
grep -qE '^Subsystem[[:space:]]+00000002' <<<"$hdr" && ok "GUI subsystem" || bad "$exe is not a GUI-subsystem program (missing -H=windowsgui?)"
file "$exe" | grep -q 'x86-64' && ok "x86-64 machine" || bad "$exe is not x86-64"

# imports FILE: every DLL FILE imports at load time is on the allow-list.
imports() {
	local dlls d
	dlls=$(sed -n 's/^[[:space:]]*DLL Name: //p' <<<"$2" | tr 'A-Z' 'a-z' | sort -u)
	[ -n "$dlls" ] || bad "no DLL imports found in $1 (objdump output changed?)"
	for d in $dlls; do
		case " $allowed_dlls " in
		*" $d "*) ok "$(basename "$1") imports $d (allowed)" ;;
		*) bad "$1 imports $d, which is not on the allow-list" ;;
		esac
	done
}
imports "$exe" "$hdr"

# linked FILE: the version and commit linked into FILE (internal/version, -ldflags -X) are this
# release's. fyne package once dropped them from the build that ships: "FleetDesk dev (commit unknown)".
linked() {
	local ld
	ld=$(go version -m "$1" 2>/dev/null | sed -n 's/^[[:space:]]*build[[:space:]]*-ldflags=//p')
	if grep -q -- "internal/version.version=$version[ \"]" <<<"$ld "; then
		ok "$(basename "$1") names version $version"
	else
		bad "$1 does not have version $version linked in (go version -m: ${ld:-no -ldflags})"
	fi
	if [ -z "$commit" ]; then
		bad "no commit to compare with (set COMMIT)"
	elif grep -q -- "internal/version.commit=$commit[ \"]" <<<"$ld "; then
		ok "$(basename "$1") names commit $commit"
	else
		bad "$1 does not have commit $commit linked in (go version -m: ${ld:-no -ldflags})"
	fi
}
linked "$exe"

res=$(wrestool -l "$exe" || true)
grep -q 'type=14' <<<"$res" && ok "icon group resource" || bad "no icon resource in $exe"
grep -q 'type=3 ' <<<"$res" && ok "icon images" || bad "no icon images in $exe"
grep -q 'type=16' <<<"$res" && ok "version resource" || bad "no version resource in $exe"
vs=$(wrestool -x --raw --type=16 "$exe" 2>/dev/null | strings -el)
grep -q 'FleetDesk' <<<"$vs" && ok "version resource names FleetDesk" || bad "version resource does not name FleetDesk"
grep -q "^$version" <<<"$vs" && ok "version resource says $version" || bad "version resource lacks $version: $(tr '\n' ' ' <<<"$vs")"

# The command line: the same program for the console subsystem, beside FleetDesk.exe.
if [ -f "$com" ]; then
	chdr=$($objdump -p "$com")
	grep -qE '^Magic[[:space:]]+020b' <<<"$chdr" && ok "$(basename "$com"): PE32+ (64-bit) image" || bad "$com is not PE32+"
	grep -qE '^Subsystem[[:space:]]+00000003' <<<"$chdr" && ok "$(basename "$com"): console subsystem" ||
		bad "$com is not a console-subsystem program (cmd.exe would neither wait for it nor show its output)"
	imports "$com" "$chdr"
	linked "$com"
	go version -m "$com" | grep -q -- '-X main.guiExe=FleetDesk.exe\|-X=main.guiExe=FleetDesk.exe' &&
		ok "$(basename "$com") hands the window to FleetDesk.exe" || bad "$com is not linked with -X main.guiExe=FleetDesk.exe"
	grep -q "$version" <<<"$(wrestool -x --raw --type=16 "$com" 2>/dev/null | strings -el)" &&
		ok "$(basename "$com") version resource says $version" || bad "$com lacks a version resource with $version"
else
	bad "no $com (run make package-windows)"
fi

if [ -n "$setup" ] && [ -f "$setup" ]; then
	file "$setup" | grep -q 'PE32' && ok "installer $setup is a Windows program" || bad "$setup is not a Windows program"
	svs=$(wrestool -x --raw --type=16 "$setup" 2>/dev/null | strings -el)
	grep -q "$version" <<<"$svs" && ok "installer version resource says $version" || bad "installer lacks a version resource with $version"
	grep -q 'Nullsoft' <<<"$(strings "$setup")" && ok "NSIS installer" || bad "$setup is not an NSIS installer"
else
	bad "no installer in dist/ (run make package-windows)"
fi

# The installer script the installer was built from: per user, no admin, Start menu, uninstall entry.
nsi=packaging/windows/fleetdesk.nsi
need() { grep -qF -- "$1" "$nsi" && ok "installer: $2" || bad "installer script lacks $2 ($1)"; }
need 'RequestExecutionLevel user' "no administrator rights"
need 'InstallDir "$LOCALAPPDATA\Programs\FleetDesk"' "per-user install directory"
need 'CreateShortcut "$SMPROGRAMS\FleetDesk.lnk"' "Start-menu entry"
need 'WriteRegStr HKCU "${UNINSTKEY}" "UninstallString"' "uninstall entry in HKCU"
need 'File "/oname=fleetdesk.com" "${COM}"' "the command line (fleetdesk.com)"
need 'WriteRegExpandStr HKCU "${ENVKEY}" "Path"' "the install folder on the user's PATH"
need '!insertmacro PathEdit "-"' "the PATH entry removed on uninstall"
if grep -qE 'HKLM|\$PROGRAMFILES|SetShellVarContext all' "$nsi"; then bad "installer script touches machine-wide places"; else ok "installer: nothing machine-wide"; fi

# cgo on, as the real build: Fyne's GLFW driver is cgo-only.
if CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=${CC:-x86_64-w64-mingw32-gcc} go vet ./...; then
	ok "GOOS=windows go vet ./..."
else
	bad "GOOS=windows go vet ./... is not clean"
fi

[ "$fail" = 0 ] && echo "Windows build checks passed." || { echo "Windows build checks FAILED." >&2; exit 1; }
