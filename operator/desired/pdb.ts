import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { childMeta, names, selectorLabels } from './meta.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * How many pods a voluntary disruption (node drain, cluster upgrade) may take at once. Always at least
 * one: a budget that allows none blocks drains forever, and one replica has no availability to protect.
 * Autoscaled deployments get a percentage, which the disruption controller applies to the current scale.
 */
export function maxUnavailable(llm: LlmDeployment): number | string {
  if (llm.spec.autoscaling) return '25%';
  return Math.max(1, Math.floor(llm.spec.replicas / 4));
}

/** PodDisruptionBudget; none for a deployment scaled to zero, which has nothing to protect. */
export function buildPodDisruptionBudget(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  _config: OperatorConfig,
): KubeObject | null {
  if (!llm.spec.autoscaling && llm.spec.replicas === 0) return null;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMeta(llm, names.podDisruptionBudget(llm)),
    spec: {
      selector: { matchLabels: selectorLabels(llm) },
      maxUnavailable: maxUnavailable(llm),
      // A pod that is not Ready (still loading weights, crash-looping) protects nothing; letting it be
      // evicted keeps drains moving (https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy).
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
