// Where the delivery tests find their tools, and small wrappers to run them. helm comes from the local
// control plane's binary cache (test/cluster/build-binaries.sh); kube-score from
// scripts/delivery/build-tools.sh; runc and apparmor_parser from Debian
// (scripts/delivery/install-runtime-tools.sh). `make test-prereqs` runs all three.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = join(REPO_ROOT, 'charts', 'bulwark');
export const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
/** Golden files are rewritten instead of compared when set (review the diff). */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';
/** The Kubernetes version the chart is rendered for offline; matches test/cluster/versions.env. */
export const KUBE_VERSION = 'v1.36.3';
export const RELEASE = 'bulwark';
export const RELEASE_NAMESPACE = 'bulwark-system';

/** Value sets rendered to golden files; each covers templates the others leave out. */
export const SCENARIOS: Record<string, string[]> = {
  default: [],
  full: [
    '--set',
    'operator.watchNamespaces={llm,llm-staging}',
    '--set',
    'metrics.serviceMonitor.enabled=true',
    '--set',
    'metrics.prometheusRule.enabled=true',
    '--set',
    'profileInstaller.enabled=true',
    '--set',
    'global.imageRegistry=registry.example.com/mirror',
    '--set',
    'image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ],
};

/** An executable from $ENV_VAR, else `fallback` if it exists, else undefined. */
function locate(envVar: string, fallback: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  return existsSync(fallback) ? fallback : undefined;
}

/**
 * The local control plane's binary directory, asked from its build script (test/cluster/), or undefined
 * while that script is absent.
 */
export function clusterBinDir(): string | undefined {
  const script = join(REPO_ROOT, 'test', 'cluster', 'build-binaries.sh');
  if (!existsSync(script)) return undefined;
  return execFileSync(script, ['--print-dir'], { encoding: 'utf8' }).trim();
}

export function helmPath(): string | undefined {
  const dir = clusterBinDir();
  return locate('BULWARK_HELM', dir ? join(dir, 'helm') : '/nonexistent');
}

export function kubectlPath(): string | undefined {
  const dir = clusterBinDir();
  return locate('BULWARK_KUBECTL', dir ? join(dir, 'kubectl') : '/nonexistent');
}

function deliveryToolsDir(): string {
  return execFileSync(join(REPO_ROOT, 'scripts', 'delivery', 'build-tools.sh'), ['--print-dir'], {
    encoding: 'utf8',
  }).trim();
}

export function kubeScorePath(): string | undefined {
  return locate('BULWARK_KUBE_SCORE', join(deliveryToolsDir(), 'kube-score'));
}

export function promqlCheckPath(): string | undefined {
  return locate('BULWARK_PROMQL_CHECK', join(deliveryToolsDir(), 'promql-check'));
}

/** Which of `names` is on PATH, by `command -v`. */
export function onPath(name: string): string | undefined {
  try {
    return execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export async function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  try {
    return await execFileAsync(file, args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 120_000,
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? REPO_ROOT,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    e.message = `${file} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`;
    throw e;
  }
}

/** `helm template` of the chart with a fixed release name and namespace (deterministic output). */
export async function helmTemplate(helm: string, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await run(helm, [
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    RELEASE_NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...extraArgs,
  ]);
  return stdout;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** The parts of a pod spec the tests read; rendered YAML, so everything may be absent. */
export interface PodSpecView {
  hostNetwork?: boolean;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers?: {
    name: string;
    image: string;
    args?: string[];
    securityContext?: {
      allowPrivilegeEscalation?: boolean;
      readOnlyRootFilesystem?: boolean;
      runAsUser?: number;
      privileged?: boolean;
      capabilities?: { drop?: string[] };
    };
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe?: unknown;
    readinessProbe?: unknown;
  }[];
}

// biome-ignore lint/suspicious/noExplicitAny: walks untyped YAML; the result is typed as PodSpecView.
export type Untyped = any;

/** The pod templates of the workload kinds among `objects`, with the owning object. */
export function podSpecs(objects: K8sObject[]): { owner: K8sObject; spec: PodSpecView }[] {
  const out: { owner: K8sObject; spec: PodSpecView }[] = [];
  for (const o of objects) {
    const spec = o.spec as Untyped;
    if (o.kind === 'Pod') out.push({ owner: o, spec: spec ?? {} });
    else if (['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job'].includes(o.kind)) {
      out.push({ owner: o, spec: spec?.template?.spec ?? {} });
    } else if (o.kind === 'CronJob')
      out.push({ owner: o, spec: spec?.jobTemplate?.spec?.template?.spec ?? {} });
  }
  return out;
}
