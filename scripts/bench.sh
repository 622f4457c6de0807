#!/usr/bin/env bash
# Runs every benchmark COUNT times (default 5), one package at a time so they do not compete for
# the cores, each with an iteration count that fits it (a 100,000-unit setup is paid per run, a
# 5 µs operation needs many iterations), writes bench.txt, then lets scripts/benchcheck take the
# medians, print the table, rewrite README.md's "Measured figures" block and fail on a missed
# target. The machine should be otherwise idle: the load average is recorded in the table.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
GO=${GO:-go}
OUT=${OUT:-bench.txt}
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# package   benchmarks   iterations per run
specs=(
	"./app/fleet           .                          200x"
	"./app/recovery        .                          1x"
	"./app/rollout         .                          20x"
	"./app/token           .                          200x"
	"./mapview             ^Benchmark[^M]             40x"
	"./mapview             ^BenchmarkMapMemory        3x"
	"./mapview/basemap     .                          20x"
	"./mapview/tiles       .                          20000x"
	"./sim                 .                          2x"
	"./sync/cache          .                          3x"
	"./sync/syncer         ^BenchmarkFullSync         3x"
	"./sync/syncer         ^BenchmarkDeltaSync        60x"
	"./ui/console          ^BenchmarkKeystroke        16x"
	"./ui/console          ^BenchmarkConsoleCold      2x"
	"./ui/console          ^BenchmarkConsoleMemory    1x"
	"./ui/mappage          .                          10x"
	"./ui/tokens           .                          20x"
)
: >"$OUT"
for spec in "${specs[@]}"; do
	read -r pkg re n <<<"$spec"
	echo "== $pkg $re ($n × $COUNT)" >&2
	scripts/with-keyring.sh "$GO" test -p 1 -run '^$' -bench "$re" -benchmem -benchtime "$n" -count "$COUNT" "$pkg" 2>&1 |
		grep -v -e 'Fyne error' -e 'Cause: language' -e 'At: .*locale.go' | tee -a "$OUT"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
"$GO" run ./scripts/benchcheck -readme README.md -load "$load_before at the start, $load_after at the end" "$OUT"
