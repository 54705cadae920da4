// The profile installer's entry point (the `profile-installer` image, a privileged DaemonSet from the
// chart). Every --interval seconds it lists the operator's profile ConfigMaps and converges this node
// to them; level-based, so a missed change or a restart is repaired by the next pass.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  apparmorParser,
  collectProfiles,
  detectLsm,
  PROFILE_SELECTOR,
  type ProfileConfigMap,
  syncNode,
} from './profiles.ts';

function log(message: string, fields: Record<string, unknown> = {}): void {
  // ECS-style field names, like the rest of Bulwark's logs.
  console.log(
    JSON.stringify({
      '@timestamp': new Date().toISOString(),
      'log.level': 'info',
      message,
      'host.name': process.env.NODE_NAME,
      ...fields,
    }),
  );
}

// In-cluster API access with nothing but node:https: the image carries no node_modules, and the only
// call is one LIST per pass. https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/
// Overridable so the integration test can run the installer outside a pod with a TokenRequest token.
const SA_DIR = process.env.SERVICEACCOUNT_DIR ?? '/var/run/secrets/kubernetes.io/serviceaccount';

interface ConfigMapList {
  items: { metadata?: { namespace?: string; name?: string }; data?: Record<string, string> }[];
}

function getJson<T>(path: string): Promise<T> {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: the installer runs in a pod');
  // Re-read each time: the kubelet rotates the projected token.
  const token = readFileSync(`${SA_DIR}/token`, 'utf8').trim();
  const ca = readFileSync(`${SA_DIR}/ca.crt`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        path,
        ca,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 300)}`));
          else resolve(JSON.parse(body) as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function listProfileConfigMaps(namespaces: string[]): Promise<ProfileConfigMap[]> {
  const selector = `labelSelector=${encodeURIComponent(PROFILE_SELECTOR)}`;
  const paths = namespaces.length
    ? namespaces.map((ns) => `/api/v1/namespaces/${encodeURIComponent(ns)}/configmaps?${selector}`)
    : [`/api/v1/configmaps?${selector}`];
  const lists = await Promise.all(paths.map((p) => getJson<ConfigMapList>(p)));
  return lists.flatMap((list) =>
    list.items.map((cm) => ({
      namespace: cm.metadata?.namespace ?? '',
      name: cm.metadata?.name ?? '',
      data: cm.data ?? {},
    })),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'host-root': { type: 'string', default: '/host' },
      'seccomp-dir': { type: 'string', default: '/var/lib/kubelet/seccomp/bulwark' },
      'apparmor-dir': { type: 'string', default: '/tmp/bulwark-apparmor' },
      interval: { type: 'string', default: '30' },
      namespaces: { type: 'string', default: '' },
      once: { type: 'boolean', default: false },
    },
  });
  const intervalMs = Math.max(5, Number(values.interval)) * 1000;
  const namespaces = values.namespaces.split(',').filter(Boolean);
  const seccompDir = join(values['host-root'], values['seccomp-dir']);
  const lsm = detectLsm();
  const loader = apparmorParser(process.env.APPARMOR_PARSER ?? 'apparmor_parser');
  log('profile installer started', { lsm, seccompDir, namespaces });

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping = true));

  while (!stopping) {
    try {
      const profiles = collectProfiles(await listProfileConfigMaps(namespaces));
      for (const r of profiles.rejected) log('profile rejected', r);
      const result = await syncNode(profiles, {
        seccompDir,
        apparmorDir: values['apparmor-dir'],
        lsm,
        loader,
        log,
      });
      const changed =
        result.seccomp.written.length + result.seccomp.removed.length + result.apparmor.loaded.length;
      if (changed > 0 || result.apparmor.failed.length > 0) log('node synced', { result });
    } catch (err) {
      log('sync failed; retrying next interval', { 'log.level': 'error', error: (err as Error).message });
    }
    if (values.once) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

await main();
