// The profile installer's node-side logic against a temporary directory standing in for the node, and
// the AppArmor profiles through the real apparmor_parser in parse-only mode (-Q).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type AppArmorLoader,
  apparmorParser,
  collectProfiles,
  detectLsm,
  syncNode,
} from '../../images/profile-installer/profiles.ts';
import { sampleDesiredState } from './operator-output.ts';
import { onPath, TESTDATA, type Untyped } from './tools.ts';

const seccomp = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
});
const apparmorText = await readFile(join(TESTDATA, 'guard.apparmor'), 'utf8');

const scratch = await mkdtemp(join(tmpdir(), 'bulwark-installer-'));
after(() => rm(scratch, { recursive: true, force: true }));

function recordingLoader(): AppArmorLoader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    load: async (file) => void calls.push(`load ${file.split('/').at(-1)}`),
    unload: async (file) => void calls.push(`unload ${file.split('/').at(-1)}`),
  };
}

describe('collectProfiles', () => {
  it('sorts seccomp and AppArmor keys, ignores other keys and rejects unsafe or conflicting ones', () => {
    const profiles = collectProfiles([
      { namespace: 'b', name: 'p', data: { 'guard-1.json': '{"defaultAction":"SCMP_ACT_LOG"}' } },
      {
        namespace: 'a',
        name: 'p',
        data: {
          'guard-1.json': seccomp,
          'guard-1.apparmor': apparmorText,
          'README.md': 'ignored',
          '../escape.json': seccomp,
          'broken.json': '{"syscalls": []}',
        },
      },
    ]);
    assert.deepEqual([...profiles.seccomp.keys()], ['guard-1.json']);
    assert.equal(profiles.seccomp.get('guard-1.json'), seccomp, 'a/p wins: first in namespace/name order');
    assert.deepEqual([...profiles.apparmor.keys()], ['guard-1.apparmor']);
    assert.deepEqual(
      profiles.rejected.map((r) => `${r.source} ${r.key}`),
      ['a/p ../escape.json', 'a/p broken.json', 'b/p guard-1.json'],
    );
  });
});

describe('syncNode', () => {
  it('converges the seccomp directory and loads, replaces and unloads AppArmor profiles', async () => {
    const seccompDir = join(scratch, 'node1', 'var/lib/kubelet/seccomp/bulwark');
    const apparmorDir = join(scratch, 'node1', 'apparmor');
    const loader = recordingLoader();
    const log = () => {};
    const opts = { seccompDir, apparmorDir, lsm: 'apparmor' as const, loader, log };

    const first = await syncNode(
      collectProfiles([
        { namespace: 'n', name: 'c', data: { 'a.json': seccomp, 'a.apparmor': apparmorText } },
      ]),
      opts,
    );
    assert.deepEqual(first.seccomp.written, ['a.json']);
    assert.equal(await readFile(join(seccompDir, 'a.json'), 'utf8'), seccomp);
    assert.deepEqual(loader.calls, ['load a.apparmor']);

    // Same input: nothing written, nothing loaded (a pass on an idle node does no work).
    const idle = await syncNode(
      collectProfiles([
        { namespace: 'n', name: 'c', data: { 'a.json': seccomp, 'a.apparmor': apparmorText } },
      ]),
      opts,
    );
    assert.deepEqual(idle.seccomp, { written: [], removed: [] });
    assert.deepEqual(loader.calls, ['load a.apparmor']);

    // The operator replaced the profile (new hash in the key): the old one goes.
    await syncNode(
      collectProfiles([
        { namespace: 'n', name: 'c', data: { 'b.json': seccomp, 'b.apparmor': apparmorText } },
      ]),
      opts,
    );
    assert.deepEqual(await readdir(seccompDir), ['b.json']);
    assert.deepEqual(loader.calls, ['load a.apparmor', 'unload a.apparmor', 'load b.apparmor']);
  });

  it('on an SELinux node writes seccomp only and logs why AppArmor is skipped', async () => {
    const messages: string[] = [];
    const loader = recordingLoader();
    const result = await syncNode(
      collectProfiles([
        { namespace: 'n', name: 'c', data: { 'a.json': seccomp, 'a.apparmor': apparmorText } },
      ]),
      {
        seccompDir: join(scratch, 'node2', 'seccomp'),
        apparmorDir: join(scratch, 'node2', 'apparmor'),
        lsm: 'selinux',
        loader,
        log: (m) => messages.push(m),
      },
    );
    assert.deepEqual(result.seccomp.written, ['a.json']);
    assert.equal(result.apparmor.skipped, true);
    assert.deepEqual(loader.calls, []);
    assert.match(messages.join('\n'), /SELinux node: AppArmor profiles are not loaded/);
  });

  it('retries a profile whose load failed on the next pass', async () => {
    let fail = true;
    const loads: string[] = [];
    const loader: AppArmorLoader = {
      load: async (file) => {
        loads.push(file);
        if (fail) throw new Error('parser said no');
      },
      unload: async () => {},
    };
    const opts = {
      seccompDir: join(scratch, 'node3', 'seccomp'),
      apparmorDir: join(scratch, 'node3', 'apparmor'),
      lsm: 'apparmor' as const,
      loader,
      log: () => {},
    };
    const input = collectProfiles([{ namespace: 'n', name: 'c', data: { 'x.apparmor': apparmorText } }]);
    assert.deepEqual((await syncNode(input, opts)).apparmor.failed, ['x.apparmor']);
    fail = false;
    assert.deepEqual((await syncNode(input, opts)).apparmor.loaded, ['x.apparmor']);
    assert.equal(loads.length, 2);
  });
});

describe('detectLsm', () => {
  it('tells AppArmor, SELinux and neither apart from the sysfs layout', async () => {
    const sys = (name: string) => join(scratch, `sys-${name}`);
    await mkdir(join(sys('aa'), 'kernel/security/apparmor'), { recursive: true });
    await mkdir(join(sys('se'), 'fs/selinux'), { recursive: true });
    await writeFile(join(sys('se'), 'fs/selinux/enforce'), '1');
    await mkdir(sys('none'), { recursive: true });
    assert.equal(detectLsm(sys('aa')), 'apparmor');
    assert.equal(detectLsm(sys('se')), 'selinux');
    assert.equal(detectLsm(sys('none')), 'none');
  });
});

const parser = onPath('apparmor_parser');
describe('AppArmor profiles parse with the real apparmor_parser -Q', {
  skip: parser ? false : 'apparmor_parser missing: run scripts/delivery/install-runtime-tools.sh',
}, () => {
  it('accepts the guard profile through the installer loader (parse only, kernel untouched)', async () => {
    const dir = join(scratch, 'parse');
    const messages: string[] = [];
    const result = await syncNode(
      collectProfiles([{ namespace: 'n', name: 'c', data: { 'guard.apparmor': apparmorText } }]),
      {
        seccompDir: join(dir, 'seccomp'),
        apparmorDir: join(dir, 'apparmor'),
        lsm: 'apparmor',
        loader: apparmorParser(parser, ['-Q', '--skip-cache']),
        log: (m, f) => messages.push(`${m} ${JSON.stringify(f)}`),
      },
    );
    assert.deepEqual(result.apparmor.failed, [], messages.join('\n'));
    assert.deepEqual(result.apparmor.loaded, ['guard.apparmor']);
  });

  it('rejects a broken profile with the parser message', async () => {
    const loader = apparmorParser(parser, ['-Q', '--skip-cache']);
    const file = join(scratch, 'broken.apparmor');
    await writeFile(file, 'profile broken {\n  /tmp/** rwx-nonsense,\n}\n');
    await assert.rejects(loader.load(file), /apparmor_parser --replace .* failed: .+/);
  });
});

describe('the operator output through the installer', () => {
  it('installs the generated profiles where the generated pod template looks for them', async () => {
    const objects = await sampleDesiredState({ seccomp: 'Generated', appArmor: 'Generated' });
    const cm = objects.find(
      (o) =>
        o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/component'] === 'security-profiles',
    ) as { metadata: { namespace: string; name: string }; data: Record<string, string> } | undefined;
    assert.ok(cm, 'the operator emits a security-profiles ConfigMap');
    const deploy = objects.find((o) => o.kind === 'Deployment') as Untyped;
    const podSecurity = deploy.spec.template.spec.securityContext;
    const guard = deploy.spec.template.spec.containers.find((c: { name: string }) => c.name === 'guard');
    const seccompRef: string =
      guard.securityContext?.seccompProfile?.localhostProfile ?? podSecurity.seccompProfile?.localhostProfile;
    const appArmorRef: string =
      guard.securityContext?.appArmorProfile?.localhostProfile ??
      podSecurity.appArmorProfile?.localhostProfile;
    assert.ok(seccompRef && appArmorRef, 'the guard references Localhost profiles');

    // The kubelet resolves localhostProfile against <root>/seccomp; the chart passes --seccomp-dir=<root>/seccomp/bulwark.
    const kubeletSeccomp = join(scratch, 'node-generated', 'var/lib/kubelet/seccomp');
    const parserPath = onPath('apparmor_parser');
    const result = await syncNode(
      collectProfiles([{ namespace: cm.metadata.namespace, name: cm.metadata.name, data: cm.data }]),
      {
        seccompDir: join(kubeletSeccomp, 'bulwark'),
        apparmorDir: join(scratch, 'node-generated', 'apparmor'),
        lsm: parserPath ? 'apparmor' : 'none',
        loader: apparmorParser(parserPath ?? 'apparmor_parser', ['-Q', '--skip-cache']),
        log: () => {},
      },
    );
    const installed = JSON.parse(await readFile(join(kubeletSeccomp, seccompRef), 'utf8'));
    assert.equal(installed.defaultAction, 'SCMP_ACT_ERRNO');
    if (parserPath) {
      assert.deepEqual(result.apparmor.failed, []);
      assert.equal(result.apparmor.loaded.length, 1);
      const text = cm.data[result.apparmor.loaded[0]!]!;
      assert.match(
        text,
        new RegExp(`profile ${appArmorRef} `),
        'the loaded profile carries the name pods reference',
      );
    }
  });
});
