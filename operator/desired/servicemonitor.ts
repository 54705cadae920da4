import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { childMeta, names, selectorLabels } from './meta.ts';
import { metricsPorts } from './service.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * Prometheus Operator ServiceMonitor for the metrics ports, when its CRD exists
 * (https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor).
 * Scrapers still need `network.metricsFrom` to get through the NetworkPolicy.
 */
export function buildServiceMonitor(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  config: OperatorConfig,
): KubeObject | null {
  if (!config.serviceMonitor) return null;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: childMeta(llm, names.serviceMonitor(llm)),
    spec: {
      selector: { matchLabels: selectorLabels(llm) },
      endpoints: metricsPorts(llm).map(({ name }) => ({ port: name, path: '/metrics', interval: '30s' })),
    },
  };
}
