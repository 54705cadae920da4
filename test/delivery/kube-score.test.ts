// Lints the chart's output and what the operator generates for the samples with kube-score, built from
// its Go module by scripts/delivery/build-tools.sh. kube-linter, which issue 7 asks for, cannot be built
// here: the Go module proxy refuses golang.stackrox.io/kube-linter and github.com/stackrox/kube-linter.
// Zero findings, except those listed with their reason in scripts/delivery/kube-score-exceptions.yaml.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { sampleDesiredState } from './operator-output.ts';
import { helmPath, helmTemplate, kubeScorePath, REPO_ROOT, run, SCENARIOS } from './tools.ts';

interface Exception {
  check: string;
  objects: string[];
  reason: string;
}

interface ScoredObject {
  object_meta: { name: string; namespace?: string };
  type_meta: { kind: string };
  checks: {
    check: { id: string; name: string };
    grade: number;
    skipped: boolean;
    comments: { path: string; summary: string }[] | null;
  }[];
}

/** kube-score grades: 1 critical, 5 warning, 7 "almost OK", 10 OK. Anything below 10 is a finding. */
const OK = 10;

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

const helm = helmPath();
const kubeScore = kubeScorePath();
const skip = !helm
  ? 'helm not built: run `make binaries`'
  : !kubeScore
    ? 'kube-score not built: run `make delivery-tools`'
    : false;

describe('kube-score', { skip }, () => {
  it('finds nothing in the chart output or the operator output beyond the written-down exceptions', async () => {
    const exceptions = parse(
      await readFile(join(REPO_ROOT, 'scripts', 'delivery', 'kube-score-exceptions.yaml'), 'utf8'),
    ) as Exception[];
    for (const e of exceptions) assert.ok(e.reason?.length > 40, `exception ${e.check} has a reason`);

    const dir = await mkdtemp(join(tmpdir(), 'bulwark-kube-score-'));
    try {
      const files: string[] = [];
      for (const [name, args] of Object.entries(SCENARIOS)) {
        files.push(join(dir, `chart-${name}.yaml`));
        await writeFile(files.at(-1)!, await helmTemplate(helm!, args));
      }
      for (const [name, variant] of Object.entries({
        default: {},
        generated: { seccomp: 'Generated', appArmor: 'Generated', config: { serviceMonitor: true } },
      } as const)) {
        files.push(join(dir, `operator-${name}.yaml`));
        const objects = await sampleDesiredState({ ...variant, namespace: `llm-${name}` });
        await writeFile(files.at(-1)!, objects.map((o) => `---\n${stringify(o)}`).join(''));
      }

      const { stdout } = await run(kubeScore!, [
        'score',
        '--kubernetes-version',
        'v1.36',
        '--output-format',
        'json',
        ...files,
      ]).catch(
        // kube-score exits 1 when it has findings; the JSON is still on stdout.
        (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
      );
      const scored = JSON.parse(stdout) as ScoredObject[];
      assert.ok(scored.length >= 10, `kube-score saw ${scored.length} objects`);

      const used = new Set<Exception>();
      const findings: string[] = [];
      for (const o of scored) {
        const id = `${o.type_meta.kind}/${o.object_meta.name}`;
        for (const c of o.checks) {
          if (c.skipped || c.grade >= OK) continue;
          const exception = exceptions.find(
            (e) => e.check === c.check.id && e.objects.some((p) => glob(p).test(id)),
          );
          if (exception) {
            used.add(exception);
            continue;
          }
          const why = (c.comments ?? []).map((x) => `${x.path} ${x.summary}`).join('; ');
          findings.push(`${id}: ${c.check.id} (grade ${c.grade}) ${why}`);
        }
      }
      assert.deepEqual(findings, [], 'fix these, or add an exception with its reason');
      const stale = exceptions.filter((e) => !used.has(e)).map((e) => e.check);
      assert.deepEqual(stale, [], 'exceptions that match nothing any more: remove them');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
