/**
 * Scan cost on adversarial text: does any scanner's cost grow faster than the text? (METHOD.md, "Adversarial
 * input".)
 *
 *   node --import tsx bench/scanners/adversarial.bench.ts [--policy FILE] [--small N] [--large N] [--top N] [--json]
 *
 * Every unit below is repeated to two lengths and scanned by the policy's input chain as one user message
 * and by its output chain as one answer (the classifier left out: its cost is per window, bench/classifier).
 * A scan whose cost is linear in the text grows by large/small between the two lengths; one that tries a
 * long match from every position grows by its square. Figures are ratios within one run: to the same unit
 * at the small length, and to ordinary prose of the large length.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compilePolicy, withoutClassifier } from '../../shared/pipeline/index.ts';
import { parsePolicyManifest } from '../../shared/policy/index.ts';
import { REQUEST } from './chain.bench.ts';

/** Where a cue starts: nothing, a trigger word, a role tag. A run after them is what a failing match walks. */
export const OPENINGS = ['', 'ignore ', 'system: ', 'you are '];

/**
 * Repeated units: each printable ASCII character alone, before a space, before a letter and before a line
 * break (runs a character class accepts, broken by what a neighbouring class accepts), a few non-ASCII
 * characters the normaliser folds or keeps, words that start cues, and the links, addresses and numbers the
 * URL and PII scanners look for.
 */
export function adversarialUnits(): string[] {
  const units: string[] = [];
  for (let code = 0x21; code < 0x7f; code++) {
    const c = String.fromCharCode(code);
    units.push(c, `${c} `, `${c}a`, `${c}\n`);
  }
  units.push(
    ' ',
    '\n',
    '\r\n',
    '’',
    '“',
    '\u00a0',
    '\t',
    'é',
    '中',
    'а',
    '\u200b',
    'a ',
    'a\n',
    '\\n',
    '\\u0041',
  );
  units.push('ignore ', 'end of ', 'you are ', 'system: ', '<|im_start|>', 'base64 ', 'QUFB', '%41', '&#65;');
  units.push('a.io/ ', '[a](b) ', '<a href=b>', 'a@b.io ', '+1 555 0100 ', '4111 1111 1111 1111 ');
  return units;
}

export function adversarialText(opening: string, unit: string, length: number): string {
  return (opening + unit.repeat(Math.ceil(length / unit.length))).slice(0, length);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', default: new URL('../../policies/default.yaml', import.meta.url).pathname },
      small: { type: 'string', default: '16000' },
      large: { type: 'string', default: '64000' },
      top: { type: 'string', default: '10' },
      json: { type: 'boolean' },
    },
  });
  const loaded = parsePolicyManifest(readFileSync(values.policy!, 'utf8'));
  const policy = compilePolicy({ ...loaded, spec: withoutClassifier(loaded.spec) });
  const small = Number(values.small);
  const large = Number(values.large);
  // Input: the text as one user message. Output: the same text as a whole model answer (an answer can
  // echo what the user sent).
  const paths = {
    input: (text: string) => policy.scanInput([text], policy.newRequestState('bench')),
    output: (text: string) => policy.scanOutput(text, policy.newRequestState('bench')),
  };
  type Path = keyof typeof paths;
  const scanMs = async (path: Path, text: string) => {
    const t = performance.now();
    await paths[path](text);
    return performance.now() - t;
  };
  // The faster of two scans: a collection or another process on the machine only ever adds time.
  const best = async (path: Path, text: string) =>
    Math.min(await scanMs(path, text), await scanMs(path, text));
  const r = (x: number) => Math.round(x * 100) / 100;

  void (async () => {
    const prose = REQUEST.join('\n');
    const proseLarge = adversarialText('', `${prose}\n`, large);
    const result: Record<string, unknown> = { small, large, linearGrowth: r(large / small) };
    for (const path of Object.keys(paths) as Path[]) {
      for (let i = 0; i < 50; i++) await scanMs(path, prose); // warm-up: JIT, lazy corpora, regex caches
      const proseMs = await best(path, proseLarge);
      const rows: { opening: string; unit: string; smallMs: number; largeMs: number }[] = [];
      for (const opening of OPENINGS)
        for (const unit of adversarialUnits()) {
          const smallMs = await best(path, adversarialText(opening, unit, small));
          const largeMs = await best(path, adversarialText(opening, unit, large));
          rows.push({ opening, unit, smallMs, largeMs });
        }
      rows.sort((a, b) => b.largeMs - a.largeMs);
      const worst = rows.slice(0, Number(values.top)).map((row) => ({
        opening: row.opening,
        unit: row.unit,
        largeMs: r(row.largeMs),
        toProse: r(row.largeMs / proseMs),
        growth: r(row.largeMs / row.smallMs),
      }));
      result[path] = {
        texts: rows.length * 2,
        proseLargeMs: r(proseMs),
        worstToProse: worst[0]?.toProse,
        // Growth is noise for scans that take a millisecond; read it for the slow ones.
        maxGrowthOfSlowest: Math.max(...worst.map((w) => w.growth)),
        worst,
      };
    }
    console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  })();
}

if (import.meta.url === `file://${process.argv[1]}`) main();
