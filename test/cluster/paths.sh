#!/usr/bin/env bash
# Where the local control plane keeps its binaries and state. This is the single source of truth:
# build-binaries.sh and cluster.sh source it, and test/cluster/paths.ts runs it (`paths.sh NAME`)
# and reads the KEY=value lines it prints.
#
# BIN_DIR is keyed by a hash of everything that decides what gets built (versions, the build script,
# the wrapper modules), so changing a version builds into a fresh directory and old ones stay usable
# until removed.

bulwark_paths() {
  local name="${1:-bulwark}"
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

  # These are read by the scripts that source this file.
  # shellcheck disable=SC2034
  REPO_ROOT="$(cd "$here/../.." && pwd)"
  # shellcheck disable=SC2034
  VERSIONS_FILE="$here/versions.env"
  BULWARK_CACHE="${BULWARK_CACHE:-$HOME/.cache/bulwark}"

  local hash
  hash="$(
    cd "$here" &&
      find versions.env build-binaries.sh gomod -type f \( -name '*.env' -o -name '*.sh' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.go' \) |
      LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
  )"
  BIN_DIR="$BULWARK_CACHE/bin-$hash"

  CLUSTER_NAME="$name"
  # The default cluster keeps the path the README promises; any other name gets its own directory.
  if [[ "$name" == bulwark ]]; then
    CLUSTER_STATE_DIR="$REPO_ROOT/.cache/cluster"
  else
    CLUSTER_STATE_DIR="$REPO_ROOT/.cache/cluster-$name"
  fi
  KUBECONFIG_PATH="$CLUSTER_STATE_DIR/kubeconfig"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  bulwark_paths "${1:-bulwark}"
  printf '%s=%s\n' \
    REPO_ROOT "$REPO_ROOT" \
    BULWARK_CACHE "$BULWARK_CACHE" \
    BIN_DIR "$BIN_DIR" \
    CLUSTER_NAME "$CLUSTER_NAME" \
    CLUSTER_STATE_DIR "$CLUSTER_STATE_DIR" \
    KUBECONFIG_PATH "$KUBECONFIG_PATH"
fi
