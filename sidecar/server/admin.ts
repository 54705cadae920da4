import express, { type Request, type Response } from 'express';
import type { GuardMetrics } from '../metrics/index.ts';

/** One readiness condition, cert-manager style: the first failing check names why the pod is not ready. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; message: string }> | { ok: boolean; message: string };
}

export interface AdminAppOptions {
  metrics: GuardMetrics;
  checks: readonly ReadinessCheck[];
}

/**
 * The admin listener (probes and scraping), on its own port so the NetworkPolicy can expose it to the
 * kubelet and Prometheus without exposing the API, and so a flood on the API cannot starve probes.
 */
export function createAdminApp(options: AdminAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req: Request, res: Response) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', async (req: Request, res: Response) => {
    const results = [];
    for (const c of options.checks) {
      const r = await c.check();
      results.push({ name: c.name, ...r });
    }
    const failed = results.find((r) => !r.ok);
    res.status(failed ? 503 : 200);
    if (req.query.verbose !== undefined) {
      res
        .type('text/plain')
        .send(results.map((r) => `[${r.ok ? '+' : '-'}]${r.name}: ${r.message}`).join('\n'));
      return;
    }
    res.type('text/plain').send(failed ? `not ready: ${failed.name}: ${failed.message}\n` : 'ok\n');
  });
  app.get('/metrics', async (_req: Request, res: Response) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return app;
}
