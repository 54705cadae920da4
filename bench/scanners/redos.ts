/**
 * ReDoS audit of the scanners' regular expressions (METHOD.md, "ReDoS audit").
 *
 *   node --import tsx bench/scanners/redos.ts [--timeout MS] [--only TEXT] [--json]
 *
 * recheck (https://makenowjust-labs.github.io/recheck/) reads every cue of the injection and jailbreak lists
 * and every regular-expression literal in sidecar/scanners, and for those it calls vulnerable builds an
 * attack string. recheck also calls bounded repetitions polynomial, so each attack string is then timed
 * against its expression in a child process (a runaway match cannot be stopped in its own thread), as built
 * and four times as long, next to prose: the ratios say whether the finding is real on this engine. Cues
 * are timed on the skeleton of the attack, which is what they read.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSync } from 'recheck';
import ts from 'typescript';
import { JAILBREAK_CUES } from '../../sidecar/scanners/jailbreak/index.ts';
import { INJECTION_CUES } from '../../sidecar/scanners/promptInjection/cues.ts';
import { skeleton } from '../../sidecar/scanners/text/normalize.ts';
import { REQUEST } from './chain.bench.ts';

const root = new URL('../../', import.meta.url).pathname;

interface Expression {
  where: string;
  source: string;
  flags: string;
  /** A cue matched on the normalised skeleton (normalize.ts), where whitespace runs are one character. */
  onSkeleton?: boolean;
}

function cueExpressions(): Expression[] {
  const lists = { 'promptInjection cue': INJECTION_CUES, 'jailbreak cue': JAILBREAK_CUES };
  return Object.entries(lists).flatMap(([name, cues]) =>
    cues.map((cue, i) => ({
      where: `${name} ${i} (${cue.id})`,
      source: cue.re.source,
      flags: cue.re.flags,
      onSkeleton: !cue.raw,
    })),
  );
}

function literalExpressions(dir: string): Expression[] {
  const found: Expression[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...literalExpressions(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
          const literal = node.getText();
          const end = literal.lastIndexOf('/');
          const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          found.push({
            where: `${relative(root, path)}:${line}`,
            source: literal.slice(1, end),
            flags: literal.slice(end + 1),
          });
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
  }
  return found;
}

/** Milliseconds to find every match of the expression in each text, or null when it ran out of time. */
function timeMatches(e: Expression, texts: string[], timeoutMs: number): (number | null)[] | null {
  const script = `
    const { source, flags, texts } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const re = new RegExp(source, flags.includes('g') ? flags : flags + 'g');
    console.log(JSON.stringify(texts.map((text) => {
      const t = performance.now();
      for (const _ of text.matchAll(re));
      return performance.now() - t;
    })));`;
  const run = spawnSync(process.execPath, ['-e', script], {
    input: JSON.stringify({ source: e.source, flags: e.flags, texts }),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  });
  if (run.signal) return null;
  return JSON.parse(run.stdout) as number[];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      timeout: { type: 'string', default: '5000' },
      only: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const timeout = Number(values.timeout);
  const prose = `${REQUEST.join('\n')}\n`;
  const expressions = [...cueExpressions(), ...literalExpressions(join(root, 'sidecar/scanners'))].filter(
    (e) => !values.only || e.where.includes(values.only),
  );
  const rows: Record<string, unknown>[] = [];
  const counts = { checked: 0, safe: 0, unknown: 0, vulnerable: 0 };
  // Out of recheck's time: neither cleared nor convicted; worth a longer --timeout now and then.
  const unknown: string[] = [];
  for (const e of expressions) {
    counts.checked++;
    const result = checkSync(e.source, e.flags, { timeout });
    if (result.status !== 'vulnerable') {
      counts[result.status === 'safe' ? 'safe' : 'unknown']++;
      if (result.status !== 'safe') unknown.push(e.where);
      continue;
    }
    counts.vulnerable++;
    // recheck's attack is a pattern like "'a' + 'b'.repeat(9000) + 'c'": built again with each repetition
    // four times as long, a linear scan takes four times as long and a quadratic one sixteen.
    const build = (times: number) =>
      new Function(
        `return ${result.attack.pattern.replace(/\.repeat\((\d+)\)/g, (_, n) => `.repeat(${Number(n) * times})`)}`,
      )() as string;
    const attack = build(1);
    const longer = build(4);
    const same = prose.repeat(Math.ceil(longer.length / prose.length)).slice(0, longer.length);
    const read = (text: string) => (e.onSkeleton ? skeleton(text).text : text);
    const ms = timeMatches(e, [attack, longer, same].map(read), 60_000);
    const r = (x: number) => Math.round(x * 10) / 10;
    rows.push({
      where: e.where,
      complexity:
        result.complexity.type === 'polynomial' ? `degree ${result.complexity.degree}` : 'exponential',
      attackChars: attack.length,
      attackMs: ms ? r(ms[0]!) : null,
      longerChars: longer.length,
      longerMs: ms ? r(ms[1]!) : null,
      growth: ms ? r(ms[1]! / Math.max(ms[0]!, 0.1)) : null,
      // Prose as long as the longer attack: how much a real finding costs over ordinary text.
      toProse: ms ? r(ms[1]! / Math.max(ms[2]!, 0.1)) : null,
    });
  }
  // Timed out (null) first, then by cost over prose.
  const key = (row: Record<string, unknown>) => (row.toProse as number | null) ?? Number.POSITIVE_INFINITY;
  rows.sort((a, b) => key(b) - key(a));
  const report = { ...counts, unknownWhere: unknown, vulnerableTimed: rows };
  console.log(values.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
