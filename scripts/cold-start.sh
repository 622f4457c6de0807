#!/usr/bin/env bash
# Cold start of the real binary: a cache of $DEVICES (default 100,000) units synced from a
# separate fleetsim, the backend then stopped (nothing listens on its port), and
# `fleetdesk --measure-startup` started $RUNS times (default 5) under Xvfb. Each run prints the
# time from process start to the first rows painted; the script prints them and the median.
# Target: under 1 s.
DEVICES=${DEVICES:-100000}
RUNS=${RUNS:-5}
source "$(dirname "$0")/fleetsim-session.sh"
stop_sim
display=:${COLD_DISPLAY:-93}
Xvfb "$display" -screen 0 1360x860x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; cleanup' EXIT
sleep 1
times=()
for i in $(seq "$RUNS"); do
	out=$(DISPLAY=$display LANG=C.UTF-8 timeout 120 "${FD[@]}" --measure-startup --page console 2>"$TMP/gui.log" || true)
	ms=$(grep -o 'painted [0-9]* ms' <<<"$out" | grep -o '[0-9]*' || true)
	if [ -z "$ms" ]; then
		echo "run $i: no measurement"; cat "$TMP/gui.log" >&2; exit 1
	fi
	echo "run $i: $out"
	times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "cold start, $DEVICES units, no backend: median $median ms over $RUNS runs (load average $(cut -d' ' -f1-3 /proc/loadavg))"
[ "$median" -lt 1000 ]
