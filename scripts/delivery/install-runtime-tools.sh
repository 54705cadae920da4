#!/usr/bin/env bash
# Installs the Debian packages the real-runtime tests need: runc (the OCI runtime that enforces our
# generated seccomp profile) and apparmor (for apparmor_parser, which parses our AppArmor profiles).
# Idempotent and cheap when both are already there; called by `make test-prereqs` (mk/delivery.mk).
#
# Needs root for apt-get. When neither the tools nor root are available it says so and exits 0: the
# tests that need the tools then skip with the same message rather than fail on a developer laptop.
set -euo pipefail

log() { printf '[delivery-tools] %s\n' "$*" >&2; }

need=()
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v apparmor_parser >/dev/null 2>&1 || need+=(apparmor)
if ((${#need[@]} == 0)); then
  log "runc and apparmor_parser present"
  exit 0
fi

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing ${need[*]} and cannot install them (needs root and apt-get); runtime tests will skip"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Another process may hold the dpkg lock (a parallel make, unattended upgrades); wait for it.
apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
# `apt-get install` fails on a machine whose package lists were never fetched; update only then, or
# when the first attempt fails because the lists are stale.
if ! apt-get "${apt_opts[@]}" install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  log "apt-get update"
  apt-get "${apt_opts[@]}" update -qq
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${need[@]}"
fi
log "installed ${need[*]}: $(runc --version | head -1); $(apparmor_parser --version | head -1)"
