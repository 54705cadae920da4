/** A text classifier scoring how likely each text is an attack. Implemented with onnxruntime-node. */
export interface TextClassifier {
  readonly name: string;
  /**
   * The model's own operating threshold on its P(malicious), when it states one (config.json): calibrated()
   * maps it to 0.5 on the scanners' scale. Anything that wraps a classifier must pass it on, or the
   * scanners compare raw probabilities with thresholds meant for calibrated scores.
   */
  readonly threshold?: number | undefined;
  /** P(malicious) per text, the maximum over sliding windows of long texts. */
  classify(texts: readonly string[]): Promise<number[]>;
  /**
   * Every window classify() would cut from `text` before any maxWindows cap (at most `limit`, evenly
   * spaced), with its text as the tokenizer decodes it. With classifyWindows(), lets a cascade choose which
   * windows are worth the heavy model.
   */
  windowsOf?(text: string, limit: number): TextWindow[];
  /** P(malicious) of each window, batched as classify() batches windows (config.json batch_size). */
  classifyWindows?(windows: readonly TextWindow[]): Promise<number[]>;
  /** Why this classifier can no longer score (its worker stopped, say), or undefined while it can. */
  failure?(): string | undefined;
  /** What it has done since it was loaded, for the guard's metrics; absent where nobody counts. */
  usage?(): ClassifierUsage;
  close(): Promise<void>;
}

/** One window of a text as a particular model tokenizes it; only that model can score its ids. */
export interface TextWindow {
  readonly text: string;
  readonly ids: readonly number[];
}

/** Texts a classifier was asked to score since it was loaded, by what decided their score. */
export interface ClassifierUsage {
  /** Sent to the model(s). */
  scored: number;
  /** Of the scored texts, those a cascade's first model was unsure about and its second re-scored. */
  secondStage: number;
  /** Answered from the score cache (or shared with the same text in flight), without the model. */
  cached: number;
}
