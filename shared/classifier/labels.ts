/**
 * Which output classes count as malicious, and P(malicious) from logits. Hugging Face configs name classes in
 * id2label (`{"0": "SAFE", "1": "INJECTION"}`, `LABEL_0`/`LABEL_1`, ...); see
 * https://huggingface.co/docs/transformers/main_classes/configuration (id2label).
 */

/** Class names taken as malicious when the caller gives no mapping (compared case-insensitively). */
export const DEFAULT_MALICIOUS_LABELS = ['malicious', 'injection', 'jailbreak', 'unsafe', 'prompt_injection'];

/**
 * Indices of the malicious classes. Explicit names must all exist in id2label. Without names: the default
 * names above; failing those, a two-class model's class 1 (the LABEL_1 convention).
 */
export function maliciousIndices(
  numLabels: number,
  id2label: Readonly<Record<string, string>> | undefined,
  wanted: readonly string[] | undefined,
): number[] {
  const names = new Map<string, number>();
  for (const [id, name] of Object.entries(id2label ?? {})) {
    const i = Number(id);
    if (Number.isInteger(i) && i >= 0 && i < numLabels) names.set(name.toLowerCase(), i);
  }
  if (wanted && wanted.length > 0) {
    const missing = wanted.filter((w) => !names.has(w.toLowerCase()) && !/^label_\d+$/i.test(w));
    if (missing.length > 0) {
      throw new Error(
        `labels.malicious names ${missing.map((m) => `"${m}"`).join(', ')}, not among the model's labels ` +
          `(${[...names.keys()].join(', ') || 'no id2label'})`,
      );
    }
    return [
      ...new Set(
        wanted.map((w) => names.get(w.toLowerCase()) ?? Number(/^label_(\d+)$/i.exec(w)?.[1] ?? Number.NaN)),
      ),
    ]
      .filter((i) => Number.isInteger(i) && i >= 0 && i < numLabels)
      .sort((a, b) => a - b);
  }
  const byDefault = DEFAULT_MALICIOUS_LABELS.flatMap((d) => (names.has(d) ? [names.get(d) as number] : []));
  if (byDefault.length > 0) return [...new Set(byDefault)].sort((a, b) => a - b);
  if (numLabels === 2) return [1];
  throw new Error(
    `cannot tell which of the model's ${numLabels} labels are malicious; pass labels.malicious ` +
      `(model labels: ${[...names.keys()].join(', ') || 'none'})`,
  );
}

/** Sum of the softmax probabilities of the malicious classes, for each row of a [rows, numLabels] logits array. */
export function maliciousProbabilities(
  logits: ArrayLike<number>,
  rows: number,
  numLabels: number,
  malicious: readonly number[],
): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < numLabels; k++) max = Math.max(max, logits[r * numLabels + k] as number);
    let total = 0;
    let bad = 0;
    for (let k = 0; k < numLabels; k++) {
      const e = Math.exp((logits[r * numLabels + k] as number) - max);
      total += e;
      if (malicious.includes(k)) bad += e;
    }
    out.push(bad / total);
  }
  return out;
}
