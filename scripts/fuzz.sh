#!/usr/bin/env bash
# Fuzzes every Fuzz target in the tree for the given time each (default 30s).
set -euo pipefail
t=${1:-30s}
TAGS=${TAGS:-no_emoji} # the app's build tags: fuzz what ships
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | while read -r f; do
  pkg="./$(dirname "${f#./}")"
  grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$f" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | while read -r fn; do
    echo "== $pkg $fn ($t)"
    go test -tags "$TAGS" -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "$pkg"
  done
done
