#!/usr/bin/env bash
# `make check-windows-run`: runs the shipped Windows build (dist/, from `make package-windows`)
# under Wine on Xvfb, the way a dealer and a technician use it, and checks:
#   1. FleetDesk.exe and fleetdesk.com --version print this release's version and commit;
#   2. the window starts from the shipped exe and paints the demo's Fleet Console (the app's own
#      --measure-startup line names the rows it painted);
#   3. the installer installs silently (/S), per user: both programs, the Start-menu entry, the
#      uninstall entry, and the install folder appended to the user's PATH (HKCU\Environment, its
#      other entries kept). The shipped installer is 32-bit NSIS; where Wine has no 32-bit support
#      the same script built for 64 bits is installed instead, and the run says so;
#   4. from cmd.exe, `fleetdesk` finds fleetdesk.com through that PATH, prints, and returns its
#      exit status; with no command (`fleetdesk --demo`) it starts the window (FleetDesk.exe) and
#      returns at once; the window shows the demo (a screenshot goes to dist/wine/), closes with Alt+F4 and saves the
#      demo's view state;
#   5. the installed command line signs in to a fleetsim on 127.0.0.1 (password on stdin; the
#      sign-in lands in Wine's Credential Manager, nowhere in the files), syncs and lists devices;
#   6. the uninstaller removes the programs, the shortcut, the uninstall entry and its PATH entry,
#      and keeps the user's data (settings, profiles, offline cache, sign-in); logout then removes
#      the sign-in.
# Debian's wine 8 lacks bcryptprimitives.dll, which Go's runtime loads at start: a stand-in built
# here from packaging/windows/wine/ goes into the prefix's system32 (it is never shipped). The
# prefix is new every run. Nothing sleeps a fixed time: each step waits for its window, process,
# output or file, bounded by a timeout. What Wine cannot show (a real console's treatment of a GUI
# program, code signing, SmartScreen) is in docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS
version=${VERSION:-$(sed -n 's/^Version *= *"\(.*\)"/\1/p' cmd/fleetdesk/FyneApp.toml)}
commit=${COMMIT:-$(git rev-parse --short=12 HEAD)}
exe=$root/dist/FleetDesk.exe
com=$root/dist/fleetdesk.com
setup=$root/dist/FleetDesk-$version-setup.exe
for f in "$exe" "$com" "$setup"; do
	[ -f "$f" ] || { echo "FAIL: $f not found (run make package-windows)" >&2; exit 1; }
done
art=$root/dist/wine # screenshots and logs, kept for a look after the run
rm -rf "$art" && mkdir -p "$art"
tmp=$(mktemp -d /tmp/fleetdesk-wine.XXXXXX)

fail() {
	echo "FAIL: $*" >&2
	for f in "$art"/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
	exit 1
}
ok() { printf 'ok:   %s  [%ds]\n' "$*" $((SECONDS - started)); }
# waitfor SECONDS WHAT CMD...: retries CMD until it succeeds; fails the run after SECONDS.
waitfor() {
	local secs=$1 what=$2 limit=$((SECONDS + $1))
	shift 2
	until "$@"; do
		[ $SECONDS -lt $limit ] || fail "gave up after waiting ${secs}s for $what"
		sleep 0.2
	done
}

# The stand-in DLL and the fleetsim, built before HOME moves (the Go caches live under it).
x86_64-w64-mingw32-gcc -O2 -Wall -shared -s -o "$tmp/bcryptprimitives.dll" \
	packaging/windows/wine/bcryptprimitives.c packaging/windows/wine/bcryptprimitives.def -lbcrypt -ladvapi32
go build -o "$tmp/fleetsim" ./cmd/fleetsim

sim_pid= xvfb_pid=
export WINEPREFIX=$tmp/prefix WINEARCH=win64 WINEDEBUG=-all LANG=C.UTF-8
# No menu entries on this machine's desktop, no Mono or Gecko download prompts.
export WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d"
export HOME=$tmp/home # Wine writes into the home directory; keep it in the throwaway one
mkdir -p "$HOME"
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	wineserver -k 2>/dev/null || true # ends every Wine process of this prefix, and the server
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A display of our own: Xvfb picks a free number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$tmp/display" 2>"$art/xvfb.log" &
xvfb_pid=$!
waitfor 30 "Xvfb" test -s "$tmp/display"
export DISPLAY=:$(cat "$tmp/display")
# The pointer off the window (1280x820 at most): Fyne 2.7.1's GLFW driver can crash on a cursor
# event that arrives while a window is closing (window.go processMouseMoved: view() is nil), which
# a pointer resting on the window produces when --measure-startup quits.
xdotool mousemove 1919 1079

# The prefix; the server stays up between commands (-p), so each wine call starts in well under a second.
mkdir -p "$WINEPREFIX"
wineserver -p
wineboot -i >"$art/wineboot.log" 2>&1 || fail "wineboot could not create the prefix"
cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
wuser=$(ls "$WINEPREFIX/drive_c/users" | grep -vx Public | head -n1)
uhome=$WINEPREFIX/drive_c/users/$wuser
ok "Wine $(wine --version) prefix for user $wuser, display $DISPLAY"

# run NAME CMD...: a Windows program through wine (at most RUN_LIMIT seconds, default 120), its
# output in $art/NAME.log and .err, with CRs dropped in $art/NAME.out; prints its exit status.
# Files, not pipes: a program it starts (the window) must not hold the caller's pipe open.
run() {
	local name=$1 rc=0
	shift
	timeout "${RUN_LIMIT:-120}" wine "$@" >"$art/$name.log" 2>"$art/$name.err" </dev/null || rc=$?
	tr -d '\r' <"$art/$name.log" >"$art/$name.out"
	echo "$rc"
}
expect_version() { # NAME: the version line this release prints
	grep -q "^FleetDesk $version (commit $commit, built 20" "$art/$1.out" ||
		fail "$1 printed \"$(head -c 200 "$art/$1.out")\", want \"FleetDesk $version (commit $commit, built ...)\""
}

# 1. The version, from both shipped programs.
[ "$(run exe-version "$exe" --version)" = 0 ] || fail "FleetDesk.exe --version failed"
expect_version exe-version
[ "$(run com-version "$com" --version)" = 0 ] || fail "fleetdesk.com --version failed"
expect_version com-version
ok "FleetDesk.exe and fleetdesk.com --version: $(cat "$art/com-version.out")"

# 2. The shipped window, on the demo: --measure-startup quits once the console's first rows are
# painted and says how many it shows.
rc=$(RUN_LIMIT=300 run measure "$exe" --demo --measure-startup)
[ "$rc" = 0 ] || fail "FleetDesk.exe --demo --measure-startup exited $rc"
grep -Eq '^first rows painted [0-9]+ ms after process start \([0-9,]+ units in the cache, [0-9,]+ ' "$art/measure.out" ||
	fail "--measure-startup printed \"$(cat "$art/measure.out")\""
ok "the window painted the demo console: $(cat "$art/measure.out")"

# 3. Install, silently, onto a user PATH that already has entries of the user's own.
userpath='C:\Tools;%USERPROFILE%\bin'
wine reg add 'HKCU\Environment' /v Path /t REG_EXPAND_SZ /d "$userpath" /f >/dev/null 2>&1
installer=$setup
if dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q 'install ok installed'; then
	echo "installing the shipped (32-bit) installer"
else
	installer=$tmp/FleetDesk-$version-setup-amd64.exe
	echo "NOTE: this Wine has no 32-bit support (wine32:i386), so the shipped 32-bit installer cannot"
	echo "      run here: installing the same script (packaging/windows/fleetdesk.nsi) built for 64 bits"
	echo "      (compressed with zlib rather than the shipped solid LZMA, which takes minutes)"
	scripts/package.sh windows-installer "$installer" -X"Target amd64-unicode" -DCOMPRESSOR=zlib
fi
[ "$(run install "$installer" /S)" = 0 ] || fail "the installer failed"
regval() { # KEY VALUE: the data of a registry value ("" when there is none)
	wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^ *$2 *REG_[A-Z_]* *//p"
}
regtype() { wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^ *$2 *\(REG_[A-Z_]*\).*/\1/p"; }
uninstkey='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\FleetDesk'
winst=$(regval 'HKCU\Software\FleetDesk' InstallDir)
inst=$uhome/AppData/Local/Programs/FleetDesk
[ "$winst" = "C:\\users\\$wuser\\AppData\\Local\\Programs\\FleetDesk" ] || fail "installed to \"$winst\""
cmp -s "$exe" "$inst/FleetDesk.exe" && cmp -s "$com" "$inst/fleetdesk.com" ||
	fail "the installed programs are not the shipped ones: $(ls "$inst" 2>&1)"
[ -f "$inst/Uninstall FleetDesk.exe" ] || fail "no uninstaller in $inst"
lnk=$uhome/AppData/Roaming/Microsoft/Windows/Start\ Menu/Programs/FleetDesk.lnk
[ -f "$lnk" ] || fail "no Start-menu entry ($lnk)"
[ "$(regval "$uninstkey" DisplayVersion)" = "$version" ] || fail "no uninstall entry for $version"
[ "$(regval "$uninstkey" QuietUninstallString)" = "\"$winst\\Uninstall FleetDesk.exe\" /S" ] || fail "no silent uninstall"
[ "$(regval 'HKCU\Environment' Path)" = "$userpath;$winst" ] ||
	fail "user PATH after install: \"$(regval 'HKCU\Environment' Path)\", want \"$userpath;$winst\""
[ "$(regtype 'HKCU\Environment' Path)" = REG_EXPAND_SZ ] || fail "user PATH is $(regtype 'HKCU\Environment' Path), not REG_EXPAND_SZ"
ok "installed ($(basename "$installer")): FleetDesk.exe, fleetdesk.com, Start menu, Apps entry, PATH=$userpath;$winst"

# 4. The command line from cmd.exe: `fleetdesk` is fleetdesk.com, found through the user's PATH.
[ "$(run cmd-version cmd /c fleetdesk --version)" = 0 ] || fail "cmd /c fleetdesk --version failed"
expect_version cmd-version
rc=$(run cmd-bad cmd /c fleetdesk no-such-command)
[ "$rc" = 2 ] || fail "cmd /c fleetdesk no-such-command returned $rc, want 2"
grep -q 'unknown command "no-such-command"' "$art/cmd-bad.err" || fail "no error message: $(cat "$art/cmd-bad.err")"
ok "cmd /c fleetdesk: prints its version, and returns exit status 2 with the error for an unknown command"

# With no command (window flags only), fleetdesk.com starts FleetDesk.exe and returns while the
# window stays open. --demo: a first run with no backend would otherwise ask (sign in, or the demo).
[ "$(run cmd-gui cmd /c fleetdesk --demo)" = 0 ] || fail "cmd /c fleetdesk --demo (the window) failed: $(cat "$art/cmd-gui.err")"
timeout 120 xdotool search --sync --onlyvisible --name '\(DEMO\)' >"$tmp/win" 2>/dev/null ||
	fail "no demo window within 120 s after \`fleetdesk --demo\` returned"
wid=$(head -n1 "$tmp/win")
title=$(xdotool getwindowname "$wid")
ok "cmd /c fleetdesk --demo returned at once, and the window \"$title\" opened"
# The screenshot, once the console's rows are painted: the band under the column headers (the
# first rows, at x 100-1280, y 190-250 of the window at the screen's corner) is one flat colour
# with grid lines while "Loading the fleet…", and full of text once rows are there.
shot=$art/demo-console.png
painted() {
	import -window root "$shot" 2>/dev/null &&
		[ "$(convert "$shot" -crop 1180x60+100+190 +repage -format %k info:)" -gt 40 ]
}
waitfor 60 "the console's rows on screen" painted
ok "screenshot $(realpath --relative-to="$root" "$shot") ($(identify -format '%wx%h, %k colours' "$shot"))"
xdotool windowfocus --sync "$wid" key --clearmodifiers alt+F4
prefsfile=$uhome/AppData/Roaming/fyne/io.fleetdesk.app/preferences.json
gone() { ! xdotool search --name '\(DEMO\)' >/dev/null 2>&1; }
waitfor 60 "the window to close on Alt+F4" gone
saved() { grep -q '"view.demo"' "$prefsfile" 2>/dev/null; }
waitfor 30 "the demo's view state in $prefsfile" saved
ok "Alt+F4 closed the window; the demo's view state and window size are saved"

# 5. The technician's command line against a fleetsim on 127.0.0.1, from the installed fleetdesk.com.
"$tmp/fleetsim" serve --devices 150 --dealers 1 --seed 3 --quiet >"$tmp/sim.out" 2>"$art/fleetsim.log" &
sim_pid=$!
waitfor 60 "the fleetsim" test -s "$tmp/sim.out"
url=$(head -n1 "$tmp/sim.out" | jq -r .url)
email=$(head -n1 "$tmp/sim.out" | jq -r '.accounts[] | select(.role=="dealer") | .email' | head -n1)
password=$(head -n1 "$tmp/sim.out" | jq -r '.accounts[] | select(.role=="dealer") | .password' | head -n1)
rc=0
wine "$inst/fleetdesk.com" login --backend "$url" --email "$email" <<<"$password" >"$art/login.log" 2>"$art/login.err" || rc=$?
[ "$rc" = 0 ] || fail "fleetdesk login exited $rc: $(tr -d '\r' <"$art/login.err")"
[ "$(run sync "$inst/fleetdesk.com" sync)" = 0 ] || fail "fleetdesk sync failed"
grep -q 'units in the cache' "$art/sync.out" || fail "fleetdesk sync printed \"$(cat "$art/sync.out")\""
[ "$(run devices "$inst/fleetdesk.com" devices --format csv)" = 0 ] || fail "fleetdesk devices failed"
rows=$(($(wc -l <"$art/devices.out") - 1))
[ "$rows" -gt 0 ] || fail "fleetdesk devices listed nothing: $(head -c 300 "$art/devices.out")"
# Wine keeps each credential as a subkey of its Credential Manager key (beside an EncryptionKey value).
creds() {
	wine reg query 'HKCU\Software\Wine\Credential Manager' 2>/dev/null | tr -d '\r' |
		grep -c '^HKEY_CURRENT_USER\\Software\\Wine\\Credential Manager\\.' || true
}
[ "$(creds)" -gt 0 ] || fail "no sign-in in Wine's Credential Manager after login"
if grep -rqaF -- "$password" "$uhome/AppData" 2>/dev/null; then fail "the password is in a file under AppData"; fi
ok "fleetdesk login, sync ($(head -n1 "$art/sync.out" | cut -c1-90)…), devices ($rows units); the sign-in is in the Credential Manager only"

# 6. Uninstall, silently; the NSIS uninstaller runs from a copy of itself, so wait for its effect.
[ "$(run uninstall "$inst/Uninstall FleetDesk.exe" /S)" = 0 ] || fail "the uninstaller failed"
uninstalled() { [ ! -e "$inst" ] && [ -z "$(regval "$uninstkey" DisplayName)" ]; }
waitfor 60 "the uninstaller to remove $inst and its entry" uninstalled
[ ! -e "$lnk" ] || fail "the Start-menu entry is still there"
[ "$(regval 'HKCU\Environment' Path)" = "$userpath" ] ||
	fail "user PATH after uninstall: \"$(regval 'HKCU\Environment' Path)\", want \"$userpath\""
[ "$(regtype 'HKCU\Environment' Path)" = REG_EXPAND_SZ ] || fail "user PATH type changed on uninstall"
for kept in "$prefsfile" "$uhome/AppData/Roaming/fleetdesk/config.json" "$uhome/AppData/Local/fleetdesk/default.db"; do
	[ -s "$kept" ] || fail "the uninstaller removed user data: $kept"
done
[ "$(creds)" -gt 0 ] || fail "the uninstaller removed the saved sign-in"
ok "uninstalled: programs, Start menu, Apps entry and PATH entry gone; settings, profile, cache and sign-in kept"
[ "$(run logout "$com" logout)" = 0 ] || fail "fleetdesk logout failed"
[ "$(creds)" = 0 ] || fail "the sign-in is still in the Credential Manager after logout"
ok "fleetdesk logout removed the sign-in"

echo "Windows run checks passed under $(wine --version) in $((SECONDS - started)) s."
