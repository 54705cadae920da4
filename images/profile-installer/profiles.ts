// What the profile installer does on one node, as functions of their inputs so they can be tested
// against a temporary directory: pick the profiles out of the operator's ConfigMaps, write the seccomp
// ones where the kubelet looks for `type: Localhost` profiles, and load the AppArmor ones.
//
// Kubelet resolves `localhostProfile: bulwark/x.json` against <kubelet root>/seccomp
// (https://kubernetes.io/docs/tutorials/security/seccomp/#create-pod-that-uses-seccomp-profile).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Component, Label, MANAGED_BY, SecurityProfiles } from '../../operator/constants.ts';

const execFileAsync = promisify(execFile);

/** The labels the operator puts on the ConfigMaps that carry profiles (operator/desired/securityprofiles.ts). */
export const PROFILE_SELECTOR = `${Label.managedBy}=${MANAGED_BY},${Label.component}=${Component.securityProfiles}`;
export const SECCOMP_SUFFIX = SecurityProfiles.seccompSuffix;
export const APPARMOR_SUFFIX = SecurityProfiles.appArmorSuffix;
/** Safe as a file name and as a `localhostProfile` path segment. */
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ProfileConfigMap {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

export interface Profiles {
  seccomp: Map<string, string>;
  apparmor: Map<string, string>;
  /** Keys skipped, with the reason, for the log. */
  rejected: { source: string; key: string; reason: string }[];
}

function isSeccompProfile(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { defaultAction?: unknown };
    return typeof parsed.defaultAction === 'string';
  } catch {
    return false;
  }
}

/**
 * Collects the profiles of every ConfigMap. A key names the file on the node, so the operator makes keys
 * unique (it puts a content hash in them); when two ConfigMaps disagree on one key, the first in
 * namespace/name order wins and the other is reported.
 */
export function collectProfiles(configMaps: ProfileConfigMap[]): Profiles {
  const profiles: Profiles = { seccomp: new Map(), apparmor: new Map(), rejected: [] };
  const sorted = [...configMaps].sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
  for (const cm of sorted) {
    const source = `${cm.namespace}/${cm.name}`;
    for (const [key, text] of Object.entries(cm.data).sort(([a], [b]) => a.localeCompare(b))) {
      const reject = (reason: string) => profiles.rejected.push({ source, key, reason });
      if (!KEY_PATTERN.test(key)) {
        reject('key is not a safe file name');
        continue;
      }
      const target = key.endsWith(SECCOMP_SUFFIX)
        ? profiles.seccomp
        : key.endsWith(APPARMOR_SUFFIX)
          ? profiles.apparmor
          : undefined;
      if (!target) continue;
      if (target === profiles.seccomp && !isSeccompProfile(text)) {
        reject('not a seccomp profile (JSON with defaultAction)');
        continue;
      }
      const existing = target.get(key);
      if (existing !== undefined && existing !== text) {
        reject('another ConfigMap holds a different profile under this key');
        continue;
      }
      target.set(key, text);
    }
  }
  return profiles;
}

export type Lsm = 'apparmor' | 'selinux' | 'none';

/** Which mandatory access control the node runs, from the filesystems the DaemonSet mounts. */
export function detectLsm(sysRoot = '/sys'): Lsm {
  // https://docs.kernel.org/admin-guide/LSM/apparmor.html: the securityfs directory exists when enabled.
  if (existsSync(join(sysRoot, 'kernel/security/apparmor'))) return 'apparmor';
  if (existsSync(join(sysRoot, 'fs/selinux/enforce'))) return 'selinux';
  return 'none';
}

async function writeIfChanged(path: string, text: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return false;
  // Write then rename: the kubelet never reads a half-written profile.
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
  return true;
}

/**
 * Makes `dir` hold exactly the given files (it is ours: nothing else writes there). Returns the files
 * written and removed.
 */
export async function syncDirectory(
  dir: string,
  files: Map<string, string>,
): Promise<{ written: string[]; removed: string[] }> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const removed: string[] = [];
  for (const [name, text] of files) {
    if (await writeIfChanged(join(dir, name), text)) written.push(name);
  }
  for (const name of await readdir(dir)) {
    if (!files.has(name)) {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return { written, removed };
}

export interface AppArmorLoader {
  /** Loads or replaces the profile in `file` (`apparmor_parser --replace`). */
  load(file: string): Promise<void>;
  /** Unloads the profile in `file` (`apparmor_parser --remove`). */
  unload(file: string): Promise<void>;
}

/** apparmor_parser as the loader; `extraArgs` lets tests add `-Q` (parse without touching the kernel). */
export function apparmorParser(parser = 'apparmor_parser', extraArgs: string[] = []): AppArmorLoader {
  const run = async (flag: string, file: string) => {
    try {
      await execFileAsync(parser, [...extraArgs, flag, file]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw new Error(`${parser} ${flag} ${file} failed${stderr ? `: ${stderr}` : ''}`, { cause: err });
    }
  };
  return { load: (file) => run('--replace', file), unload: (file) => run('--remove', file) };
}

export interface NodeSyncOptions {
  seccompDir: string;
  /** Where loaded AppArmor profiles are kept, to know what to unload later. */
  apparmorDir: string;
  lsm: Lsm;
  loader: AppArmorLoader;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface NodeSyncResult {
  seccomp: { written: string[]; removed: string[] };
  apparmor: { loaded: string[]; unloaded: string[]; failed: string[]; skipped: boolean };
}

/** One level-based pass: after it the node holds exactly `profiles`. */
export async function syncNode(profiles: Profiles, opts: NodeSyncOptions): Promise<NodeSyncResult> {
  const seccomp = await syncDirectory(opts.seccompDir, profiles.seccomp);
  const apparmor: NodeSyncResult['apparmor'] = { loaded: [], unloaded: [], failed: [], skipped: false };

  if (opts.lsm !== 'apparmor') {
    apparmor.skipped = true;
    if (profiles.apparmor.size > 0) {
      opts.log(
        opts.lsm === 'selinux'
          ? 'SELinux node: AppArmor profiles are not loaded here; pods on this node get seccomp and SELinux confinement'
          : 'AppArmor is not enabled on this node (no /sys/kernel/security/apparmor); AppArmor profiles skipped',
        { lsm: opts.lsm, profiles: [...profiles.apparmor.keys()] },
      );
    }
    return { seccomp, apparmor };
  }

  await mkdir(opts.apparmorDir, { recursive: true });
  for (const name of await readdir(opts.apparmorDir)) {
    if (profiles.apparmor.has(name)) continue;
    try {
      await opts.loader.unload(join(opts.apparmorDir, name));
      apparmor.unloaded.push(name);
    } catch (err) {
      opts.log('could not unload a stale AppArmor profile', { profile: name, error: (err as Error).message });
    }
    await rm(join(opts.apparmorDir, name), { force: true });
  }
  for (const [name, text] of profiles.apparmor) {
    const path = join(opts.apparmorDir, name);
    if (!(await writeIfChanged(path, text))) continue;
    try {
      await opts.loader.load(path);
      apparmor.loaded.push(name);
    } catch (err) {
      // Drop the file so the next pass retries the load.
      await rm(path, { force: true });
      apparmor.failed.push(name);
      opts.log('could not load an AppArmor profile', { profile: name, error: (err as Error).message });
    }
  }
  return { seccomp, apparmor };
}
