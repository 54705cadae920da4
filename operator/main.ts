// Entry point of the operator program: loads the kubeconfig, runs the Operator until SIGTERM/SIGINT,
// then shuts down gracefully (in-flight reconciles finish, watches close, the Lease is handed back).
import '../shared/node20-compat.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../shared/logging.ts';
import { CONTROLLER_NAME } from './constants.ts';
import { Operator, type OperatorOptions } from './controller/operator.ts';

export { Operator, type OperatorOptions } from './controller/operator.ts';

/**
 * An explicit path wins; otherwise client-node's default order: $KUBECONFIG, ~/.kube/config, then the
 * in-cluster ServiceAccount (token, CA and KUBERNETES_SERVICE_HOST).
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured (kubeconfig or in-cluster)');
  return kc;
}

export interface RunOptions extends Omit<OperatorOptions, 'kubeConfig' | 'onFatal'> {
  kubeconfigPath?: string;
  /** Upper bound for graceful shutdown; the chart's terminationGracePeriodSeconds is 30. */
  shutdownTimeoutMs?: number;
}

/** Runs until a signal or a fatal error; resolves to the process exit code. */
export async function runOperator(opts: RunOptions): Promise<number> {
  const log =
    opts.log ??
    createLogger({
      service: CONTROLLER_NAME,
      ...(process.env.LOG_LEVEL ? { level: process.env.LOG_LEVEL } : {}),
    });
  let finish: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const operator = new Operator({
    ...opts,
    kubeConfig: loadKubeConfig(opts.kubeconfigPath),
    log,
    onFatal: () => {
      void shutdown(1);
    },
  });
  let shuttingDown = false;
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const timer = setTimeout(() => {
      log.error('graceful shutdown timed out');
      finish(code || 1);
    }, opts.shutdownTimeoutMs ?? 25_000);
    timer.unref();
    try {
      await operator.stop();
    } finally {
      clearTimeout(timer);
      finish(code);
    }
  }
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('shutting down', { signal });
    void shutdown(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await operator.start();
  } catch (err) {
    log.error('could not start', { err: (err as Error).message });
    await shutdown(1);
  }
  const code = await exited;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return code;
}
