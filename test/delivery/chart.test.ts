// The Helm chart, checked with the real helm binary: lint, golden renders, schema, the security
// invariants of every workload it renders, image overrides, and the monitoring contract.
// Cluster-side checks (install, Pod Security admission, uninstall) are in test/integration/helm.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { FILES_DIR, RBAC_MODULE, ruleFiles } from '../../scripts/delivery/chart-rbac.ts';
import {
  CHART_DIR,
  helmPath,
  helmTemplate,
  type K8sObject,
  KUBE_VERSION,
  parseObjects,
  podSpecs,
  promqlCheckPath,
  REPO_ROOT,
  run,
  SCENARIOS,
  TESTDATA,
  type Untyped,
  UPDATE_GOLDEN,
} from './tools.ts';

const helm = helmPath();
const skip = helm ? false : 'helm not built: run `make binaries` (test/cluster/build-binaries.sh)';

async function golden(name: string, actual: string): Promise<void> {
  const path = join(TESTDATA, `${name}.golden.yaml`);
  if (UPDATE_GOLDEN || !existsSync(path)) {
    await writeFile(path, actual);
    if (!UPDATE_GOLDEN) assert.fail(`wrote missing golden file ${path}; review and commit it`);
    return;
  }
  assert.equal(actual, await readFile(path, 'utf8'), `${name} differs; UPDATE_GOLDEN=1 to accept`);
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

describe('helm chart', { skip }, () => {
  it('passes helm lint --strict with default and full values', async () => {
    await run(helm!, ['lint', CHART_DIR, '--strict', '--kube-version', KUBE_VERSION]);
    await run(helm!, ['lint', CHART_DIR, '--strict', '--kube-version', KUBE_VERSION, ...SCENARIOS.full!]);
  });

  for (const [name, args] of Object.entries(SCENARIOS)) {
    it(`renders the ${name} values like the golden file`, async () => {
      await golden(`chart-${name}`, await helmTemplate(helm!, args));
    });
  }

  it('rejects values the schema forbids', async () => {
    for (const bad of [
      ['--set', 'operator.replicas=0'],
      ['--set', 'image.digest=latest'],
      ['--set', 'operator.watchNamespaces={Not_A_Namespace}'],
      ['--set', 'profileInstaller.mode=sometimes'],
      ['--set', 'operator.tpyo=1'],
    ]) {
      await assert.rejects(
        helmTemplate(helm!, bad),
        /values don't meet the specifications|schema/i,
        bad.join(' '),
      );
    }
  });

  it('renders only workloads that satisfy Pod Security restricted, except the opt-in installer', async () => {
    const objects = parseObjects(await helmTemplate(helm!, SCENARIOS.full!));
    const pods = podSpecs(objects);
    assert.deepEqual(pods.map((p) => `${p.owner.kind}/${p.owner.metadata.name}`).sort(), [
      'DaemonSet/bulwark-profile-installer',
      'Deployment/bulwark-operator',
    ]);
    for (const { owner, spec } of pods) {
      if (owner.kind === 'DaemonSet') continue; // privileged by design; see the namespace test below
      assert.equal(spec.securityContext?.runAsNonRoot, true);
      assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault');
      assert.equal(spec.hostNetwork ?? false, false);
      for (const c of spec.containers ?? []) {
        const sc = c.securityContext ?? {};
        assert.equal(sc.allowPrivilegeEscalation, false, c.name);
        assert.equal(sc.readOnlyRootFilesystem, true, c.name);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], c.name);
        assert.ok(
          Number.isInteger(sc.runAsUser) && (sc.runAsUser ?? 0) > 0,
          `${c.name} runs as a numeric non-root uid`,
        );
        assert.ok(c.resources?.requests?.cpu && c.resources?.limits?.memory, `${c.name} has resources`);
        assert.ok(c.livenessProbe && c.readinessProbe, `${c.name} has probes`);
      }
    }
  });

  it('puts the privileged installer in its own privileged namespace, never the operator namespace', async () => {
    const objects = parseObjects(await helmTemplate(helm!, SCENARIOS.full!));
    const ds = byKind(objects, 'DaemonSet')[0]!;
    assert.equal(ds.metadata.namespace, 'bulwark-profiles');
    const ns = byKind(objects, 'Namespace').find((n) => n.metadata.name === 'bulwark-profiles');
    assert.equal(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
  });

  it('deploys the operator with 2 replicas, leader election, a PDB and its flags', async () => {
    const objects = parseObjects(await helmTemplate(helm!));
    const deploy = byKind(objects, 'Deployment')[0] as K8sObject & { spec: Untyped };
    assert.equal(deploy.spec.replicas, 2);
    const args: string[] = deploy.spec.template.spec.containers[0].args;
    assert.deepEqual(args.slice(0, 6), [
      'operator',
      '--metrics-port=8080',
      '--health-port=8081',
      '--workers=4',
      '--leader-elect=true',
      '--guard-image=ghcr.io/bulwark-dev/guard:0.1.0',
    ]);
    assert.equal(byKind(objects, 'PodDisruptionBudget').length, 1);
    assert.ok(byKind(objects, 'Role').some((r) => r.metadata.name.endsWith('leader-election')));
    const np = byKind(objects, 'NetworkPolicy')[0] as K8sObject & { spec: Untyped };
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  });

  it('caps the operator heap below its memory limit (NODE_OPTIONS), and leaves it to V8 when set to 0', async () => {
    const env = async (...args: string[]) => {
      const deploy = byKind(parseObjects(await helmTemplate(helm!, args)), 'Deployment')[0] as K8sObject & {
        spec: Untyped;
      };
      const vars: { name: string; value?: string }[] = deploy.spec.template.spec.containers[0].env;
      return { vars, limit: deploy.spec.template.spec.containers[0].resources.limits.memory as string };
    };
    const capped = await env();
    assert.equal(capped.vars.find((v) => v.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=160');
    assert.equal(capped.limit, '384Mi', 'the cap leaves room for native memory and the policy-check worker');
    const uncapped = await env('--set', 'operator.maxOldSpaceSizeMiB=0');
    assert.equal(
      uncapped.vars.find((v) => v.name === 'NODE_OPTIONS'),
      undefined,
    );
  });

  it('binds the operator role per namespace when given a list, cluster-wide otherwise', async () => {
    const cluster = parseObjects(await helmTemplate(helm!));
    assert.deepEqual(
      byKind(cluster, 'ClusterRoleBinding').map((b) => b.metadata.name),
      ['bulwark-operator', 'bulwark-operator-cluster'],
    );
    assert.equal(byKind(cluster, 'RoleBinding').length, 1); // leader election only
    const scoped = parseObjects(await helmTemplate(helm!, SCENARIOS.full!));
    assert.deepEqual(
      byKind(scoped, 'ClusterRoleBinding').map((b) => b.metadata.name),
      ['bulwark-operator-cluster'],
    );
    const bindings = byKind(scoped, 'RoleBinding').map((b) => `${b.metadata.namespace}/${b.metadata.name}`);
    for (const ns of ['llm', 'llm-staging']) {
      assert.ok(bindings.includes(`${ns}/bulwark-operator`), `operator bound in ${ns}`);
      assert.ok(bindings.includes(`${ns}/bulwark-profile-installer`), `installer bound in ${ns}`);
    }
  });

  it('lets every image reference be overridden for air-gapped registries', async () => {
    const objects = parseObjects(await helmTemplate(helm!, SCENARIOS.full!));
    const images = podSpecs(objects).flatMap(({ spec }) => (spec.containers ?? []).map((c) => c.image));
    for (const image of images) assert.match(image, /^registry\.example\.com\/mirror\//);
    assert.ok(
      images.includes(
        `registry.example.com/mirror/bulwark-dev/operator@sha256:${'0123456789abcdef'.repeat(4)}`,
      ),
    );
    const deploy = byKind(objects, 'Deployment')[0] as K8sObject & { spec: Untyped };
    assert.ok(
      deploy.spec.template.spec.containers[0].args.includes(
        '--guard-image=registry.example.com/mirror/bulwark-dev/guard:0.1.0',
      ),
    );
  });

  it('yields to the Security Profiles Operator when its API is present (mode auto)', async () => {
    const spo = ['--api-versions', 'security-profiles-operator.x-k8s.io/v1beta1/SeccompProfile'];
    const auto = parseObjects(await helmTemplate(helm!, ['--set', 'profileInstaller.enabled=true', ...spo]));
    assert.equal(byKind(auto, 'DaemonSet').length, 0);
    const forced = parseObjects(
      await helmTemplate(helm!, [
        '--set',
        'profileInstaller.enabled=true',
        '--set',
        'profileInstaller.mode=daemonset',
        ...spo,
      ]),
    );
    assert.equal(byKind(forced, 'DaemonSet').length, 1);
  });

  it('prints NOTES that mention the privileged installer and the CRD upgrade step', async () => {
    const { stdout } = await run(helm!, [
      'install',
      'bulwark',
      CHART_DIR,
      '--dry-run=client',
      '--namespace',
      'bulwark-system',

      '--set',
      'profileInstaller.enabled=true',
    ]);
    assert.match(stdout, /PRIVILEGED profile installer/);
    assert.match(stdout, /kubectl apply --server-side --force-conflicts -f <chart>\/crds\//);
  });
});

describe('chart monitoring contract', { skip }, () => {
  const contractPath = join(CHART_DIR, 'files', 'metrics.yaml');

  async function contract(): Promise<Set<string>> {
    const doc = parse(await readFile(contractPath, 'utf8')) as Record<string, Record<string, string>>;
    // `requested` series may be used too: the chart is ready for them before the code exports them.
    return new Set(Object.values(doc).flatMap((group) => Object.keys(group)));
  }

  /** Metric names in a PromQL expression (bulwark_* only), histogram suffixes folded. */
  function metricsIn(expr: string): string[] {
    return [...expr.matchAll(/\bbulwark_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
  }

  it('alerts on the five conditions of issue 7, using only contracted series', async () => {
    const objects = parseObjects(await helmTemplate(helm!, ['--set', 'metrics.prometheusRule.enabled=true']));
    const rule = byKind(objects, 'PrometheusRule')[0] as K8sObject & { spec: Untyped };
    const rules = rule.spec.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
      alert: string;
      expr: string;
    }[];
    assert.deepEqual(rules.map((r) => r.alert).sort(), [
      'BulwarkGuardBlockRateSpike',
      'BulwarkGuardScannerErrors',
      'BulwarkGuardUpstreamErrors',
      'BulwarkPolicyInvalid',
      'BulwarkReconcileErrors',
    ]);
    const known = await contract();
    for (const r of rules) for (const m of metricsIn(r.expr)) assert.ok(known.has(m), `${r.alert} uses ${m}`);
  });

  it("parses every alert expression and dashboard query with Prometheus's own PromQL parser", {
    skip: promqlCheckPath() ? false : 'promql-check not built: run `make delivery-tools`',
  }, async () => {
    const objects = parseObjects(await helmTemplate(helm!, ['--set', 'metrics.prometheusRule.enabled=true']));
    const rule = byKind(objects, 'PrometheusRule')[0] as K8sObject & { spec: Untyped };
    const items: { name: string; expr: string }[] = rule.spec.groups.flatMap((g: Untyped) =>
      g.rules.map((r: { alert: string; expr: string }) => ({ name: r.alert, expr: r.expr })),
    );
    const dash = JSON.parse(await readFile(join(CHART_DIR, 'dashboards', 'bulwark.json'), 'utf8'));
    for (const p of dash.panels) {
      for (const t of p.targets) {
        // Grafana substitutes its variables before Prometheus sees the query.
        items.push({ name: `${p.title}/${t.refId}`, expr: t.expr.replaceAll('$__rate_interval', '5m') });
      }
    }
    const child = spawnSync(promqlCheckPath()!, [], { input: JSON.stringify(items), encoding: 'utf8' });
    assert.equal(child.status, 0, `${child.stdout}${child.stderr}`);
    assert.match(child.stdout, new RegExp(`^${items.length} expressions parsed`));
  });

  it('ships a dashboard with the panels of issue 7, using only contracted series', async () => {
    const dash = JSON.parse(await readFile(join(CHART_DIR, 'dashboards', 'bulwark.json'), 'utf8'));
    const titles: string[] = dash.panels.map((p: { title: string }) => p.title);
    for (const t of [
      'Requests by decision',
      'Blocks by scanner',
      'Latency percentiles',
      'Policy version per deployment',
    ]) {
      assert.ok(
        titles.some((x) => x.startsWith(t)),
        t,
      );
    }
    const known = await contract();
    for (const p of dash.panels) {
      for (const target of p.targets)
        for (const m of metricsIn(target.expr)) assert.ok(known.has(m), `${p.title}: ${m}`);
    }
    const objects = parseObjects(await helmTemplate(helm!));
    const cm = byKind(objects, 'ConfigMap').find((c) =>
      c.metadata.name.endsWith('-dashboard'),
    ) as K8sObject & { data: Record<string, string> };
    assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
    assert.deepEqual(JSON.parse(cm.data['bulwark.json'] ?? ''), dash);
  });
});

describe('chart RBAC', () => {
  it('is generated from operator/rbac.ts (run `make chart-sync` after changing it)', {
    skip: existsSync(RBAC_MODULE) ? false : 'operator/rbac.ts has not landed yet',
  }, async () => {
    for (const [file, expected] of await ruleFiles()) {
      assert.equal(
        await readFile(join(FILES_DIR, file), 'utf8'),
        expected,
        `charts/bulwark/files/${file} drifted`,
      );
    }
  });
});

describe('chart metrics contract against the code', () => {
  async function registered(file: string): Promise<Set<string>> {
    const source = await readFile(join(REPO_ROOT, file), 'utf8');
    return new Set([...source.matchAll(/name: '(bulwark_[a-z_]+)'/g)].map((m) => m[1]!));
  }

  it('names only series that sidecar/metrics and operator/controller/metrics register', async () => {
    const doc = parse(await readFile(join(CHART_DIR, 'files', 'metrics.yaml'), 'utf8')) as Record<
      'guard' | 'operator' | 'requested',
      Record<string, string>
    >;
    const guard = await registered('sidecar/metrics/index.ts');
    const operator = await registered('operator/controller/metrics.ts');
    for (const name of Object.keys(doc.guard))
      assert.ok(guard.has(name), `${name} is not registered by the guard`);
    for (const name of Object.keys(doc.operator)) {
      assert.ok(operator.has(name), `${name} is not registered by the operator`);
    }
    for (const name of Object.keys(doc.requested)) {
      assert.ok(!guard.has(name) && !operator.has(name), `${name} is exported now: move it out of requested`);
    }
  });
});
