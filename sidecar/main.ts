import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../shared/logging.ts';
import type { CompiledPolicy } from '../shared/pipeline/types.ts';
import { type LoadedPolicy, parsePolicyManifest } from '../shared/policy/index.ts';
import { type ClassifierUsageSource, GuardMetrics } from './metrics/index.ts';
import type { RequestState } from './scanners/types.ts';
import { createAdminApp, type ReadinessCheck } from './server/admin.ts';
import { createGuardApp } from './server/app.ts';
import { type FileWatch, watchFile } from './server/file-watch.ts';
import { type ApiKeyStore, parseApiKeys } from './server/middleware/api-key/index.ts';
import type { InputRoute } from './server/openai/input.ts';
import type { OutputScanMode } from './server/routes/proxy.ts';
import { createUpstream } from './upstream/index.ts';

export interface Listen {
  host: string;
  port: number;
}

/** Everything `bulwark guard` accepts (flags or BULWARK_* environment variables). */
export interface GuardConfig {
  role: 'input' | 'output';
  policyPath: string;
  upstreamUrl: string;
  listen: Listen;
  adminListen: Listen;
  apiKeysPath?: string;
  outputScan: OutputScanMode;
  /** Overrides the policy's failMode (the LlmDeployment's guard.failMode). */
  failMode?: 'open' | 'closed';
  maxRequestBytes: number;
  maxJsonDepth: number;
  maxResponseBytes: number;
  rateLimit?: { requestsPerMinute: number; burst?: number };
  upstreamTimeoutMs: number;
  maxConcurrency: number;
  maxQueue: number;
  queueTimeoutMs: number;
  upstreamHealthPath: string;
  upstreamApiKey?: string;
  /** Debounce of the policy and key file watches. */
  watchDebounceMs?: number;
}

/** What the guard needs from the scanning side; main wires the real pipeline, tests may wire their own. */
export interface GuardDeps {
  /** Compiles a validated policy into runnable scanners (shared/pipeline compilePolicy). */
  compile(policy: LoadedPolicy): Promise<CompiledPolicy> | CompiledPolicy;
  /** Adds the per-request canary to the prompt when the policy has a canary output scanner. */
  injectCanary?: (route: InputRoute, body: Record<string, unknown>, state: RequestState) => boolean;
  /** Extra readiness checks, e.g. the ONNX classifier loaded. */
  readiness?: ReadinessCheck[];
  /** The policy's classifiers' counts, read when /metrics is scraped. */
  classifierUsage?: ClassifierUsageSource;
  /** Releases what compile loaded (classifier sessions); called when the guard closes. */
  close?: () => Promise<void>;
  logger?: Logger;
  /** Where audit lines go; defaults to the process logger's destination (stdout). */
  auditLogger?: Logger;
}

export interface RunningGuard {
  port: number;
  adminPort: number;
  policy(): CompiledPolicy;
  metrics: GuardMetrics;
  /** Re-reads the policy and key files now. */
  reload(): Promise<void>;
  /** Stops accepting connections, lets requests in progress finish for graceMs, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

function withFailMode(policy: LoadedPolicy, failMode?: 'open' | 'closed'): LoadedPolicy {
  return failMode ? { ...policy, spec: { ...policy.spec, failMode } } : policy;
}

function listen(server: Server, at: Listen): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the guard (role input) or the output check (role output). Reads files only at start and on change. */
export async function startGuard(config: GuardConfig, deps: GuardDeps): Promise<RunningGuard> {
  const logger =
    deps.logger ?? createLogger({ service: `bulwark-${config.role === 'input' ? 'guard' : 'output-check'}` });
  const audit = deps.auditLogger ?? logger;

  const initialPolicyText = readFileSync(config.policyPath, 'utf8');
  let keys: ApiKeyStore | undefined;
  const initialKeysText = config.apiKeysPath ? readFileSync(config.apiKeysPath, 'utf8') : undefined;
  if (initialKeysText !== undefined) keys = parseApiKeys(initialKeysText);

  const upstream = createUpstream({
    url: config.upstreamUrl,
    timeoutMs: config.upstreamTimeoutMs,
    maxConcurrency: config.maxConcurrency,
    maxQueue: config.maxQueue,
    queueTimeoutMs: config.queueTimeoutMs,
    healthPath: config.upstreamHealthPath,
  });
  const metrics = new GuardMetrics(upstream.limiter, deps.classifierUsage);
  // Assigned once the first compile (which loads the classifiers) succeeds; until then not ready.
  let current!: CompiledPolicy;
  const checks: ReadinessCheck[] = [
    {
      name: 'policy',
      check: () =>
        current !== undefined
          ? { ok: true, message: `${current.name} ${current.hash}` }
          : { ok: false, message: `loading ${config.policyPath}` },
    },
    ...(deps.readiness ?? []),
    {
      name: 'upstream',
      check: async () => ({
        ok: await upstream.ready(),
        message: `GET ${config.upstreamUrl.replace(/\/$/, '')}${config.upstreamHealthPath}`,
      }),
    },
  ];
  // The admin port comes up first: /healthz answers while a large model loads, /readyz says what it waits for.
  const adminServer = createServer(createAdminApp({ metrics, checks }));
  const adminPort = await listen(adminServer, config.adminListen);
  const abandon = async (err: unknown): Promise<never> => {
    adminServer.closeAllConnections();
    await new Promise<void>((resolve) => adminServer.close(() => resolve()));
    await upstream.close();
    await deps.close?.();
    throw err;
  };
  try {
    current = await deps.compile(withFailMode(parsePolicyManifest(initialPolicyText), config.failMode));
  } catch (err) {
    await abandon(err);
  }
  metrics.setPolicy(current.name, current.hash);
  logger.info('policy loaded', { 'bulwark.policy.name': current.name, 'bulwark.policy.hash': current.hash });

  const watches: FileWatch[] = [
    watchFile(initialPolicyText, {
      path: config.policyPath,
      ...(config.watchDebounceMs !== undefined ? { debounceMs: config.watchDebounceMs } : {}),
      async onChange(text) {
        let next: CompiledPolicy;
        try {
          next = await deps.compile(withFailMode(parsePolicyManifest(text), config.failMode));
        } catch (err) {
          metrics.policyReloads.inc({ result: 'rejected' });
          logger.error('policy update rejected; keeping the current policy', {
            'error.message': (err as Error).message,
            'bulwark.policy.hash': current.hash,
          });
          return;
        }
        if (next.hash === current.hash) {
          metrics.policyReloads.inc({ result: 'unchanged' });
          return;
        }
        // One assignment: requests read the policy once at their start, so each sees exactly one version.
        const previous = current.hash;
        current = next;
        metrics.setPolicy(next.name, next.hash);
        metrics.policyReloads.inc({ result: 'applied' });
        logger.info('policy updated', {
          'bulwark.policy.hash': next.hash,
          'bulwark.policy.previous_hash': previous,
        });
      },
      onError(err) {
        logger.warn('policy file watch error', { 'error.message': err.message });
      },
    }),
  ];
  if (config.apiKeysPath && initialKeysText !== undefined) {
    watches.push(
      watchFile(initialKeysText, {
        path: config.apiKeysPath,
        ...(config.watchDebounceMs !== undefined ? { debounceMs: config.watchDebounceMs } : {}),
        onChange(text) {
          try {
            keys = parseApiKeys(text);
            logger.info('API keys updated', { 'bulwark.api_keys.count': keys.entries.length });
          } catch (err) {
            logger.error('API key file update rejected; keeping the current keys', {
              'error.message': (err as Error).message,
            });
          }
        },
        onError(err) {
          logger.warn('API key file watch error', { 'error.message': err.message });
        },
      }),
    );
  }

  const app = createGuardApp({
    role: config.role,
    outputScan: config.outputScan,
    policy: () => current,
    upstream,
    metrics,
    logger,
    audit,
    keys: () => keys,
    maxRequestBytes: config.maxRequestBytes,
    maxJsonDepth: config.maxJsonDepth,
    maxResponseBytes: config.maxResponseBytes,
    ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
    ...(deps.injectCanary ? { injectCanary: deps.injectCanary } : {}),
    ...(config.upstreamApiKey ? { upstreamAuthorization: `Bearer ${config.upstreamApiKey}` } : {}),
  });
  // The output check receives the request state header from the guard, which can exceed Node's 16 KiB.
  const server = createServer({ maxHeaderSize: config.role === 'output' ? 1024 * 1024 : 16 * 1024 }, app);
  server.requestTimeout = config.upstreamTimeoutMs + 30_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, config.listen).catch(async (err: unknown) => {
    for (const w of watches) w.close();
    return abandon(err);
  });
  logger.info('guard listening', {
    'bulwark.role': config.role,
    'server.port': port,
    'bulwark.admin.port': adminPort,
    'bulwark.upstream': config.upstreamUrl,
  });

  return {
    port,
    adminPort,
    metrics,
    policy: () => current,
    async reload() {
      await Promise.all(watches.map((w) => w.check()));
    },
    async close(graceMs = 0) {
      for (const w of watches) w.close();
      const closed = Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => adminServer.close(() => resolve())),
      ]);
      server.closeIdleConnections();
      adminServer.closeAllConnections();
      // Requests in progress get graceMs to finish (SIGTERM during a rollout), then are cut.
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(cut);
      await upstream.close();
      await deps.close?.();
    },
  };
}
