// Two small HTTP servers on separate ports, as controller-runtime does: health probes for the kubelet
// (/healthz liveness, /readyz readiness) and /metrics for Prometheus. Separate ports let a
// NetworkPolicy open metrics to the monitoring namespace only, while probes come from the node.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named probe: returns undefined when fine, or a message saying what is wrong. */
export type Probe = () => string | undefined;

export interface ProbeServerOptions {
  port: number;
  host?: string;
  healthz: Record<string, Probe>;
  readyz: Record<string, Probe>;
}

function runProbes(probes: Record<string, Probe>): { ok: boolean; body: string } {
  const lines: string[] = [];
  let ok = true;
  for (const [name, probe] of Object.entries(probes)) {
    let problem: string | undefined;
    try {
      problem = probe();
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem) ok = false;
    lines.push(problem ? `[-]${name} failed: ${problem}` : `[+]${name} ok`);
  }
  lines.push(ok ? 'ok' : 'check failed');
  return { ok, body: `${lines.join('\n')}\n` };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

function closer(server: Server) {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** Serves /healthz and /readyz in the apiserver's verbose format (`[+]name ok`). Port 0 picks a free one. */
export async function startProbeServer(opts: ProbeServerOptions): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const probes =
      path === '/healthz' || path === '/livez' ? opts.healthz : path === '/readyz' ? opts.readyz : undefined;
    if (!probes || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const { ok, body } = runProbes(probes);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  });
  const port = await listen(server, opts.port, opts.host ?? '0.0.0.0');
  return { port, close: closer(server) };
}

export async function startMetricsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
}): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    opts.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  const port = await listen(server, opts.port, opts.host ?? '0.0.0.0');
  return { port, close: closer(server) };
}
