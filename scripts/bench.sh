#!/usr/bin/env bash
# Runs every benchmark COUNT times (default 5) as scripts/benchcheck plans it (its benchmarks.go
# is the one list: package, iterations a run, targets), one package at a time so they do not
# compete for the cores, writes bench.txt (headed by the commit measured), then lets benchcheck
# take the medians, print the table, rewrite README.md's "Measured figures" block and fail on a
# missed target or a benchmark that did not run. The machine should be otherwise idle: the load
# average is recorded in the table.
#
# SMOKE=1 is CI's run instead: every benchmark in the tree once (-benchtime 1x), into
# bench-smoke.txt, and benchcheck -smoke fails when a listed benchmark did not run or one is not
# listed. It proves each still runs; one iteration says nothing about speed.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
GO=${GO:-go}
TAGS=${TAGS:-no_emoji}
quiet() { grep -v -e 'Fyne error' -e 'Cause: language' -e 'At: .*locale.go' -e 'Failed to set fd limit'; }

if [ -n "${SMOKE:-}" ]; then
	OUT=${OUT:-bench-smoke.txt}
	# -p 1: one package's benchmarks at a time, as make bench runs them.
	scripts/with-keyring.sh "$GO" test -tags "$TAGS" -p 1 -run '^$' -bench . -benchtime 1x -timeout 20m ./... 2>&1 | quiet | tee "$OUT"
	exec "$GO" run ./scripts/benchcheck -smoke "$OUT"
fi

OUT=${OUT:-bench.txt}
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- '*.go' 2>/dev/null)" ]; then
	commit="$commit+uncommitted"
fi
echo "commit: $commit" >"$OUT"
"$GO" run ./scripts/benchcheck -plan | while read -r pkg re n; do
	echo "== $pkg $re ($n × $COUNT)" >&2
	scripts/with-keyring.sh "$GO" test -tags "$TAGS" -p 1 -run '^$' -bench "$re" -benchmem -benchtime "$n" -count "$COUNT" "$pkg" 2>&1 |
		quiet | tee -a "$OUT"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
"$GO" run ./scripts/benchcheck -readme README.md -load "$load_before at the start, $load_after at the end" "$OUT"
