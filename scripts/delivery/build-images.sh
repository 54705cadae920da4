#!/usr/bin/env bash
# `make images`: builds the operator, guard and profile-installer images from ./Dockerfile with the first
# working engine among docker (with a reachable daemon), podman and buildah.
#
#   IMAGE_REGISTRY  default ghcr.io/bulwark-dev      IMAGE_TAG  default: package.json version
#   ENGINE          force one of docker|podman|buildah
#   TARGETS         default "operator guard profile-installer"
#
# Exit status: 0 built; 2 no usable engine (the message says what was found and why it cannot be used);
# anything else: the build failed. No engine is an error, not a skip, so a release job that expects
# images cannot pass without them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

registry="${IMAGE_REGISTRY:-ghcr.io/bulwark-dev}"
version="$(node -p 'require("./package.json").version' 2>/dev/null || echo 0.1.0)"
tag="${IMAGE_TAG:-$version}"
targets=(${TARGETS:-operator guard profile-installer})
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

why=()
usable() {
  case "$1" in
  docker)
    command -v docker >/dev/null 2>&1 || { why+=("docker: not installed"); return 1; }
    docker info >/dev/null 2>&1 || { why+=("docker: CLI present but no daemon answers (docker info failed)"); return 1; }
    ;;
  podman)
    command -v podman >/dev/null 2>&1 || { why+=("podman: not installed"); return 1; }
    ;;
  buildah)
    command -v buildah >/dev/null 2>&1 || { why+=("buildah: not installed"); return 1; }
    ;;
  *)
    why+=("$1: not a supported engine"); return 1 ;;
  esac
}

engine=""
for candidate in ${ENGINE:-docker podman buildah}; do
  if usable "$candidate"; then engine="$candidate"; break; fi
done
if [[ -z "$engine" ]]; then
  {
    echo "make images: no container engine can build here."
    printf '  %s\n' "${why[@]}"
    echo "Install podman or buildah (daemonless; apt-get install podman), or start a Docker daemon."
  } >&2
  exit 2
fi

for target in "${targets[@]}"; do
  image="$registry/$target:$tag"
  echo "make images: $engine building $image (target $target)" >&2
  args=(--target "$target" --tag "$image" --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created" .)
  case "$engine" in
  docker) DOCKER_BUILDKIT=1 docker build "${args[@]}" ;;
  podman) podman build "${args[@]}" ;;
  buildah) buildah build "${args[@]}" ;;
  esac
done
