#!/usr/bin/env bash
# Idle cost of the real binary: a separate fleetsim with $DEVICES units (default 20,000) keeps
# running, fleetdesk signs in to it (saved sign-in, first sync done) and is started under Xvfb on
# each page in turn; after $WARMUP seconds (default 15) the script reads the process's CPU ticks
# from /proc/PID/stat over $SECONDS_PER_PAGE seconds (default 30) and prints the share of one
# core and the RSS. Targets: under 2% of one core on every page, and an RSS under $RSS_LIMIT_MB
# (default 300 MB, the target at 100,000 units: DEVICES=100000). Pages: $PAGES.
DEVICES=${DEVICES:-20000}
WARMUP=${WARMUP:-15}
SPAN=${SECONDS_PER_PAGE:-30}
PAGES=${PAGES:-console map manage rollouts tokens recovery settings}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-300}
source "$(dirname "$0")/fleetsim-session.sh"
display=:${IDLE_DISPLAY:-94}
Xvfb "$display" -screen 0 1360x860x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; cleanup' EXIT
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
hz=$(getconf CLK_TCK)
worst=0
worst_rss=0
printf '| page | CPU (%% of one core) | RSS |\n| --- | --- | --- |\n'
for page in $PAGES; do
	DISPLAY=$display LANG=C.UTF-8 "${FD[@]}" --page "$page" --window 1360x860 >/dev/null 2>"$TMP/gui-$page.log" &
	app=$!
	sleep "$WARMUP"
	if ! kill -0 "$app" 2>/dev/null; then
		echo "fleetdesk exited on page $page:" >&2
		cat "$TMP/gui-$page.log" >&2
		exit 1
	fi
	t0=$(ticks "$app")
	sleep "$SPAN"
	t1=$(ticks "$app")
	rss_mb=$(awk '/^VmRSS/ {printf "%d", $2/1024}' "/proc/$app/status")
	rss="$rss_mb MB"
	worst_rss=$((rss_mb > worst_rss ? rss_mb : worst_rss))
	kill "$app" 2>/dev/null || true
	wait "$app" 2>/dev/null || true
	pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SPAN" 'BEGIN {printf "%.1f", d / hz / s * 100}')
	printf '| %s | %s | %s |\n' "$page" "$pct" "$rss"
	worst=$(awk -v a="$worst" -v b="$pct" 'BEGIN {print (b > a) ? b : a}')
done
echo "worst page: $worst% of one core, RSS $worst_rss MB ($DEVICES units, load average $(cut -d' ' -f1-3 /proc/loadavg))"
awk -v w="$worst" 'BEGIN {exit !(w < 2)}' && [ "$worst_rss" -lt "$RSS_LIMIT_MB" ]
