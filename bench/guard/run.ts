/**
 * Guard latency and throughput benchmark; see METHOD.md. Usage:
 *   node --import tsx bench/guard/run.ts [--rounds 3] [--duration 5] [--connections 16] [--json out.json]
 *     [--sequential 500]        requests per target in each of the 5 rounds of the added-latency figures
 *     [--warmup 3]              seconds of load per target before measuring
 *     [--policy rules|default|shipped]  the rule policy (policy.ts, default), policies/default.yaml
 *                               without its classifier, or policies/default.yaml as it is
 *     [--prompts fixed|chat]    one fixed ~2 KB chat request (default), or 4-turn conversations of the
 *                               benign rows of --dataset's --split (see workload())
 *     [--replies fixed|returned]  chat: every assistant turn is one fixed sentence (default), or the reply
 *                               the fake model returned for that turn, as a chat client sends it back
 *     [--profile DIR]   the guard runs under `node --cpu-prof` and writes its profile into DIR
 *     [--tsx]           run the servers from source under tsx instead of compiled with tsc
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { parseDataset } from '../../shared/eval/index.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    sequential: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '3' },
    json: { type: 'string' },
    profile: { type: 'string' },
    policy: { type: 'string', default: 'rules' },
    prompts: { type: 'string', default: 'fixed' },
    replies: { type: 'string', default: 'fixed' },
    dataset: {
      type: 'string',
      default: new URL('../../../shared/datasets/all.jsonl', import.meta.url).pathname,
    },
    split: { type: 'string', default: 'validation' },
    tsx: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const connections = Number(values.connections);

const PROSE =
  'Our support team answers questions about routers, firmware updates and billing. Please be concise, ' +
  'friendly and accurate, and link to the documentation when it helps the customer solve the issue. ';
const REPLY = 'Thanks, that helps. Let me look into it and come back with the next step.';

/** A chat request: a system prompt, then the user turns with `replyTo(the turn)` after each but the last. */
function chatBody(userTurns: string[], replyTo: (turn: string) => string): string {
  const messages = [{ role: 'system', content: PROSE.repeat(5) }];
  userTurns.forEach((content, i) => {
    if (i > 0) messages.push({ role: 'assistant', content: replyTo(userTurns[i - 1]!) });
    messages.push({ role: 'user', content });
  });
  return JSON.stringify({ model: 'fake-model', messages, temperature: 0.2, max_tokens: 256 });
}

/** Request bodies in the order they are sent; every target and phase draws from the one sequence. */
interface Workload {
  next(): string;
  /** The bodies' median size. */
  bodyBytes: number;
}

/** Turns per conversation in `--prompts chat`: request k of a conversation carries its k user turns. */
const CONVERSATION_TURNS = 4;
/**
 * Conversations in progress at once: their requests alternate, so a conversation's next turn is sent well
 * after its previous one was answered (with up to 16 connections), as when many users chat at once.
 */
const CONVERSATIONS_AT_ONCE = 64;

/**
 * `fixed`: one ~2 KB request with ordinary prose, every time (caches keyed by text always hit).
 * `chat`: conversations of CONVERSATION_TURNS user turns, each turn a benign row of the dataset's split, so
 * the classifier sees the spread of real prompts (the few that reach its second stage included). As a chat
 * client does, request k of a conversation repeats the system prompt and the k - 1 earlier turns; every new
 * turn ends with a reference number no other request has, so it is new to the guard even when the load has
 * gone through all rows. CONVERSATIONS_AT_ONCE conversations take turns.
 */
function workload(): Workload {
  if (values.prompts === 'fixed') {
    const body = chatBody(
      [
        'My router keeps dropping the connection every evening.',
        `It is the AX3000 on firmware 2.1.4. ${PROSE.repeat(4)} What should I try first?`,
      ],
      () => 'Sorry to hear that. Which model is it, and which firmware version?',
    );
    return { next: () => body, bodyBytes: Buffer.byteLength(body) };
  }
  if (values.prompts !== 'chat') throw new Error(`unknown --prompts ${values.prompts} (fixed or chat)`);
  if (values.replies !== 'fixed' && values.replies !== 'returned')
    throw new Error(`unknown --replies ${values.replies} (fixed or returned)`);
  const rows = parseDataset(readFileSync(values.dataset, 'utf8'), { split: values.split })
    .filter((r) => r.label === 'benign')
    .map((r) => r.text);
  if (rows.length === 0) throw new Error(`${values.dataset}: no benign rows in split ${values.split}`);
  // --replies returned: what the fake model answers (test/support/openai-upstream.ts), as a client sends it back.
  const replyTo = values.replies === 'returned' ? (turn: string) => `Echo: ${turn}` : () => REPLY;
  const turn = (n: number) => `${rows[n % rows.length]} (ref ${n})`;
  // Request n is turn k of conversation c: CONVERSATIONS_AT_ONCE conversations take turns, as many users do.
  const perBlock = CONVERSATIONS_AT_ONCE * CONVERSATION_TURNS;
  const bodyAt = (n: number) => {
    const k = Math.floor((n % perBlock) / CONVERSATIONS_AT_ONCE);
    const c = Math.floor(n / perBlock) * CONVERSATIONS_AT_ONCE + (n % CONVERSATIONS_AT_ONCE);
    const turns = Array.from({ length: k + 1 }, (_, i) => turn(c * CONVERSATION_TURNS + i));
    return chatBody(turns, replyTo);
  };
  const sizes = Array.from({ length: perBlock * 2 }, (_, n) => Buffer.byteLength(bodyAt(n))).sort(
    (a, b) => a - b,
  );
  let sent = 0;
  return { next: () => bodyAt(sent++), bodyBytes: sizes[sizes.length / 2]! };
}

const root = new URL('../../', import.meta.url).pathname;

/**
 * The servers as the guard image runs them: compiled with tsc (bench/guard/tsconfig.json, into
 * .cache/bench-guard) and started with plain node. Under tsx every process would also carry the
 * loader (its esbuild worker adds ~20 MiB to the RSS we report).
 */
function serversEntry(): string[] {
  if (values.tsx) return ['--import', 'tsx', new URL('./servers.ts', import.meta.url).pathname];
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}bench/guard/tsconfig.json`],
    {
      stdio: 'inherit',
    },
  );
  // Data files read at run time beside their modules, which tsc does not copy.
  execFileSync(`${root}scripts/build/copy-runtime-assets.sh`, [`${root}.cache/bench-guard`], {
    stdio: 'inherit',
  });
  return [`${root}.cache/bench-guard/bench/guard/servers.js`];
}
const entry = serversEntry();
const work = workload();

/** Every server started; whatever ends this process (a server that fails to start included) ends them. */
const started: ChildProcess[] = [];
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGTERM');
});

function start(args: string[], nodeFlags: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...nodeFlags, ...entry, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BULWARK_BENCH_ROOT: root },
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /ready (\d+)/.exec(chunk.toString());
      if (m) resolve({ child, port: Number(m[1]) });
    });
  });
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat (clock ticks, USER_HZ 100). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU milliseconds each process spent per request while `run` ran: load-independent, unlike rps. */
async function cpuPerRequest<T extends { requests: number }>(
  pids: Record<string, number>,
  run: () => Promise<T>,
) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const result = await run();
  const perRequest = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [
      k,
      Math.round(((cpuSeconds(pid) - before[k]!) * 1e6) / result.requests) / 1000,
    ]),
  );
  return { result, cpuMsPerRequest: perRequest };
}

/**
 * The workload's next bodies over all connections. Only the guard may answer non-2xx, and only for a prompt
 * its policy blocks (a benign row it flags): those are counted, not failures.
 */
async function load(
  url: string,
  options: { sample?: () => void; mayBlock?: boolean; seconds?: number } = {},
) {
  const timer = options.sample ? setInterval(options.sample, 250) : undefined;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          request.body = work.next();
          return request;
        },
      },
    ],
    connections,
    duration: options.seconds ?? duration,
  });
  clearInterval(timer);
  if (result.errors > 0 || (result.non2xx > 0 && !options.mayBlock))
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
  };
}

interface Timings {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** `n` sequential requests over one keep-alive connection, timed in microseconds: the added-latency figure. */
async function sequential(url: string, n: number): Promise<Timings> {
  const { Pool } = await import('undici');
  const origin = new URL(url);
  const pool = new Pool(origin.origin, { connections: 1 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await pool.request({
      method: 'POST',
      path: origin.pathname,
      headers: { 'content-type': 'application/json' },
      body: work.next(),
    });
    await res.body.text();
    times.push(performance.now() - t);
  }
  await pool.close();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / n };
}

const upstream = await start(['upstream']);
const floor = await start(['floor', String(upstream.port)]);
const guard = await start(
  ['guard', String(upstream.port), values.policy],
  values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [],
);
try {
  const path = '/v1/chat/completions';
  const direct = `http://127.0.0.1:${upstream.port}${path}`;
  const guarded = `http://127.0.0.1:${guard.port}${path}`;
  const floored = `http://127.0.0.1:${floor.port}${path}`;
  // Warm-up: JIT, keep-alive pools, lazy scanner state; the model too, which every load goes through.
  const warmup = Number(values.warmup);
  for (const url of [direct, guarded, floored])
    await load(url, { mayBlock: url === guarded, seconds: warmup });
  const idleRss = rssMiB(guard.child.pid!);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  // Rounds of direct, guarded and floor load back to back: a burst of other work on the machine hits one
  // round, and the median over rounds (ratios taken within a round) discounts it.
  type Loaded = Awaited<ReturnType<typeof load>>;
  const runs: {
    direct: Loaded;
    guard: Loaded;
    floor: Loaded;
    cpu: Record<string, Record<string, number>>;
  }[] = [];
  let peakRss = 0;
  for (let round = 0; round < rounds; round++) {
    const d = await cpuPerRequest({ upstream: upstream.child.pid!, loadGenerator: process.pid }, () =>
      load(direct),
    );
    const g = await cpuPerRequest(
      { guard: guard.child.pid!, upstream: upstream.child.pid!, loadGenerator: process.pid },
      () =>
        load(guarded, {
          mayBlock: true,
          sample: () => {
            peakRss = Math.max(peakRss, rssMiB(guard.child.pid!));
          },
        }),
    );
    const f = await cpuPerRequest(
      { floor: floor.child.pid!, upstream: upstream.child.pid!, loadGenerator: process.pid },
      () => load(floored),
    );
    runs.push({
      direct: d.result,
      guard: g.result,
      floor: f.result,
      cpu: { direct: d.cpuMsPerRequest, guarded: g.cpuMsPerRequest, floor: f.cpuMsPerRequest },
    });
  }
  const med = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
  // Interleaved so machine noise hits all alike.
  const seqRuns = { direct: [] as Timings[], guard: [] as Timings[], floor: [] as Timings[] };
  const perTarget = Number(values.sequential);
  for (let round = 0; round < 5; round++) {
    seqRuns.direct.push(await sequential(direct, perTarget));
    seqRuns.guard.push(await sequential(guarded, perTarget));
    seqRuns.floor.push(await sequential(floored, perTarget));
  }
  /** e.g. guardP99Ms: the median over rounds of each round's p99 through the guard. */
  const seq: Record<string, number> = {};
  for (const [target, timings] of Object.entries(seqRuns))
    for (const figure of ['p50', 'p90', 'p99', 'mean'] as const)
      seq[`${target}${figure[0]!.toUpperCase()}${figure.slice(1)}Ms`] = median(timings.map((t) => t[figure]));
  const added = (target: string, figure: string) => seq[`${target}${figure}Ms`]! - seq[`direct${figure}Ms`]!;
  const report = {
    sequential: {
      ...seq,
      addedP50Ms: added('guard', 'P50'),
      addedP90Ms: added('guard', 'P90'),
      addedP99Ms: added('guard', 'P99'),
      addedMeanMs: added('guard', 'Mean'),
    },
    prompts: values.prompts,
    replies: values.prompts === 'chat' ? values.replies : undefined,
    bodyBytes: work.bodyBytes,
    policy: values.policy,
    runtime: values.tsx ? 'tsx' : 'tsc build',
    node: process.version,
    cpus: cpus().length,
    loadAverage1m: loadavg()[0],
    connections,
    rounds,
    durationSeconds: duration,
    rps: {
      direct: med((r) => r.direct.rps),
      guard: med((r) => r.guard.rps),
      floor: med((r) => r.floor.rps),
    },
    throughputRatio: med((r) => r.guard.rps / r.direct.rps),
    /** Requests the guard's policy blocked under load (benign rows it flags), over all rounds. */
    guardBlocked: runs.reduce((n, r) => n + r.guard.non2xx, 0),
    floorThroughputRatio: med((r) => r.floor.rps / r.direct.rps),
    cpuMsPerRequest: {
      guard: med((r) => r.cpu.guarded!.guard!),
      floor: med((r) => r.cpu.floor!.floor!),
      upstream: med((r) => r.cpu.direct!.upstream!),
      guardOverFloor: med((r) => r.cpu.guarded!.guard! / r.cpu.floor!.floor!),
    },
    floorAdded: { p50Ms: added('floor', 'P50'), p99Ms: added('floor', 'P99') },
    guardRssMiB: { idle: Math.round(idleRss), peakUnderLoad: Math.round(peakRss) },
    perRound: runs,
  };
  console.log(JSON.stringify(report, null, 2));
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
} finally {
  guard.child.removeAllListeners('exit');
  upstream.child.removeAllListeners('exit');
  floor.child.removeAllListeners('exit');
  floor.child.kill('SIGTERM');
  const guardExited = new Promise((resolve) => guard.child.once('exit', resolve));
  guard.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
  // The guard writes its CPU profile on exit.
  await guardExited;
}
