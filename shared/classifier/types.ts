/** A text classifier scoring how likely each text is an attack. Implemented with onnxruntime-node. */
export interface TextClassifier {
  readonly name: string;
  /** P(malicious) per text, the maximum over sliding windows of long texts. */
  classify(texts: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}
