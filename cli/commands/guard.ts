import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../../shared/logging.ts';
import type { GuardConfig, Listen } from '../../sidecar/main.ts';
import { type Command, UsageError } from '../command.ts';

/** Flag name → [type, default]. Each flag is also read from BULWARK_<NAME> (dashes as underscores). */
const FLAGS = {
  policy: { type: 'string', help: 'GuardrailPolicy manifest (YAML), watched for changes' },
  upstream: {
    type: 'string',
    help: 'base URL of the model (or of the output check), e.g. http://127.0.0.1:8000',
  },
  listen: { type: 'string', help: '[HOST:]PORT for the API (input: 0.0.0.0:8080; output: 127.0.0.1:8081)' },
  'admin-listen': {
    type: 'string',
    help: '[HOST:]PORT for /healthz, /readyz, /metrics (9090; output: 9091)',
  },
  role: { type: 'string', help: 'input (the guard, default) or output (the output check)' },
  'api-keys': {
    type: 'string',
    help: 'file with one id:key per line (a mounted Secret); unset: no key check',
  },
  'output-scan': {
    type: 'string',
    help: 'on (default): scan responses here; delegate: the upstream is the output check; off: never',
  },
  'fail-mode': { type: 'string', help: "open or closed: overrides the policy's failMode" },
  'max-request-bytes': { type: 'string', help: 'larger bodies get 413 (default 1048576)' },
  'max-json-depth': { type: 'string', help: 'deeper JSON nesting gets 400 (default 64)' },
  'max-response-bytes': {
    type: 'string',
    help: 'largest non-streamed model response scanned (default 16777216)',
  },
  'rate-limit-rpm': { type: 'string', help: 'requests per minute per API key (default: no limit)' },
  'rate-limit-burst': { type: 'string', help: 'token bucket size (default: the rpm)' },
  'upstream-timeout': {
    type: 'string',
    help: 'seconds to first byte / between chunks before 504 (default 120)',
  },
  'max-concurrency': { type: 'string', help: 'requests in flight toward the model (default 64)' },
  'max-queue': { type: 'string', help: 'requests waiting for a slot before 503 (default 4 × concurrency)' },
  'queue-timeout': { type: 'string', help: 'seconds a request may wait for a slot before 503 (default 30)' },
  'upstream-health-path': {
    type: 'string',
    help: 'GET path for readiness (default /v1/models; vLLM: /health)',
  },
  'upstream-api-key-file': { type: 'string', help: 'file with a key the model itself requires' },
  'log-level': { type: 'string', help: 'error, warn, info (default) or debug' },
} as const;

type FlagName = keyof typeof FLAGS;

const usage = `Usage: bulwark guard --policy FILE --upstream URL [flags]

Runs the guard proxy (role input) or the output check (role output) in front of an OpenAI-compatible
model. Every flag can also be set as an environment variable: --max-concurrency as
BULWARK_MAX_CONCURRENCY, --policy as BULWARK_POLICY, and so on; a flag wins over the variable.

Over the concurrency limit, requests queue (FIFO, bounded) and get 503 with Retry-After when the queue
is full or the wait exceeds --queue-timeout: overload is the server's state, not the client's quota.

Flags:
${Object.entries(FLAGS)
  .map(([name, f]) => `  --${name.padEnd(24)}${f.help}`)
  .join('\n')}`;

export function envName(flag: string): string {
  return `BULWARK_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function parseListen(value: string, fallbackHost: string): Listen {
  const colon = value.lastIndexOf(':');
  const host = colon === -1 ? fallbackHost : value.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(colon === -1 ? value : value.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid port in "${value}"`);
  return { host: host || fallbackHost, port };
}

function int(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** Flags and BULWARK_* variables into a GuardConfig; pure except for reading env. */
export function configFrom(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): GuardConfig & { logLevel?: string } {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' }])) as Record<
      FlagName,
      { type: 'string' }
    >,
    allowPositionals: false,
  });
  const get = (name: FlagName): string | undefined =>
    (values[name] as string | undefined) ?? env[envName(name)] ?? undefined;
  const policyPath = get('policy');
  const upstreamUrl = get('upstream');
  if (!policyPath) throw new UsageError('--policy (or BULWARK_POLICY) is required');
  if (!upstreamUrl) throw new UsageError('--upstream (or BULWARK_UPSTREAM) is required');
  try {
    new URL(upstreamUrl);
  } catch {
    throw new UsageError(`--upstream is not a URL: "${upstreamUrl}"`);
  }
  const role = oneOf('role', get('role'), ['input', 'output'] as const, 'input');
  const output = role === 'output';
  const maxConcurrency = int('max-concurrency', get('max-concurrency'), 64);
  const rpm = get('rate-limit-rpm');
  const failMode = get('fail-mode');
  const apiKeysPath = get('api-keys');
  const keyFile = get('upstream-api-key-file');
  const logLevel = get('log-level');
  return {
    role,
    policyPath,
    upstreamUrl,
    // The output check only talks to the guard in the same pod: loopback by default.
    listen: parseListen(get('listen') ?? (output ? '8081' : '8080'), output ? '127.0.0.1' : '0.0.0.0'),
    adminListen: parseListen(get('admin-listen') ?? (output ? '9091' : '9090'), '0.0.0.0'),
    ...(apiKeysPath ? { apiKeysPath } : {}),
    outputScan: oneOf('output-scan', get('output-scan'), ['on', 'off', 'delegate'] as const, 'on'),
    ...(failMode ? { failMode: oneOf('fail-mode', failMode, ['open', 'closed'] as const, 'closed') } : {}),
    maxRequestBytes: int('max-request-bytes', get('max-request-bytes'), 1024 * 1024),
    maxJsonDepth: int('max-json-depth', get('max-json-depth'), 64),
    maxResponseBytes: int('max-response-bytes', get('max-response-bytes'), 16 * 1024 * 1024),
    ...(rpm
      ? {
          rateLimit: {
            requestsPerMinute: int('rate-limit-rpm', rpm, 1),
            burst: int('rate-limit-burst', get('rate-limit-burst'), int('rate-limit-rpm', rpm, 1)),
          },
        }
      : {}),
    upstreamTimeoutMs: int('upstream-timeout', get('upstream-timeout'), 120) * 1000,
    maxConcurrency,
    maxQueue: int('max-queue', get('max-queue'), maxConcurrency * 4, 0),
    queueTimeoutMs: int('queue-timeout', get('queue-timeout'), 30) * 1000,
    upstreamHealthPath: get('upstream-health-path') ?? '/v1/models',
    ...(keyFile ? { upstreamApiKey: readFileSync(keyFile, 'utf8').trim() } : {}),
    ...(logLevel ? { logLevel } : {}),
  };
}

const guard: Command = {
  summary: 'Run the guard proxy (or the output check) in front of an OpenAI-compatible model.',
  usage,
  async run(argv) {
    const config = configFrom(argv);
    const { startGuard } = await import('../../sidecar/main.ts');
    const { pipelineDeps } = await import('../../sidecar/server/pipeline-deps.ts');
    const logger = createLogger({
      service: config.role === 'input' ? 'bulwark-guard' : 'bulwark-output-check',
      ...(config.logLevel ? { level: config.logLevel } : {}),
    });
    let running: Awaited<ReturnType<typeof startGuard>>;
    try {
      running = await startGuard(config, { ...(await pipelineDeps(logger, { role: config.role })), logger });
    } catch (err) {
      logger.error('guard failed to start', { 'error.message': (err as Error).message });
      return 1;
    }
    return new Promise<number>((resolve) => {
      const stop = (signal: string) => {
        logger.info('shutting down', { 'process.signal': signal });
        // Kubernetes sends SIGTERM then waits terminationGracePeriodSeconds: let requests finish.
        running.close(10_000).then(
          () => resolve(0),
          () => resolve(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => void running.reload());
    });
  },
};

export default guard;
