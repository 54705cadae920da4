#!/usr/bin/env bash
# Copies the generated CRDs (crds/, from the zod schemas in api/) into the chart. Helm installs
# charts/bulwark/crds/ before the templates. test/delivery/chart-crds.test.ts fails when the two differ;
# run this (or `make chart-sync`) after `make generate`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="$root/charts/bulwark/crds"
mkdir -p "$dest"
# Remove CRDs that no longer exist at the source, then copy byte for byte.
for f in "$dest"/*.yaml; do
  [[ -e "$f" ]] || continue
  [[ -e "$root/crds/$(basename "$f")" ]] || rm -f "$f"
done
cp "$root"/crds/*.yaml "$dest/"
echo "synced $(ls "$root"/crds/*.yaml | wc -l) CRD file(s) into charts/bulwark/crds/"
