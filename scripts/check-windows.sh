#!/usr/bin/env bash
# Proves statically what Linux can prove about the Windows build (Debian's wine cannot start a Go
# 1.26 binary, so nothing here runs it): `scripts/check-windows.sh [dist/FleetDesk.exe [setup.exe]]`
#   - a PE32+ (x86-64) binary for the GUI subsystem (no console window flashing up),
#   - the icon and a version resource naming FleetDesk and the version, as `fyne package` embeds them,
#   - imports only DLLs on the allow-list below (a new one is a new runtime dependency to think about),
#   - the installer is a Windows program with its own version resource, built from a script that
#     installs per user (no admin), with a Start-menu entry and an uninstall entry in HKCU,
#   - `GOOS=windows go vet ./...` is clean.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-dist/FleetDesk.exe}
setup=${2:-$(ls -t dist/FleetDesk-*-setup.exe 2>/dev/null | head -1 || true)}
version=${VERSION:-$(sed -n 's/^Version *= *"\(.*\)"/\1/p' cmd/fleetdesk/FyneApp.toml)}
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

dlls=$(sed -n 's/^[[:space:]]*DLL Name: //p' <<<"$hdr" | tr 'A-Z' 'a-z' | sort -u)
[ -n "$dlls" ] || bad "no DLL imports found (objdump output changed?)"
for d in $dlls; do
	case " $allowed_dlls " in
	*" $d "*) ok "imports $d (allowed)" ;;
	*) bad "imports $d, which is not on the allow-list" ;;
	esac
done

res=$(wrestool -l "$exe" || true)
grep -q 'type=14' <<<"$res" && ok "icon group resource" || bad "no icon resource in $exe"
grep -q 'type=3 ' <<<"$res" && ok "icon images" || bad "no icon images in $exe"
grep -q 'type=16' <<<"$res" && ok "version resource" || bad "no version resource in $exe"
vs=$(wrestool -x --raw --type=16 "$exe" 2>/dev/null | strings -el)
grep -q 'FleetDesk' <<<"$vs" && ok "version resource names FleetDesk" || bad "version resource does not name FleetDesk"
grep -q "^$version" <<<"$vs" && ok "version resource says $version" || bad "version resource lacks $version: $(tr '\n' ' ' <<<"$vs")"

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
if grep -qE 'HKLM|\$PROGRAMFILES|SetShellVarContext all' "$nsi"; then bad "installer script touches machine-wide places"; else ok "installer: nothing machine-wide"; fi

# cgo on, as the real build: Fyne's GLFW driver is cgo-only.
if CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=${CC:-x86_64-w64-mingw32-gcc} go vet ./...; then
	ok "GOOS=windows go vet ./..."
else
	bad "GOOS=windows go vet ./... is not clean"
fi

[ "$fail" = 0 ] && echo "Windows build checks passed." || { echo "Windows build checks FAILED." >&2; exit 1; }
