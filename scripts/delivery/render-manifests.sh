#!/usr/bin/env bash
# Renders manifests/ (plain YAML for `kubectl apply`, no Helm needed) from charts/bulwark. The files are
# committed; test/delivery/manifests.test.ts re-renders them and fails on drift. `make manifests`.
#
#   manifests/bulwark.yaml            namespace bulwark-system (restricted), CRDs, operator, RBAC, NetworkPolicy,
#                                     PDB, metrics Service, Grafana dashboard ConfigMap (cluster-wide mode)
#   manifests/monitoring.yaml         ServiceMonitor + PrometheusRule (needs the Prometheus Operator CRDs)
#   manifests/profile-installer.yaml  the PRIVILEGED node profile installer (opt-in), in bulwark-profiles
#
# HELM overrides the helm binary (default: the one test/cluster/build-binaries.sh builds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
helm="${HELM:-$("$root/test/cluster/build-binaries.sh" --print-dir)/helm}"
[[ -x "$helm" ]] || { echo "render-manifests: no helm at $helm; run \`make binaries\` or set HELM" >&2; exit 1; }
out="${1:-$root/manifests}"
chart="$root/charts/bulwark"
ns=bulwark-system
kube_version=v1.36.3

render() { "$helm" template bulwark "$chart" --namespace "$ns" --kube-version "$kube_version" "$@"; }

header() {
  printf '# Rendered from charts/bulwark by scripts/delivery/render-manifests.sh. Do not edit: change the\n'
  printf '# chart and run `make manifests`. %s\n' "$1"
}

{
  header 'Install: kubectl apply --server-side -f manifests/bulwark.yaml'
  cat <<YAML
---
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    app.kubernetes.io/part-of: bulwark
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
YAML
  render --include-crds
} >"$out/bulwark.yaml"

{
  header 'Needs the Prometheus Operator CRDs (monitoring.coreos.com).'
  render --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true \
    --show-only templates/servicemonitor.yaml --show-only templates/prometheusrule.yaml
} >"$out/monitoring.yaml"

{
  header 'PRIVILEGED: writes to the kubelet directory and loads AppArmor profiles. See docs/install-kind.md.'
  render --set profileInstaller.enabled=true --set profileInstaller.mode=daemonset \
    --show-only templates/profile-installer.yaml
} >"$out/profile-installer.yaml"

echo "rendered $out/{bulwark,monitoring,profile-installer}.yaml" >&2
