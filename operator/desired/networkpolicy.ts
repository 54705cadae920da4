import type { LlmDeployment, NetworkPeer } from '../../api/v1alpha1/index.ts';
import { GuardPort } from '../constants.ts';
import { childMeta, names, selectorLabels } from './meta.ts';
import { metricsPorts } from './service.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

// The client library's generated types rename `from` to `_from`, so the wire shape is declared here.
interface PolicyPort {
  protocol: 'TCP' | 'UDP';
  port: number;
}
interface IngressRule {
  from: NetworkPeer[];
  ports: PolicyPort[];
}
type EgressRule = Record<string, unknown>;

/** Cluster DNS lives in kube-system on every conformant distribution; the label is set by the API server. */
export const DNS_EGRESS_RULE: EgressRule = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};

/**
 * Default deny in both directions, then: the guard port from `network.allowFrom`, the metrics ports
 * from `network.metricsFrom`, egress per `network.egress.mode`. An empty peer list produces no rule at
 * all, because a rule with an empty `from` would admit every source
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors).
 * The model and output-check ports appear in no rule, so nothing outside the pod reaches them.
 * Kubelet probes come from the node and are allowed by CNIs regardless of NetworkPolicy.
 */
export function buildNetworkPolicy(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  _config: OperatorConfig,
): KubeObject {
  const { allowFrom, metricsFrom, egress } = llm.spec.network;
  const ingress: IngressRule[] = [];
  if (allowFrom && allowFrom.length > 0) {
    ingress.push({ from: allowFrom, ports: [{ protocol: 'TCP', port: GuardPort.http }] });
  }
  if (metricsFrom && metricsFrom.length > 0) {
    ingress.push({
      from: metricsFrom,
      ports: metricsPorts(llm).map(({ port }) => ({ protocol: 'TCP', port })),
    });
  }
  const egressRules: EgressRule[] =
    egress.mode === 'none'
      ? []
      : egress.mode === 'dns'
        ? [DNS_EGRESS_RULE]
        : [DNS_EGRESS_RULE, ...(egress.rules ?? [])];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMeta(llm, names.networkPolicy(llm)),
    spec: {
      podSelector: { matchLabels: selectorLabels(llm) },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress: egressRules,
    },
  };
}
