#!/usr/bin/env bash
# Builds the Go tools the delivery tests use, from the pinned wrapper modules under gomod/, into a cache
# directory keyed by their go.mod/go.sum (rebuilt only when a pin changes):
#
#   kube-score    lints the chart's output and what the operator renders (test/delivery/kube-score.test.ts)
#   promql-check  parses the chart's alert rules and dashboard queries with Prometheus's PromQL parser
#
# kube-linter, which issue 7 names, cannot be built here: the Go module proxy refuses both
# golang.stackrox.io/kube-linter and github.com/stackrox/kube-linter (403, host not on the allowlist).
#
#   build-tools.sh              build unless up to date
#   build-tools.sh --print-dir  print the directory and exit
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BULWARK_CACHE:-$HOME/.cache/bulwark}"
hash="$(cd "$here" && find gomod build-tools.sh -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
dir="$cache/delivery-tools-$hash"

if [[ "${1:-}" == --print-dir ]]; then
  printf '%s\n' "$dir"
  exit 0
fi
complete() { [[ -x "$dir/kube-score" && -x "$dir/promql-check" ]]; }
if complete; then
  echo "[delivery-tools] up to date: $dir" >&2
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "[delivery-tools] go not found; the kube-score and PromQL tests will skip" >&2
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/delivery-tools.lock"
flock 9
complete && exit 0
tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
echo "[delivery-tools] building kube-score and promql-check into $dir" >&2
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
(cd "$here/gomod/kube-score" && go build -trimpath -ldflags "-s -w" -o "$tmp/kube-score" github.com/zegl/kube-score/cmd/kube-score)
(cd "$here/gomod/promql-check" && go build -trimpath -ldflags "-s -w" -o "$tmp/promql-check" .)
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "[delivery-tools] built $dir/{kube-score,promql-check}" >&2
