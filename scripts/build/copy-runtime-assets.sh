#!/usr/bin/env bash
# tsc emits only JavaScript; data files the code reads at run time beside its modules
# (new URL('./x.json', import.meta.url)), such as the jailbreak corpus, must be copied next to the
# compiled files. Used by `make build`, the Dockerfile's build stage and bench/guard.
#
#   scripts/build/copy-runtime-assets.sh OUT_DIR   copies <src>/**/*.json to OUT_DIR/<src>/**
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?usage: copy-runtime-assets.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
# The folders tsconfig.build.json compiles; test fixtures and tsconfig files are not runtime data.
find api operator sidecar shared cli -type f -name '*.json' \
  ! -path '*/testdata/*' ! -name 'tsconfig*.json' -print0 |
  while IFS= read -r -d '' file; do
    mkdir -p "$out/$(dirname "$file")"
    cp "$file" "$out/$file"
  done
