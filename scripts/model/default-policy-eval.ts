/**
 * Writes policies/default.eval.json: the default policy's figures on the shared validation split, for the
 * model card (training/bulwark_train/card.py renders them) and for the test that fails when they drift.
 * Latency is left out: it depends on the machine, the rest is deterministic.
 *
 *   npx tsx scripts/model/default-policy-eval.ts [DATASET.jsonl]   (make policy-eval)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { defaultPolicyFigures } from '../../cli/commands/eval.ts';

const dataset = process.argv[2] ?? new URL('../../../shared/datasets/all.jsonl', import.meta.url).pathname;
const figures = await defaultPolicyFigures(readFileSync(dataset, 'utf8'));
const out = new URL('../../policies/default.eval.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
console.log(`wrote ${out.pathname}: TPR ${figures.tpr}, FPR ${figures.fpr}`);
