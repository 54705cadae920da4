import { parseArgs } from 'node:util';
import { type Command, UsageError } from '../command.ts';

const USAGE = `Usage: bulwark operator [flags]

Runs the operator: reconciles LlmDeployments and GuardrailPolicies in the namespaces it manages.
Uses --kubeconfig, else $KUBECONFIG or ~/.kube/config, else the in-cluster ServiceAccount.

Flags:
  --kubeconfig PATH                 kubeconfig file
  --namespaces a,b                  manage only these namespaces (default: all); Secrets are watched only there
  --workers N                       concurrent LlmDeployment reconciles (default 4)
  --metrics-port N                  Prometheus /metrics port (default 8080; 0 picks a free one)
  --health-port N                   /healthz and /readyz port (default 8081)
  --bind-address ADDR               address both servers listen on (default 0.0.0.0)
  --leader-elect[=true|false]       hold a coordination.k8s.io Lease so only one replica works (default false)
  --leader-election-namespace NS    namespace of the Lease (default $POD_NAMESPACE, else bulwark-system)
  --leader-election-id NAME         name of the Lease (default bulwark-operator-leader)
  --leader-elect-lease-duration D   how long a standby waits for an unrenewed Lease (default 15s)
  --leader-elect-renew-deadline D   the leader gives up after failing to renew this long (default 10s)
  --leader-elect-retry-period D     how often to renew or retry (default 2s)
  --guard-image IMAGE               guard/output-check image unless an LlmDeployment overrides it
  --resync-period DURATION          reconcile everything at least this often (default 10m; e.g. 30s, 1h)`;

function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!m) throw new UsageError(`--${name} must be a duration such as 30s, 10m or 1h, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function bool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true' || value === '') return true;
  throw new UsageError(`--${name} must be true or false, got "${value}"`);
}

const command: Command = {
  summary: 'Run the operator that reconciles LlmDeployments and GuardrailPolicies.',
  usage: USAGE,
  async run(argv) {
    // `--leader-elect` alone means true; parseArgs wants a value for string options.
    const args = argv.map((a) => (a === '--leader-elect' ? '--leader-elect=true' : a));
    const { values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        namespaces: { type: 'string' },
        workers: { type: 'string' },
        'metrics-port': { type: 'string' },
        'health-port': { type: 'string' },
        'bind-address': { type: 'string' },
        'leader-elect': { type: 'string' },
        'leader-election-namespace': { type: 'string' },
        'leader-election-id': { type: 'string' },
        'leader-elect-lease-duration': { type: 'string' },
        'leader-elect-renew-deadline': { type: 'string' },
        'leader-elect-retry-period': { type: 'string' },
        'guard-image': { type: 'string' },
        'resync-period': { type: 'string' },
      },
      allowPositionals: false,
    });
    const namespaces = values.namespaces
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const ns of namespaces ?? []) {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
        throw new UsageError(`--namespaces: "${ns}" is not a namespace name`);
    }
    const resyncPeriodMs = duration('resync-period', values['resync-period']);
    const leaseDurationMs = duration('leader-elect-lease-duration', values['leader-elect-lease-duration']);
    const renewDeadlineMs = duration('leader-elect-renew-deadline', values['leader-elect-renew-deadline']);
    const retryPeriodMs = duration('leader-elect-retry-period', values['leader-elect-retry-period']);
    // Loaded lazily: the Kubernetes client is only needed by this command.
    const { runOperator } = await import('../../operator/main.ts');
    return runOperator({
      ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
      ...(namespaces?.length ? { namespaces } : {}),
      workers: int('workers', values.workers, 4, 1),
      metricsPort: int('metrics-port', values['metrics-port'], 8080),
      healthPort: int('health-port', values['health-port'], 8081),
      ...(values['bind-address'] ? { bindHost: values['bind-address'] } : {}),
      leaderElect: bool('leader-elect', values['leader-elect']),
      ...(values['leader-election-namespace']
        ? { leaderElectionNamespace: values['leader-election-namespace'] }
        : {}),
      ...(values['leader-election-id'] ? { leaderElectionId: values['leader-election-id'] } : {}),
      ...(values['guard-image'] ? { guardImage: values['guard-image'] } : {}),
      ...(resyncPeriodMs ? { resyncPeriodMs } : {}),
      ...(leaseDurationMs ? { leaseDurationMs } : {}),
      ...(renewDeadlineMs ? { renewDeadlineMs } : {}),
      ...(retryPeriodMs ? { retryPeriodMs } : {}),
    });
  },
};

export default command;
