/**
 * The ONNX text classifier behind promptInjection / jailbreak / topics: Bulwark's default model or any Hugging
 * Face-style sequence classifier exported to ONNX with its tokenizer.json (bring your own).
 *
 * A model directory holds model.onnx (inputs input_ids and attention_mask, int64 [batch, seq], optionally
 * token_type_ids; output logits float32 [batch, labels]), tokenizer.json, and optionally config.json (id2label,
 * max_length, window_stride, max_windows, batch_size, threshold, pad_token_id, add_special_tokens) and
 * tokenizer_config.json.
 * Everything is loaded and checked once, with a trial run, so a broken model fails at start-up, not on the
 * first request.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import './no-telemetry.ts';
import ort from 'onnxruntime-node';
import { maliciousIndices, maliciousProbabilities } from './labels.ts';
import type { TextClassifier, TextWindow } from './types.ts';
import { detectSpecialTokens, makeBatches, makeWindows, type SpecialTokens } from './windows.ts';

export type { TextClassifier, TextWindow } from './types.ts';

export const DEFAULT_MODEL_NAME = 'bulwark-injection-ngram-v1';

/** The package root: the nearest ancestor with a package.json, from source (tsx) and from dist/ alike. */
function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(here, '../..');
  }
}

/** The shipped default model. */
export const DEFAULT_MODEL_DIR = path.join(packageRoot(), 'models', DEFAULT_MODEL_NAME);

export const DEFAULT_CASCADE_MODEL_NAME = 'bulwark-injection-minilm-v1';

/** The shipped second-stage model a cascade uses when it names none (see cascade.ts). */
export const DEFAULT_CASCADE_MODEL_DIR = path.join(packageRoot(), 'models', DEFAULT_CASCADE_MODEL_NAME);

const DEFAULT_MAX_LENGTH = 512;
const DEFAULT_BATCH_SIZE = 8;
const PROBE = 'hello world';

/** A model directory that cannot be used; `file` names the offending file. */
export class ClassifierLoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClassifierLoadError';
  }
}

export interface LoadClassifierOptions {
  modelDir: string;
  /** Class names that count as malicious (e.g. ["INJECTION", "JAILBREAK"], ["LABEL_1"]); see labels.ts. */
  labels?: { malicious: string[] };
  /**
   * Tokens per window, special tokens included. Default: config.json max_length (Bulwark models) or
   * tokenizer_config.json model_max_length (transformers exports), else 512.
   */
  maxLength?: number;
  /**
   * Text tokens between window starts. Default: config.json window_stride when the window is the config's
   * max_length, else 3/4 of a window.
   */
  stride?: number;
  /**
   * At most this many windows per text, evenly spaced (see windows.ts). Default: config.json max_windows
   * when the window is the config's max_length, else every window.
   */
  maxWindows?: number;
  /** onnxruntime intra-op threads; 1 keeps the guard's latency steady on small machines. */
  intraOpThreads?: number;
  /**
   * Windows per onnxruntime call. Default: config.json batch_size, else 8. A dynamically quantized model
   * (int8 activations scaled per call) states 1, so that a window's score does not depend on the others.
   */
  batchSize?: number;
}

export interface LoadedClassifier extends TextClassifier {
  /** The model's recommended operating threshold on P(malicious) (config.json), if it has one. */
  readonly threshold: number | undefined;
  readonly maxLength: number;
  readonly stride: number;
  readonly maxWindows: number | undefined;
  readonly intraOpThreads: number;
  readonly maliciousLabels: readonly number[];
  windowsOf(text: string, limit: number): TextWindow[];
  classifyWindows(windows: readonly TextWindow[]): Promise<number[]>;
}

interface ModelConfig {
  name?: string;
  id2label?: Record<string, string>;
  max_length?: number;
  window_stride?: number;
  max_windows?: number;
  batch_size?: number;
  threshold?: number;
  pad_token_id?: number;
  add_special_tokens?: boolean;
  /** Present in transformers configs, whose max_length is a generation setting, not the input size. */
  architectures?: unknown;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClassifierLoadError(
      file,
      code === 'ENOENT'
        ? `${what} not found: ${file}`
        : `cannot read ${what} ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ClassifierLoadError(file, `${what} ${file} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseConfig(raw: unknown, file: string): ModelConfig {
  const bad = (what: string) => new ClassifierLoadError(file, `config.json ${file}: ${what}`);
  if (!isObject(raw)) throw bad('expected a JSON object');
  const posInt = (k: string) => {
    const v = raw[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw bad(`${k} must be a non-negative integer`);
    return v;
  };
  const id2label = raw.id2label;
  if (
    id2label !== undefined &&
    (!isObject(id2label) || Object.values(id2label).some((v) => typeof v !== 'string'))
  ) {
    throw bad('id2label must map class ids to names');
  }
  const threshold = raw.threshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || threshold < 0 || threshold > 1)) {
    throw bad('threshold must be a number in [0, 1]');
  }
  return {
    name: typeof raw.name === 'string' ? raw.name : undefined,
    id2label: id2label as Record<string, string> | undefined,
    max_length: posInt('max_length'),
    window_stride: posInt('window_stride'),
    max_windows: posInt('max_windows'),
    batch_size: posInt('batch_size'),
    threshold: threshold as number | undefined,
    pad_token_id: posInt('pad_token_id'),
    add_special_tokens: typeof raw.add_special_tokens === 'boolean' ? raw.add_special_tokens : undefined,
    architectures: raw.architectures,
  };
}

/**
 * The window size a model directory asks for: Bulwark's config.json max_length; for a transformers export
 * (config.json with "architectures"), tokenizer_config.json's model_max_length, ignoring the huge sentinel
 * tokenizers write when they have no limit. (transformers' own config max_length is the generation length.)
 */
function configuredMaxLength(config: ModelConfig, tokConfig: unknown): number | undefined {
  if (config.architectures === undefined && config.max_length !== undefined) return config.max_length;
  const m = isObject(tokConfig) ? tokConfig.model_max_length : undefined;
  return typeof m === 'number' && Number.isInteger(m) && m > 0 && m <= 100_000 ? m : undefined;
}

function padIdOf(tokenizer: Tokenizer, config: ModelConfig): number {
  if (config.pad_token_id !== undefined) return config.pad_token_id;
  for (const t of ['[PAD]', '<pad>', '<|pad|>']) {
    const id = tokenizer.token_to_id(t);
    if (id !== undefined) return id;
  }
  return 0;
}

export async function loadClassifier(opts: LoadClassifierOptions): Promise<LoadedClassifier> {
  const dir = path.resolve(opts.modelDir);
  const modelFile = path.join(dir, 'model.onnx');
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const configFile = path.join(dir, 'config.json');
  const tokConfigFile = path.join(dir, 'tokenizer_config.json');
  if (!existsSync(dir)) throw new ClassifierLoadError(dir, `classifier model directory not found: ${dir}`);
  if (!existsSync(modelFile)) throw new ClassifierLoadError(modelFile, `model.onnx not found: ${modelFile}`);

  const config = existsSync(configFile)
    ? parseConfig(await readJson(configFile, 'config.json'), configFile)
    : {};
  const tokConfig = existsSync(tokConfigFile) ? await readJson(tokConfigFile, 'tokenizer_config.json') : {};
  const tokJson = await readJson(tokenizerFile, 'tokenizer.json');
  let tokenizer: Tokenizer;
  let special: SpecialTokens;
  try {
    if (!isObject(tokJson) || !isObject(tokJson.model)) throw new Error('no "model" section');
    tokenizer = new Tokenizer(tokJson, isObject(tokConfig) ? tokConfig : {});
    const plain = tokenizer.encode(PROBE, { add_special_tokens: false }).ids;
    special =
      config.add_special_tokens === false
        ? { prefix: [], suffix: [] }
        : detectSpecialTokens(tokenizer.encode(PROBE, { add_special_tokens: true }).ids, plain);
  } catch (err) {
    throw new ClassifierLoadError(
      tokenizerFile,
      `unusable tokenizer.json ${tokenizerFile}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  const maxLength = opts.maxLength ?? configuredMaxLength(config, tokConfig) ?? DEFAULT_MAX_LENGTH;
  const room = maxLength - special.prefix.length - special.suffix.length;
  if (!Number.isInteger(maxLength) || room < 1) {
    throw new ClassifierLoadError(
      dir,
      `maxLength ${maxLength} leaves no room for text next to the special tokens`,
    );
  }
  // The config's stride belongs to its max_length (the default model's windows overlap by one block).
  const configStride = maxLength === config.max_length ? config.window_stride : undefined;
  const stride = opts.stride ?? configStride ?? Math.max(1, Math.floor((room * 3) / 4));
  if (!Number.isInteger(stride) || stride < 1 || stride > room) {
    throw new ClassifierLoadError(dir, `stride ${stride} must be an integer between 1 and ${room}`);
  }
  const maxWindows = opts.maxWindows ?? (maxLength === config.max_length ? config.max_windows : undefined);
  if (maxWindows !== undefined && (!Number.isInteger(maxWindows) || maxWindows < 1)) {
    throw new ClassifierLoadError(dir, `maxWindows ${maxWindows} must be a positive integer`);
  }

  const intraOpThreads = opts.intraOpThreads ?? 1;
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) {
    throw new ClassifierLoadError(dir, `intraOpThreads ${intraOpThreads} must be a positive integer`);
  }

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelFile, {
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      // By default onnxruntime's extra threads spin-wait for more work after each run. Prompts come
      // milliseconds apart, so the spinning burns the core the guard's event loop and the model server
      // need: two threads took 1.8x one thread's CPU per call spinning, 1.2x not (bench/classifier).
      ...(intraOpThreads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    });
  } catch (err) {
    throw new ClassifierLoadError(
      modelFile,
      `cannot load ONNX model ${modelFile}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const inputs = new Set(session.inputNames);
  const missing = ['input_ids', 'attention_mask'].filter((n) => !inputs.has(n));
  const extra = [...inputs].filter((n) => !['input_ids', 'attention_mask', 'token_type_ids'].includes(n));
  const output = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  if (missing.length > 0 || extra.length > 0 || output === undefined) {
    await session.release();
    throw new ClassifierLoadError(
      modelFile,
      `ONNX model ${modelFile} does not look like a sequence classifier: inputs [${session.inputNames.join(', ')}], ` +
        `outputs [${session.outputNames.join(', ')}]; expected inputs input_ids and attention_mask ` +
        '(token_type_ids optional) and an output logits',
    );
  }
  const wantsTokenTypes = inputs.has('token_type_ids');
  const padId = padIdOf(tokenizer, config);
  const batchSize = opts.batchSize ?? config.batch_size ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    await session.release();
    throw new ClassifierLoadError(dir, `batchSize ${batchSize} must be a positive integer`);
  }

  /** Logits of one batch of windows as [rows, labels]. */
  async function runBatch(batch: ReturnType<typeof makeBatches>[number]) {
    const dims = [batch.rows, batch.cols];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, dims),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
    };
    if (wantsTokenTypes)
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.rows * batch.cols), dims);
    const result = (await session.run(feeds))[output as string];
    if (result?.dims.length !== 2 || result.dims[0] !== batch.rows || result.type !== 'float32') {
      throw new Error(`model output ${output} is not float32 [${batch.rows}, labels]`);
    }
    return { logits: result.data as Float32Array, labels: result.dims[1] as number };
  }

  // Trial run: proves the graph executes and tells the number of classes.
  let numLabels: number;
  try {
    const probe = makeBatches(
      makeWindows([tokenizer.encode(PROBE, { add_special_tokens: false }).ids], {
        maxLength,
        stride,
        special,
      }),
      1,
      padId,
    );
    numLabels = (await runBatch(probe[0] as ReturnType<typeof makeBatches>[number])).labels;
  } catch (err) {
    await session.release();
    throw new ClassifierLoadError(
      modelFile,
      `ONNX model ${modelFile} failed a trial run: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  let malicious: number[];
  try {
    malicious = maliciousIndices(numLabels, config.id2label, opts.labels?.malicious);
  } catch (err) {
    await session.release();
    throw new ClassifierLoadError(existsSync(configFile) ? configFile : modelFile, (err as Error).message, {
      cause: err,
    });
  }

  let closed = false;
  return {
    name: config.name ?? path.basename(dir),
    threshold: config.threshold,
    maxLength,
    stride,
    maxWindows,
    intraOpThreads,
    maliciousLabels: malicious,
    async classify(texts: readonly string[]): Promise<number[]> {
      if (closed) throw new Error(`classifier ${dir} is closed`);
      if (texts.length === 0) return [];
      const ids = texts.map((t) => tokenizer.encode(t, { add_special_tokens: false }).ids);
      const scores = new Array<number>(texts.length).fill(0);
      const windows = makeWindows(ids, { maxLength, stride, special, ...(maxWindows ? { maxWindows } : {}) });
      for (const batch of makeBatches(windows, batchSize, padId)) {
        const { logits, labels } = await runBatch(batch);
        const p = maliciousProbabilities(logits, batch.rows, labels, malicious);
        batch.texts.forEach((t, r) => {
          scores[t] = Math.max(scores[t] as number, p[r] as number);
        });
      }
      return scores;
    },
    windowsOf(text: string, limit: number): TextWindow[] {
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      return makeWindows([ids], { maxLength, stride, special, maxWindows: limit }).map((w) => ({
        text: tokenizer.decode(w.ids, { skip_special_tokens: true }),
        ids: w.ids,
      }));
    },
    async classifyWindows(windows: readonly TextWindow[]): Promise<number[]> {
      if (closed) throw new Error(`classifier ${dir} is closed`);
      const scores: number[] = [];
      const numbered = windows.map((w, text) => ({ text, ids: [...w.ids] }));
      for (const batch of makeBatches(numbered, batchSize, padId)) {
        const { logits, labels } = await runBatch(batch);
        scores.push(...maliciousProbabilities(logits, batch.rows, labels, malicious));
      }
      return scores;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
