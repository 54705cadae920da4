import { loadInWorker } from '../../shared/classifier/in-worker.ts';
import type { Logger } from '../../shared/logging.ts';
import { ClassifierSet, compileWithClassifiers } from '../../shared/pipeline/classifiers.ts';
import {
  type ChatMessage,
  canaryInstruction,
  injectCanary,
  withoutClassifier,
} from '../../shared/pipeline/index.ts';
import type { CompiledPolicy } from '../../shared/pipeline/types.ts';
import type { LoadedPolicy } from '../../shared/policy/index.ts';
import type { RequestState } from '../scanners/types.ts';
import type { InputRoute } from './openai/input.ts';

/**
 * Puts the request's canary where the model reads its instructions: the system prompt for chat, the
 * `instructions` field for the Responses API. Completions and embeddings have no system prompt.
 */
export function injectRequestCanary(
  route: InputRoute,
  body: Record<string, unknown>,
  state: RequestState,
): boolean {
  if (!state.canary) return false;
  if (route === 'chat' && Array.isArray(body.messages))
    return injectCanary(body.messages as ChatMessage[], state);
  if (route === 'responses') {
    const line = canaryInstruction(state.canary);
    body.instructions =
      typeof body.instructions === 'string' && body.instructions !== ''
        ? `${body.instructions}\n\n${line}`
        : line;
    return true;
  }
  return false;
}

export interface PipelineDepsOptions {
  /** Where loaded classifiers live; tests pass one with their own loader. */
  classifiers?: ClassifierSet;
  /**
   * `output`: the output check, which never scans input (the guard in front has), so it loads only the
   * output entries' models; the input entries' models would double the container's memory for nothing.
   */
  role?: 'input' | 'output';
}

/**
 * The real scanning pipeline for `bulwark guard`: compile with shared/pipeline, loading the ONNX
 * classifiers the policy enables (each in a worker thread, so inference never stalls the proxy's event
 * loop) before the compiled policy is handed back (so a reload that newly needs
 * a model loads it before the swap, and a model that cannot load rejects the policy), canary injection,
 * and a readiness check for the models.
 */
export function pipelineDeps(logger: Logger, options: PipelineDepsOptions = {}) {
  const onStop = (reason: string) =>
    logger.error('classifier worker stopped; starting another', { 'error.message': reason });
  const classifiers =
    options.classifiers ?? new ClassifierSet({ load: (params) => loadInWorker(params, { onStop }) });
  return {
    async compile(policy: LoadedPolicy): Promise<CompiledPolicy> {
      const compiled = await compileWithClassifiers(
        options.role === 'output' ? { ...policy, spec: withoutClassifier(policy.spec, ['input']) } : policy,
        classifiers,
      );
      for (const warning of compiled.warnings)
        logger.warn('policy warning', { 'bulwark.policy.warning': warning });
      // Compiled means in force (or identical to the policy in force): the guard swaps on success.
      classifiers.use(compiled.classifierKeys);
      const names = classifiers.names();
      if (names.length > 0) logger.info('classifier loaded', { 'bulwark.classifier.names': names });
      return compiled;
    },
    injectCanary: injectRequestCanary,
    readiness: [{ name: 'classifier', check: () => classifiers.status() }],
    classifierUsage: () => classifiers.usage(),
    close: () => classifiers.close(),
  };
}
