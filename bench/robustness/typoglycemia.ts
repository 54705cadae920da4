/**
 * Detection on text whose words are scrambled as typoglycemia attacks scramble them (method and figures:
 * METHOD.md).
 *
 *   node --import tsx bench/robustness/typoglycemia.ts [--policy FILE] [--dataset FILE] [--split NAME]
 *     [--words attack|RATE] [--seed N] [--split-with SEPARATOR | --flip] [--json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { preparePolicy, readPolicy } from '../../cli/commands/eval.ts';
import { evaluatePolicy, type Figures, parseDataset, type Row } from '../../shared/eval/index.ts';

/**
 * The words an attacker hides from a keyword filter (override, extraction, persona): 26 of the 31 words the
 * cues' typo reading restores (sidecar/scanners/text/typos.ts), so `--words attack` shows how much that
 * reading wins back; `--words RATE` scrambles words whatever they are.
 */
const ATTACK_WORDS =
  /^(?:ignore|disregard|forget|bypass|override|previous|prior|above|earlier|instructions?|directions|directives|guidelines|restrictions|rules|prompt|system|reveal|repeat|secret|password|developer|jailbreak|unrestricted|unfiltered|pretend)$/i;

/** A small seeded generator (LCG), so every run scrambles the same letters. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Shuffles a word's middle letters, first and last kept; retries a few times for a different order. */
function scramble(word: string, random: () => number): string {
  const middle = [...word.slice(1, -1)];
  for (let attempt = 0; attempt < 5; attempt++) {
    for (let i = middle.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [middle[i], middle[j]] = [middle[j]!, middle[i]!];
    }
    if (middle.join('') !== word.slice(1, -1)) break;
  }
  return word[0] + middle.join('') + word.at(-1);
}

/** How the chosen words are changed: scrambled, split in half with a separator, or written backwards. */
type Change = { scramble: true } | { splitWith: string } | { flip: true };

/**
 * The rows with their chosen words changed: the attack words (`attack`) or each word of 4+ letters with
 * probability RATE.
 */
function scrambled(rows: readonly Row[], words: 'attack' | number, seed: number, how: Change): Row[] {
  const random = generator(seed);
  const change = (word: string) =>
    'splitWith' in how
      ? splitInHalf(word, how.splitWith)
      : 'flip' in how
        ? [...word].reverse().join('')
        : scramble(word, random);
  return rows.map((row) => ({
    ...row,
    text: row.text.replace(/\p{L}{4,}/gu, (word) =>
      (words === 'attack' ? ATTACK_WORDS.test(word) : random() < words) ? change(word) : word,
    ),
  }));
}

/** "ignore" -> "ign-ore": the other way past keyword rules that --split-with measures instead of scrambling. */
function splitInHalf(word: string, separator: string): string {
  const half = Math.floor(word.length / 2);
  return word.slice(0, half) + separator + word.slice(half);
}

async function main() {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string' },
      dataset: {
        type: 'string',
        default: new URL('../../../shared/datasets/all.jsonl', import.meta.url).pathname,
      },
      split: { type: 'string', default: 'validation' },
      words: { type: 'string', default: 'attack' },
      seed: { type: 'string', default: '12345' },
      'split-with': { type: 'string' },
      flip: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const splitWith = values['split-with'];
  if (splitWith !== undefined && values.flip) throw new Error('--split-with and --flip exclude each other');
  const how: Change =
    splitWith !== undefined ? { splitWith } : values.flip ? { flip: true } : { scramble: true };
  const changed = 'splitWith' in how ? 'split' : 'flip' in how ? 'flipped' : 'scrambled';
  const words = values.words === 'attack' ? 'attack' : Number(values.words);
  if (words !== 'attack' && !(words > 0 && words <= 1))
    throw new Error('--words must be attack or a rate in (0, 1]');
  const rows = parseDataset(readFileSync(values.dataset, 'utf8'), { split: values.split });
  const prepared = await preparePolicy(readPolicy(values.policy), 'auto');
  try {
    const summary = (f: Figures) => ({
      tpr: f.tpr,
      fpr: f.fpr,
      blocked: Object.fromEntries(Object.entries(f.byLabel).map(([label, cell]) => [label, cell?.blocked])),
    });
    const report = {
      words,
      splitWith: splitWith ?? null,
      flip: values.flip,
      seed: Number(values.seed),
      rows: rows.length,
      notes: prepared.notes,
      plain: summary(await evaluatePolicy(prepared.compiled, rows)),
      scrambled: summary(
        await evaluatePolicy(prepared.compiled, scrambled(rows, words, Number(values.seed), how)),
      ),
    };
    if (values.json) console.log(JSON.stringify(report));
    else {
      const line = (name: string, s: ReturnType<typeof summary>) =>
        `${name.padEnd(10)} TPR ${(s.tpr * 100).toFixed(1)}%  FPR ${(s.fpr * 100).toFixed(1)}%  ${JSON.stringify(s.blocked)}`;
      console.log(
        `${rows.length} rows, words ${changed}${splitWith === undefined ? '' : ` with '${splitWith}'`}: ${words}, seed ${report.seed}; ${prepared.notes.join('; ')}`,
      );
      console.log(line('plain', report.plain));
      console.log(line(changed, report.scrambled));
    }
  } finally {
    await prepared.close();
  }
}

await main();
