/**
 * Loading the classifiers a policy asks for, once per distinct model, for the programs that host the
 * pipeline (the guard, `bulwark eval`, `bulwark scan`). Kept out of index.ts so that compiling a policy
 * never pulls in onnxruntime; the runtime is imported only when a policy enables a classifier.
 */
import type { GuardrailPolicySpec, ScannerEntry } from '../../api/v1alpha1/index.ts';
import { classifierKey, wantsClassifier } from '../../sidecar/scanners/promptInjection/index.ts';
import { CLASSIFIER_SCANNERS } from '../../sidecar/scanners/registry.ts';
import { type ClassifierParams, loadFromParams } from '../classifier/from-params.ts';
import { withScoreCache } from '../classifier/score-cache.ts';
import type { ClassifierUsage, TextClassifier } from '../classifier/types.ts';
import {
  type CompiledPolicyDetails,
  type CompileOptions,
  compilePolicy,
  type LoadedPolicyLike,
} from './index.ts';

export type { ClassifierParams };

/** One distinct model a policy asks for, and the entries that ask for it. */
export interface ClassifierNeed {
  key: string;
  params: ClassifierParams;
  /** Policy positions, e.g. `input[1]`. */
  where: string[];
}

/** The distinct classifiers the spec's entries enable, in policy order. */
export function classifierNeeds(spec: GuardrailPolicySpec): ClassifierNeed[] {
  const needs = new Map<string, ClassifierNeed>();
  const visit = (entries: readonly ScannerEntry[], direction: string) => {
    entries.forEach((e, i) => {
      const params = e.params?.classifier;
      if (!params || !CLASSIFIER_SCANNERS.includes(e.type) || !wantsClassifier(e)) return;
      const key = classifierKey(params);
      const need = needs.get(key) ?? { key, params, where: [] };
      need.where.push(`${direction}[${i}]`);
      needs.set(key, need);
    });
  };
  visit(spec.input, 'input');
  visit(spec.output, 'output');
  return [...needs.values()];
}

/** Texts whose scores a loaded classifier remembers unless the policy says otherwise (scoreCacheEntries). */
export const DEFAULT_SCORE_CACHE_ENTRIES = 4096;

export type LoadClassifierFn = (params: ClassifierParams) => Promise<TextClassifier>;

export { loadFromParams };

export interface ClassifierSetOptions {
  /** Default: loadFromParams. Tests pass their own. */
  load?: LoadClassifierFn;
  /**
   * How long a classifier the policy in force no longer uses stays loaded. Requests that started under
   * the previous policy may still be scanning with it; closing it under them would fail their scans.
   */
  releaseAfterMs?: number;
}

export interface PreparedClassifiers {
  classifiers: Map<string, TextClassifier>;
  /** Load failures by key; compilePolicy quotes them (classifierErrors). */
  errors: Map<string, string>;
}

/**
 * The loaded classifiers of one program. `prepare` loads what a spec needs and is not loaded yet (one
 * load per model, however many entries or concurrent reloads ask), `use` says which models the policy in
 * force uses so the rest can be released, `status` is the readiness check. A failed load is not cached:
 * the next policy reload tries again.
 */
export class ClassifierSet {
  private readonly load: LoadClassifierFn;
  private readonly releaseAfterMs: number;
  private readonly loads = new Map<string, Promise<TextClassifier>>();
  private readonly loaded = new Map<string, TextClassifier>();
  private readonly releases = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<string>();
  private inUse: ReadonlySet<string> | undefined;
  private closed = false;

  constructor(options: ClassifierSetOptions = {}) {
    this.load = options.load ?? loadFromParams;
    this.releaseAfterMs = options.releaseAfterMs ?? 10 * 60_000;
  }

  async prepare(spec: GuardrailPolicySpec): Promise<PreparedClassifiers> {
    const classifiers = new Map<string, TextClassifier>();
    const errors = new Map<string, string>();
    await Promise.all(
      classifierNeeds(spec).map(async (need) => {
        try {
          classifiers.set(need.key, await this.get(need));
        } catch (err) {
          errors.set(need.key, (err as Error).message);
        }
      }),
    );
    return { classifiers, errors };
  }

  private get(need: ClassifierNeed): Promise<TextClassifier> {
    if (this.closed) return Promise.reject(new Error('classifiers are closed'));
    const release = this.releases.get(need.key);
    if (release) {
      clearTimeout(release);
      this.releases.delete(need.key);
    }
    let loading = this.loads.get(need.key);
    if (!loading) {
      this.pending.add(need.key);
      loading = this.load(need.params).then(
        async (loadedModel) => {
          this.pending.delete(need.key);
          if (this.closed) {
            await loadedModel.close();
            throw new Error('classifiers are closed');
          }
          const c = withScoreCache(loadedModel, need.params.scoreCacheEntries ?? DEFAULT_SCORE_CACHE_ENTRIES);
          this.loaded.set(need.key, c);
          return c;
        },
        (err: unknown) => {
          this.pending.delete(need.key);
          this.loads.delete(need.key);
          throw err;
        },
      );
      this.loads.set(need.key, loading);
    }
    return loading;
  }

  /** The models the policy now in force uses; any other loaded model is closed after releaseAfterMs. */
  use(keys: Iterable<string>): void {
    this.inUse = new Set(keys);
    for (const key of this.loaded.keys()) {
      if (this.inUse.has(key) || this.releases.has(key)) continue;
      const timer = setTimeout(() => {
        this.releases.delete(key);
        if (this.inUse?.has(key)) return;
        const c = this.loaded.get(key);
        this.loaded.delete(key);
        this.loads.delete(key);
        void c?.close();
      }, this.releaseAfterMs);
      timer.unref();
      this.releases.set(key, timer);
    }
  }

  /** Names of the loaded models the policy in force uses. */
  names(): string[] {
    return [...(this.inUse ?? [])].flatMap((k) => {
      const c = this.loaded.get(k);
      return c ? [c.name] : [];
    });
  }

  /** What each model the policy in force uses has done since it was loaded (for the guard's metrics). */
  usage(): { model: string; usage: ClassifierUsage }[] {
    return [...(this.inUse ?? [])].flatMap((k) => {
      const c = this.loaded.get(k);
      const usage = c?.usage?.();
      return c && usage ? [{ model: c.name, usage }] : [];
    });
  }

  /**
   * Readiness: not ready while the first policy's models load, or if one in use is not loaded or can no
   * longer score.
   */
  status(): { ok: boolean; message: string } {
    if (this.inUse === undefined) {
      return this.pending.size > 0
        ? { ok: false, message: `loading ${this.pending.size} model(s)` }
        : { ok: false, message: 'no policy compiled yet' };
    }
    const missing = [...this.inUse].filter((k) => !this.loaded.has(k));
    if (missing.length > 0) return { ok: false, message: `not loaded: ${missing.join(', ')}` };
    const failures = [...this.inUse].flatMap((k) => this.loaded.get(k)?.failure?.() ?? []);
    if (failures.length > 0) return { ok: false, message: failures.join('; ') };
    const names = this.names();
    return { ok: true, message: names.length > 0 ? names.join(', ') : 'not used by the policy' };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.releases.values()) clearTimeout(timer);
    this.releases.clear();
    const all = [...this.loaded.values()];
    this.loaded.clear();
    this.loads.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

/**
 * Compiles a policy with the classifiers it asks for, loading them first. A model that cannot be loaded
 * fails compilation for entries that fail closed (naming the entry and the loader's reason) and leaves
 * entries with failMode open on heuristics, with a warning.
 */
export async function compileWithClassifiers(
  loaded: LoadedPolicyLike,
  set: ClassifierSet,
  options: CompileOptions = {},
): Promise<CompiledPolicyDetails & { classifierKeys: readonly string[] }> {
  const { classifiers, errors } = await set.prepare(loaded.spec);
  const compiled = compilePolicy(loaded, { classifiers }, { ...options, classifierErrors: errors });
  return Object.assign(compiled, { classifierKeys: [...classifiers.keys()] });
}
