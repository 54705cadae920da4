// The profile installer's entry point (the `profile-installer` image, a privileged DaemonSet from the
// chart). Every --interval seconds it lists the operator's profile ConfigMaps and converges this node
// to them; level-based, so a missed change or a restart is repaired by the next pass.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
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

function toProfileConfigMap(cm: V1ConfigMap): ProfileConfigMap {
  return { namespace: cm.metadata?.namespace ?? '', name: cm.metadata?.name ?? '', data: cm.data ?? {} };
}

async function listProfileConfigMaps(api: CoreV1Api, namespaces: string[]): Promise<ProfileConfigMap[]> {
  if (namespaces.length === 0) {
    const list = await api.listConfigMapForAllNamespaces({ labelSelector: PROFILE_SELECTOR });
    return list.items.map(toProfileConfigMap);
  }
  const lists = await Promise.all(
    namespaces.map((namespace) =>
      api.listNamespacedConfigMap({ namespace, labelSelector: PROFILE_SELECTOR }),
    ),
  );
  return lists.flatMap((list) => list.items.map(toProfileConfigMap));
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

  const kc = new KubeConfig();
  kc.loadFromDefault();
  const api = kc.makeApiClient(CoreV1Api);

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping = true));

  while (!stopping) {
    try {
      const profiles = collectProfiles(await listProfileConfigMaps(api, namespaces));
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
