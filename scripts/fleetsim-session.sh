# Sourced by scripts/cold-start.sh and scripts/idle-cpu.sh: builds the binaries, starts a separate
# fleetsim with $DEVICES units, and signs the real fleetdesk binary in to it (login + a full sync)
# with a throwaway config and cache. Sets FD (fleetdesk with those dirs as flags), SIM_PID and
# TMP; stop_sim stops the backend, cleanup removes everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${FLEETDESK_IN_KEYRING:-}" ]; then
	# The saved sign-in lives in the OS keyring: run on a private, unlocked one.
	FLEETDESK_IN_KEYRING=1 exec scripts/with-keyring.sh "$0" "$@"
fi
# What the measuring scripts run besides Go: Xvfb for the window, jq to read fleetsim's ready line.
scripts/deps.sh xvfb jq
go build -tags "${TAGS:-no_emoji}" -o bin/fleetdesk ./cmd/fleetdesk
go build -o bin/fleetsim ./cmd/fleetsim
TMP=$(mktemp -d)
SIM_PID=
stop_sim() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
		SIM_PID=
	fi
}
cleanup() {
	stop_sim
	rm -rf "$TMP"
}
trap cleanup EXIT
# SIM_ARGS adds fleetsim flags: --manual-clock holds simulated time still, so nothing changes.
# shellcheck disable=SC2086
bin/fleetsim serve --devices "$DEVICES" --dealers 1 --seed 3 --quiet ${SIM_ARGS:-} >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
for _ in $(seq 600); do
	[ -s "$TMP/sim.out" ] && break
	sleep 0.1
done
ready=$(head -n1 "$TMP/sim.out")
url=$(jq -r .url <<<"$ready")
email=$(jq -r '.accounts[] | select(.role=="dealer") | .email' <<<"$ready" | head -n1)
password=$(jq -r '.accounts[] | select(.role=="dealer") | .password' <<<"$ready" | head -n1)
FD=(bin/fleetdesk --config "$TMP/config.json" --cache-dir "$TMP/cache")
fd() { local cmd=$1; shift; bin/fleetdesk "$cmd" --config "$TMP/config.json" --cache-dir "$TMP/cache" "$@"; }
echo "$password" | fd login --backend "$url" --email "$email" >/dev/null
fd sync --quiet
