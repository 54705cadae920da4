import type { GuardrailPolicy, LlmDeployment } from '../../api/v1alpha1/index.ts';

/** A Kubernetes object as applied with server-side apply: plain JSON, apiVersion/kind/metadata set. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  [field: string]: unknown;
}

/** Operator-wide settings that are not part of any custom resource. */
export interface OperatorConfig {
  /** Image for the guard and output-check containers unless spec.guard.image overrides it. */
  guardImage: string;
  /** Whether the Security Profiles Operator CRDs exist, so profiles are emitted as its objects too. */
  securityProfilesOperator: boolean;
  /** Whether the Prometheus Operator's ServiceMonitor CRD exists. */
  serviceMonitor: boolean;
}

/** What the builders need to know about the referenced policy and secrets, already resolved by the reconciler. */
export interface ResolvedInputs {
  /** The last valid policy (the running one when a newer spec is invalid). */
  policy: GuardrailPolicy & { hash: string };
  /** SHA-256 over the data of every Secret the pod references; rotation changes it and rolls the pods. */
  secretsHash: string;
}

/** One pure builder per kind: object in, Kubernetes object(s) out; no I/O. */
export type Builder = (
  llm: LlmDeployment,
  inputs: ResolvedInputs,
  config: OperatorConfig,
) => KubeObject | KubeObject[] | null;
