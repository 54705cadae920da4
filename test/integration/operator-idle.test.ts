// An idle cluster gets no writes from the operator, even while it resyncs every LlmDeployment and
// relists every informer; and a field someone else takes from it is taken back. Writes are counted by
// the operator's own request metric (bulwark_operator_api_requests_total by verb), scraped over HTTP
// exactly as Prometheus would.
import '../../shared/node20-compat.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Label } from '../../operator/constants.ts';
import { countWrites } from '../../operator/controller/metrics.ts';
import { waitFor } from '../cluster/index.ts';
import {
  llmObject,
  llmSpec,
  memoryLogger,
  operatorTestbed,
  policyObject,
  R,
  readyForGeneration,
  regexPolicy,
  secretObject,
  waitForLlm,
} from './operator-support.ts';

const IDLE_MS = 60_000;
const LEASES = 'leases.coordination.k8s.io';

const logs = memoryLogger('debug');

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${bed.operator.metricsPort}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

function sumMetric(text: string, name: string, filter: (labels: string) => boolean = () => true): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (m && filter(m[1] ?? '')) total += Number(m[2]);
  }
  return total;
}

// Resync and relist far more often than in production, so the idle minute contains several full passes
// over everything; leader election on, so its Lease renewals are counted (and excluded) too.
const bed = operatorTestbed('operator-idle', (namespace) => ({
  log: logs.log,
  resyncPeriodMs: 10_000,
  relistPeriodMs: 20_000,
  leaderElect: true,
  leaderElectionNamespace: namespace,
  leaderElectionId: 'idle-test',
}));

describe('operator when nothing changes', { timeout: 240_000 }, () => {
  it('makes zero writes over a minute of resyncs and relists', async (t) => {
    await bed.user.apply(policyObject(bed.ns.name, 'p', regexPolicy('IDLE')));
    await bed.user.apply(secretObject(bed.ns.name, 'keys', { keys: 'client:abc' }));
    await bed.user.apply(llmObject(bed.ns.name, 'plain', llmSpec('p')));
    await bed.user.apply(
      llmObject(
        bed.ns.name,
        'full',
        llmSpec('p', {
          replicas: 2,
          outputCheck: { enabled: true },
          autoscaling: { minReplicas: 2, maxReplicas: 4 },
          guard: { policyRef: { name: 'p' }, apiKeySecretRef: { name: 'keys', key: 'keys' } },
        }),
      ),
    );
    await waitForLlm(bed.user, bed.ns.name, 'plain', 'Ready', readyForGeneration);
    // The HorizontalPodAutoscaler raises the Deployment to minReplicas on its first sync (the builders
    // leave replicas to it); that is the world changing, so wait for it before measuring idleness.
    await waitForLlm(
      bed.user,
      bed.ns.name,
      'full',
      'Ready at the HPA minimum of 2 replicas',
      (l) => readyForGeneration(l) && (l.status as { readyReplicas?: number }).readyReplicas === 2,
      90_000,
    );
    // Let the last status writes and their watch events settle.
    await new Promise((r) => setTimeout(r, 3000));

    const writesBefore = bed.operator.metrics.writes();
    const before = await scrape();
    const reconcilesBefore = sumMetric(before, 'bulwark_operator_reconcile_total');
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const afterText = await scrape();

    const writes = countWrites(afterText, [LEASES]) - countWrites(before, [LEASES]);
    const detail = [...bed.operator.metrics.writes()]
      .map(([k, n]) => [k, n - (writesBefore.get(k) ?? 0)] as const)
      .filter(([k, n]) => n > 0 && !k.endsWith(LEASES));
    const idleSince = new Date(Date.now() - IDLE_MS).toISOString();
    const why = logs
      .lines()
      .filter(
        (l) =>
          String(l['@timestamp']) >= idleSince && /applying|writing status|pruned/.test(String(l.message)),
      );
    assert.equal(writes, 0, `writes while idle: ${JSON.stringify(detail)}\n${JSON.stringify(why, null, 1)}`);
    const reconciles = sumMetric(afterText, 'bulwark_operator_reconcile_total') - reconcilesBefore;
    const requests =
      sumMetric(afterText, 'bulwark_operator_api_requests_total') -
      sumMetric(before, 'bulwark_operator_api_requests_total');
    t.diagnostic(
      `idle minute: ${reconciles} reconciles, ${requests} API requests (lists, watches, Lease renewals)`,
    );
    assert.ok(
      reconciles >= 2 * 5,
      `the resync should have reconciled everything several times (got ${reconciles})`,
    );
    const leaseWrites = countWrites(afterText) - countWrites(afterText, [LEASES]);
    assert.ok(leaseWrites > 0, 'the Lease was renewed meanwhile (leader election was really on)');
    const skipped = sumMetric(afterText, 'bulwark_operator_apply_total', (l) =>
      l.includes('outcome="skipped"'),
    );
    assert.ok(skipped > 0, 'desired objects were compared and skipped, not re-applied');
  });

  it('takes back a field another manager changed', async () => {
    const svc = await bed.user.get(R.service, bed.ns.name, 'plain');
    assert.ok(svc);
    // A JSON merge patch (an Update, as `kubectl edit` does) moves ownership of the label to the user.
    await bed.user.client.request(
      'patch',
      'services',
      'PATCH',
      bed.user.client.path(R.service, bed.ns.name, 'plain'),
      {
        query: { fieldManager: 'someone-else' },
        body: { metadata: { labels: { [Label.component]: 'hijacked' } } },
        contentType: 'application/merge-patch+json',
      },
    );
    // Nothing about the Service changes our desired state; the next resync must notice the drift.
    await waitFor(
      'the operator to restore its label',
      async () => {
        const now = await bed.user.get(R.service, bed.ns.name, 'plain');
        return now?.metadata.labels?.[Label.component] === svc.metadata.labels?.[Label.component]
          ? true
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
  });
});
