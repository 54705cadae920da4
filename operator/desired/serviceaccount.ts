import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { childMeta, names } from './meta.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * A ServiceAccount of its own per LlmDeployment, so the pods never borrow the namespace's default
 * account and its bindings, and with no token mounted. There is deliberately no Role: neither the guard
 * nor the model calls the API server (policy and API keys arrive as mounted files, rotation as a
 * rolling restart), so any permission would only be something for an attacker to use.
 */
export function buildServiceAccount(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  _config: OperatorConfig,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: childMeta(llm, names.serviceAccount(llm)),
    automountServiceAccountToken: false,
  };
}
