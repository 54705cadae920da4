import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { childMeta, names } from './meta.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * autoscaling/v2 HorizontalPodAutoscaler when `spec.autoscaling` is set. CPU utilization is measured
 * over the whole pod against the sum of its containers' CPU requests, so every container needs a CPU
 * request (the guard and output check have one by default; the model's comes from the spec).
 */
export function buildHorizontalPodAutoscaler(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  _config: OperatorConfig,
): KubeObject | null {
  const autoscaling = llm.spec.autoscaling;
  if (!autoscaling) return null;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMeta(llm, names.horizontalPodAutoscaler(llm)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.deployment(llm) },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage },
          },
        },
      ],
    },
  };
}
