#!/usr/bin/env bash
# `make check-version`: a plain `go build ./cmd/fleetdesk`, with no -ldflags, names the build it is:
# `fleetdesk --version` prints "FleetDesk dev (commit <HEAD>[+dirty], built <HEAD's commit time>)"
# from what Go stamps into the binary (vcs.revision, vcs.time, vcs.modified; internal/version).
#
# Go stamps that only when it finds a .git directory, and not with -buildvcs=false (which some
# machines set in GOFLAGS): the build here asks for it (-buildvcs=true), and in a git worktree
# (.git is a file there, which Go does not follow) it builds a fresh clone of HEAD instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$PWD
if [ ! -d .git ]; then
	echo "a git worktree: Go stamps no VCS information here, so building a clone of HEAD"
	git clone -q --no-checkout "$(git rev-parse --git-common-dir)" "$tmp/src"
	git -C "$tmp/src" checkout -q --detach "$(git rev-parse HEAD)"
	src=$tmp/src
fi
(cd "$src" && GOFLAGS= go build -buildvcs=true -tags "${TAGS:-no_emoji}" -o "$tmp/fleetdesk" ./cmd/fleetdesk)
got=$(LANG=C.UTF-8 "$tmp/fleetdesk" --version)
rev=$(git -C "$src" rev-parse --short=12 HEAD)
dirty=$([ -n "$(git -C "$src" status --porcelain)" ] && echo +dirty || true)
when=$(TZ=UTC git -C "$src" log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd HEAD)
want="FleetDesk dev (commit $rev$dirty, built $when)"
if [ "$got" != "$want" ]; then
	echo "FAIL: a plain go build printed \"$got\", want \"$want\"" >&2
	exit 1
fi
echo "ok:   a plain go build names its commit: $got"
