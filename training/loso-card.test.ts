import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const models = new URL('../models/', import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, models), 'utf8'));
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

interface Figures {
  n: number;
  recipe?: string;
  tpr?: number;
  fpr?: number;
}

describe('the second-stage card and its leave-one-source-out figures', () => {
  const losoFile = new URL('bulwark-injection-minilm-v1/loso.json', models);

  it('lists every measured source with the figures of loso.json and of the first stage', {
    skip: !existsSync(losoFile) && 'no loso.json yet (make model-encoder-loso)',
  }, () => {
    const loso: Record<string, Figures> = json('bulwark-injection-minilm-v1/loso.json');
    const first: Record<string, Figures> = json(
      'bulwark-injection-ngram-v1/metrics.json',
    ).leave_one_source_out;
    const { recipe } = json('bulwark-injection-minilm-v1/metrics.json');
    const card = readFileSync(new URL('bulwark-injection-minilm-v1/MODEL_CARD.md', models), 'utf8');
    assert.ok(Object.keys(loso).length > 0);
    for (const [source, x] of Object.entries(loso)) {
      const f = first[source] ?? { n: x.n };
      // Rows measured with another recipe than the shipped model's carry a dagger.
      const mark = x.recipe === recipe ? '' : ' †';
      const row = `| \`${source}\` | ${x.n} | ${pct(x.tpr)} / ${pct(x.fpr)}${mark} | ${pct(f.tpr)} / ${pct(f.fpr)} |`;
      assert.ok(card.includes(row), `MODEL_CARD.md lacks ${row}: run make model-encoder-loso or policy-eval`);
    }
  });
});
