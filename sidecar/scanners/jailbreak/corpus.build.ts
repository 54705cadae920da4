/**
 * Builds corpus.json, the jailbreak templates the jailbreak scanner compares prompts with.
 *
 *   npx tsx sidecar/scanners/jailbreak/corpus.build.ts [DATASET_DIR]   (default ../shared/datasets)
 *
 * Only rows with split=train and label=jailbreak are read (validation stays unseen). Templates are chosen
 * greedily as a set cover: repeatedly take the row whose wording (≥ 50% shared 5-gram shingles) covers the
 * most train jailbreak rows not yet covered, skipping any row that overlaps a benign train row, until no
 * row covers MIN_COVER more. The result is deterministic for a given dataset (ties break on text order).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shingles, type Template } from './shingles.ts';

const MAX_TEMPLATES = 120;
const MIN_COVER = 3;
const COVER_OVERLAP = 0.5;
const BENIGN_OVERLAP = 0.3;
const MAX_CHARS = 6000;

interface Row {
  text: string;
  label: string;
  source: string;
  license: string;
  split: string;
}

function overlap(a: Set<number>, b: Set<number>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const h of small) if (large.has(h)) shared++;
  return shared / small.size;
}

function main(dir: string): void {
  const rows: Row[] = readFileSync(join(dir, 'all.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row)
    .filter((r) => r.split === 'train');
  const jailbreaks = rows.filter((r) => r.label === 'jailbreak').sort((a, b) => (a.text < b.text ? -1 : 1));
  const benign = rows.filter((r) => r.label === 'benign').map((r) => shingles(r.text));
  const sets = jailbreaks.map((r) => shingles(r.text));
  const eligible = sets.map((s) => s.size >= 20 && !benign.some((b) => overlap(s, b) >= BENIGN_OVERLAP));
  const covers = sets.map((s, i) =>
    eligible[i] ? sets.flatMap((t, j) => (overlap(s, t) >= COVER_OVERLAP ? [j] : [])) : [],
  );
  const covered = new Set<number>();
  const chosen: number[] = [];
  while (chosen.length < MAX_TEMPLATES) {
    let best = -1;
    let bestGain = 0;
    covers.forEach((list, i) => {
      const gain = list.filter((j) => !covered.has(j)).length;
      if (gain > bestGain) {
        best = i;
        bestGain = gain;
      }
    });
    if (best < 0 || bestGain < MIN_COVER) break;
    chosen.push(best);
    for (const j of covers[best]!) covered.add(j);
  }
  const templates: Template[] = chosen.map((i, k) => ({
    id: `jb-${String(k + 1).padStart(3, '0')}`,
    source: jailbreaks[i]!.source,
    license: jailbreaks[i]!.license,
    text: jailbreaks[i]!.text.slice(0, MAX_CHARS),
  }));
  const out = {
    description:
      'Jailbreak templates for the jailbreak scanner, chosen from the train split of the Bulwark developer dataset by corpus.build.ts. Attribution: corpus.NOTICE.md.',
    builtFrom: { rows: jailbreaks.length, covered: covered.size },
    templates,
  };
  writeFileSync(new URL('./corpus.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    `${templates.length} templates cover ${covered.size}/${jailbreaks.length} train jailbreak rows`,
  );
  const bySource = new Map<string, number>();
  for (const t of templates)
    bySource.set(`${t.source} (${t.license})`, (bySource.get(`${t.source} (${t.license})`) ?? 0) + 1);
  for (const [s, n] of bySource) console.log(`  ${n}  ${s}`);
}

main(process.argv[2] ?? join(process.cwd(), '..', 'shared', 'datasets'));
