import type { GuardrailPolicySpec, ScannerEntry, ScannerType } from '../../api/v1alpha1/index.ts';
import {
  classifierFor,
  classifierKey,
  wantsClassifier,
} from '../../sidecar/scanners/promptInjection/index.ts';
import { CLASSIFIER_SCANNERS, SCANNERS } from '../../sidecar/scanners/registry.ts';
import type {
  Direction,
  RequestState,
  ScanContext,
  ScannerDeps,
  ScanResult,
} from '../../sidecar/scanners/types.ts';
import { newCanary } from './canary.ts';
import { type CompiledEntry, clampScore, Recorder, rewrite, runEntry } from './record.ts';
import { createOutputStream } from './stream.ts';
import type { AnalysisRecord, CompiledPolicy, InputScanOutcome } from './types.ts';

export { type ChatMessage, canaryInstruction, injectCanary, newCanary } from './canary.ts';
export type { CompiledEntry } from './record.ts';
export { DEFAULT_HOLD_BACK } from './stream.ts';
export type * from './types.ts';

/** A policy that passed the schema but cannot run (bad pattern, missing model, impossible action...). */
export class PolicyCompileError extends Error {
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(message);
    this.name = 'PolicyCompileError';
  }
}

export interface CompileOptions {
  /**
   * Stop scanning a request at the first block (default true: the request is refused anyway, and the
   * guard's latency matters). `bulwark scan` turns it off to show every scanner's score.
   */
  failFast?: boolean;
  /**
   * Why a classifier could not be loaded, by classifierKey: quoted in the error (failMode closed) or
   * the warning (failMode open) of each entry that asked for it.
   */
  classifierErrors?: ReadonlyMap<string, string>;
}

export interface LoadedPolicyLike {
  name: string;
  hash: string;
  spec: GuardrailPolicySpec;
}

/** Scanner types whose action must be flag: they judge quality, not safety. */
const FLAG_ONLY: readonly ScannerType[] = ['noRefusal'];

/** What a compiled policy exposes beyond the contract, for the CLI, eval and tests. */
export interface CompiledPolicyDetails extends CompiledPolicy {
  readonly input: readonly CompiledEntry[];
  readonly output: readonly CompiledEntry[];
  /** Problems that did not stop compilation (a classifier missing where failMode open allows it). */
  readonly warnings: readonly string[];
  /** True when some entry uses the classifier and deps provided one. */
  readonly usesClassifier: boolean;
}

/** True when some entry of the spec asks for the ONNX classifier. */
export function policyWantsClassifier(spec: GuardrailPolicySpec): boolean {
  return [...spec.input, ...spec.output].some(
    (e) => CLASSIFIER_SCANNERS.includes(e.type) && wantsClassifier(e),
  );
}

/**
 * The same spec with the classifier switched off in every entry of `directions` (default both): for
 * measuring the heuristics alone, evaluating where no model is available, or the output check, which
 * never runs the input entries and so need not load their models.
 */
export function withoutClassifier(
  spec: GuardrailPolicySpec,
  directions: readonly Direction[] = ['input', 'output'],
): GuardrailPolicySpec {
  const off = <E extends ScannerEntry>(e: E): E =>
    e.params?.classifier
      ? { ...e, params: { ...e.params, classifier: { ...e.params.classifier, enabled: false } } }
      : e;
  return {
    ...spec,
    input: directions.includes('input') ? spec.input.map(off) : spec.input,
    output: directions.includes('output') ? spec.output.map(off) : spec.output,
  };
}

function compileEntry(
  entry: ScannerEntry,
  where: string,
  spec: GuardrailPolicySpec,
  deps: ScannerDeps,
  warnings: string[],
  classifierErrors: ReadonlyMap<string, string> | undefined,
): CompiledEntry {
  const failMode = entry.failMode ?? spec.failMode;
  if (FLAG_ONLY.includes(entry.type) && entry.action !== 'flag') {
    throw new PolicyCompileError(`${where} (${entry.type}): only action flag is supported`, where);
  }
  const params = entry.params?.classifier;
  if (
    CLASSIFIER_SCANNERS.includes(entry.type) &&
    params &&
    wantsClassifier(entry) &&
    !classifierFor(entry, deps)
  ) {
    const why = classifierErrors?.get(classifierKey(params));
    const model =
      (params.modelPath ? `model ${params.modelPath}` : 'the default model') +
      (params.cascade ? ` (cascade: ${params.cascade.modelPath ?? 'the default second-stage model'})` : '');
    // Without its detector the guard must not serve, unless the policy explicitly accepts heuristics only.
    if (failMode === 'closed') {
      throw new PolicyCompileError(
        `${where} (${entry.type}): params.classifier is enabled but ${model} is not loaded` +
          `${why ? `: ${why}` : ''}; ` +
          'provide the model, set params.classifier.enabled: false, or set failMode: open to run on heuristics alone',
        where,
      );
    }
    warnings.push(
      `${where} (${entry.type}): ${model} not loaded${why ? ` (${why})` : ''}; running on heuristics (failMode open)`,
    );
  }
  let scanner: CompiledEntry['scanner'];
  try {
    scanner = SCANNERS[entry.type](entry, deps);
  } catch (err) {
    throw new PolicyCompileError(`${where} (${entry.type}): ${(err as Error).message}`, where);
  }
  return { where, entry, scanner, action: entry.action, threshold: entry.threshold, failMode };
}

/**
 * Compiles a validated policy into runnable scanners. Everything that can be checked before traffic is
 * checked here and reported as a PolicyCompileError naming the entry, so an unusable policy is rejected
 * when it is loaded (and the previous one kept) rather than failing requests.
 */
export function compilePolicy(
  loaded: LoadedPolicyLike,
  deps: ScannerDeps = {},
  options: CompileOptions = {},
): CompiledPolicyDetails {
  const { spec } = loaded;
  const failFast = options.failFast ?? true;
  const warnings: string[] = [];
  const errors = options.classifierErrors;
  const input = spec.input.map((e, i) => compileEntry(e, `input[${i}]`, spec, deps, warnings, errors));
  const output = spec.output.map((e, i) => compileEntry(e, `output[${i}]`, spec, deps, warnings, errors));
  for (const e of output) {
    if (e.scanner.scope === 'request') {
      throw new PolicyCompileError(`${e.where} (${e.entry.type}): only valid as an input scanner`, e.where);
    }
  }
  const hasCanary = output.some((e) => e.entry.type === 'canary');
  const usesClassifier = [...spec.input, ...spec.output].some(
    (e) => CLASSIFIER_SCANNERS.includes(e.type) && classifierFor(e, deps) !== undefined,
  );

  const context = (direction: Direction, state: RequestState): ScanContext => ({ direction, state });

  async function scanTexts(
    entries: readonly CompiledEntry[],
    texts: string[],
    ctx: ScanContext,
    recorder: Recorder,
    judgedFrom?: readonly number[],
  ): Promise<boolean> {
    let blocked = false;
    for (const e of entries) {
      if (e.scanner.scope === 'request' && ctx.direction === 'input') {
        if (recorder.outcome(e, await runEntry(e, texts.join('\n'), ctx, recorder))) blocked = true;
      } else {
        // Timed once per entry over all texts (the record keeps a sum per scanner type anyway). The
        // outcome is recorded in place (Recorder.outcome's rules) rather than through an outcome object
        // per text, and a synchronous scanner (every rule scanner) is not awaited.
        const started = performance.now();
        const judges = e.action === 'block' || e.action === 'flag';
        for (let i = 0; i < texts.length; i++) {
          const text = texts[i]!;
          // Judges read only what the conversation rules leave to judge; rewriters read everything.
          const from = judges ? (judgedFrom?.[i] ?? 0) : 0;
          const scanned = from > 0 ? text.slice(from) : text;
          if (scanned === '') continue;
          let result: ScanResult;
          try {
            const raw = e.scanner.scan(scanned, ctx);
            result =
              typeof (raw as Partial<Promise<ScanResult>>).then === 'function'
                ? await raw
                : (raw as ScanResult);
          } catch {
            const blocks = e.failMode === 'closed';
            recorder.error(e, blocks);
            if (blocks) blocked = true;
            continue;
          }
          const score = clampScore(result.score);
          recorder.score(e.scanner.type, score);
          if (score < e.threshold) continue;
          recorder.fired(e, i);
          if (e.action === 'block') blocked = true;
          texts[i] = rewrite(e, text, result.findings, ctx);
        }
        recorder.time(e.scanner.type, performance.now() - started);
      }
      if (blocked && failFast) break;
    }
    return blocked;
  }

  const compiled: CompiledPolicyDetails = {
    name: loaded.name,
    hash: loaded.hash,
    spec,
    input,
    output,
    warnings,
    usesClassifier,
    newRequestState(requestId: string): RequestState {
      return { requestId, vault: new Map(), ...(hasCanary ? { canary: newCanary() } : {}) };
    },
    async scanInput(
      texts: string[],
      state: RequestState,
      judgedFrom?: readonly number[],
    ): Promise<InputScanOutcome> {
      const recorder = new Recorder('input');
      const out = [...texts];
      const blocked = await scanTexts(input, out, context('input', state), recorder, judgedFrom);
      return { texts: out, blocked, analysis: recorder.finish(), firedAt: recorder.firedAt };
    },
    async scanOutput(
      text: string,
      state: RequestState,
    ): Promise<{ text: string; blocked: boolean; analysis: AnalysisRecord }> {
      const recorder = new Recorder('output');
      const out = [text];
      const blocked = await scanTexts(output, out, context('output', state), recorder);
      return { text: out[0]!, blocked, analysis: recorder.finish() };
    },
    outputStream(state: RequestState) {
      return createOutputStream(output, context('output', state), new Recorder('output'));
    },
  };
  return compiled;
}
