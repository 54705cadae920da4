// Where the local control plane keeps binaries and state. test/cluster/paths.sh is the single source of
// truth (the Makefile and the shell scripts use it too); this module only runs it and reads its output.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLUSTER_SCRIPTS_DIR = fileURLToPath(new URL('.', import.meta.url));
const PATHS_SCRIPT = fileURLToPath(new URL('./paths.sh', import.meta.url));
const VERSIONS_FILE = fileURLToPath(new URL('./versions.env', import.meta.url));

export interface ClusterPaths {
  repoRoot: string;
  /** `$BULWARK_CACHE`, by default `~/.cache/bulwark`. */
  cacheDir: string;
  /** The built binaries: kube-apiserver, etcd, kwok, kwokctl, kubectl, helm, ... */
  binDir: string;
  clusterName: string;
  clusterStateDir: string;
  kubeconfigPath: string;
}

function parseKeyValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq > 0) values.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  return values;
}

function required(values: Map<string, string>, key: string, source: string): string {
  const value = values.get(key);
  if (value === undefined || value === '') throw new Error(`${source} did not define ${key}`);
  return value;
}

export function clusterPaths(name = 'bulwark'): ClusterPaths {
  const values = parseKeyValues(execFileSync('bash', [PATHS_SCRIPT, name], { encoding: 'utf8' }));
  return {
    repoRoot: required(values, 'REPO_ROOT', PATHS_SCRIPT),
    cacheDir: required(values, 'BULWARK_CACHE', PATHS_SCRIPT),
    binDir: required(values, 'BIN_DIR', PATHS_SCRIPT),
    clusterName: required(values, 'CLUSTER_NAME', PATHS_SCRIPT),
    clusterStateDir: required(values, 'CLUSTER_STATE_DIR', PATHS_SCRIPT),
    kubeconfigPath: required(values, 'KUBECONFIG_PATH', PATHS_SCRIPT),
  };
}

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  helm: string;
  go: string;
}

/** The versions pinned in test/cluster/versions.env, for messages and reports. */
export function pinnedVersions(): PinnedVersions {
  const values = parseKeyValues(readFileSync(VERSIONS_FILE, 'utf8'));
  return {
    kubernetes: required(values, 'KUBE_VERSION', VERSIONS_FILE),
    etcd: required(values, 'ETCD_VERSION', VERSIONS_FILE),
    kwok: required(values, 'KWOK_VERSION', VERSIONS_FILE),
    helm: required(values, 'HELM_VERSION', VERSIONS_FILE),
    go: required(values, 'GO_VERSION', VERSIONS_FILE),
  };
}
