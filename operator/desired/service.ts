import type { V1ServicePort } from '@kubernetes/client-node';
import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { GuardPort, PortName } from '../constants.ts';
import { childMeta, llmNamespace, names, selectorLabels } from './meta.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/** The metrics ports of the pod: the guard's admin port, and the output check's when it runs. */
export function metricsPorts(llm: LlmDeployment): { name: string; port: number }[] {
  return [
    { name: PortName.metrics, port: GuardPort.admin },
    ...(llm.spec.outputCheck.enabled
      ? [{ name: PortName.outputCheckMetrics, port: GuardPort.outputCheckAdmin }]
      : []),
  ];
}

/**
 * ClusterIP Service for the guard's port and the metrics ports. The model's port is never listed: the
 * only way to the model is through the guard.
 */
export function buildService(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  _config: OperatorConfig,
): KubeObject {
  const ports: V1ServicePort[] = [
    {
      name: PortName.http,
      port: GuardPort.http,
      targetPort: PortName.http,
      protocol: 'TCP',
      appProtocol: 'http',
    },
    ...metricsPorts(llm).map(({ name, port }) => ({
      name,
      port,
      targetPort: name,
      protocol: 'TCP',
      appProtocol: 'http',
    })),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(llm, names.service(llm)),
    spec: { type: 'ClusterIP', selector: selectorLabels(llm), ports },
  };
}

/** The in-cluster base URL of the guarded OpenAI-compatible API, for `status.endpoint`. */
export function endpointUrl(llm: LlmDeployment): string {
  return `http://${names.service(llm)}.${llmNamespace(llm)}.svc:${GuardPort.http}/v1`;
}
