/**
 * Writes the default policy's figures for the model cards (training/bulwark_train/card.py renders them) and
 * for the tests that fail when they drift. Latency is left out: it depends on the machine, the rest is
 * deterministic.
 *
 *   npx tsx scripts/model/default-policy-eval.ts [DATASET.jsonl]          policies/default.eval.json
 *                                                                        (shared validation split; make policy-eval)
 *   npx tsx scripts/model/default-policy-eval.ts EXTERNAL.jsonl external  policies/default.external.json
 *                                                                        (sources never trained on; make external-eval)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { defaultPolicyFigures } from '../../cli/commands/eval.ts';

const dataset = process.argv[2] ?? new URL('../../../shared/datasets/all.jsonl', import.meta.url).pathname;
const split = process.argv[3] ?? 'validation';
const figures = await defaultPolicyFigures(readFileSync(dataset, 'utf8'), split);
const name = split === 'validation' ? 'default.eval.json' : `default.${split}.json`;
const out = new URL(`../../policies/${name}`, import.meta.url);
writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
console.log(`wrote ${out.pathname}: TPR ${figures.tpr}, FPR ${figures.fpr}`);
