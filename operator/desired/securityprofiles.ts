import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { canonicalJson } from '../../shared/policy/index.ts';
import { Component, SecurityProfiles } from '../constants.ts';
import { type AppArmorProfile, guardAppArmorAbstract, guardAppArmorProfile } from './apparmor.ts';
import { childMeta, clusterChildMeta, llmName, llmNamespace, names, shortHash } from './meta.ts';
import {
  guardSeccompProfile,
  type SeccompProfile,
  seccompProfileJson,
  seccompProfileName,
} from './seccomp.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * Security Profiles Operator API versions. Bulwark targets SPO >= 0.9, where both kinds are
 * cluster-scoped and a SeccompProfile is installed at `operator/<name>.json`.
 */
export const SPO_GROUP = 'security-profiles-operator.x-k8s.io';
export const SPO_SECCOMP_API_VERSION = `${SPO_GROUP}/v1beta1`;
export const SPO_APPARMOR_API_VERSION = `${SPO_GROUP}/v1alpha1`;

/** A generated profile as the pod references it. */
export interface GeneratedProfiles {
  seccomp?: { profile: SeccompProfile; name: string; localhostProfile: string };
  appArmor?: { profile: AppArmorProfile; localhostProfile: string };
}

/**
 * SPO objects are cluster-scoped, so their names carry the namespace and the LlmDeployment: two
 * LlmDeployments never share (and never prune) each other's profile.
 */
function spoName(llm: LlmDeployment, profileName: string): string {
  return `bulwark-${llmNamespace(llm)}-${llmName(llm)}-${profileName}`;
}

/** Which profiles the spec asks Bulwark to generate, and the `localhostProfile` values that load them. */
export function generatedProfiles(llm: LlmDeployment, config: OperatorConfig): GeneratedProfiles {
  const { seccomp, appArmor } = llm.spec.security;
  const result: GeneratedProfiles = {};
  if (seccomp === 'Generated') {
    const profile = guardSeccompProfile(llm);
    const name = seccompProfileName(profile);
    const localhostProfile = config.securityProfilesOperator
      ? `${SecurityProfiles.spoSeccompDir}/${spoName(llm, name)}.json`
      : `${SecurityProfiles.seccompDir}/${name}${SecurityProfiles.seccompSuffix}`;
    result.seccomp = { profile, name, localhostProfile };
  }
  if (appArmor === 'Generated') {
    const profile = guardAppArmorProfile(llm);
    // SPO renders its own profile from the abstract form, so that form is what names its object.
    const localhostProfile = config.securityProfilesOperator
      ? spoName(llm, `guard-${shortHash(canonicalJson(guardAppArmorAbstract(llm)), 12)}`)
      : profile.name;
    result.appArmor = { profile, localhostProfile };
  }
  return result;
}

/**
 * The profiles for the node installer, one ConfigMap per LlmDeployment. Keys are file names:
 * `<name>.json` goes to `<kubelet seccomp root>/bulwark/<name>.json`, `<name>.apparmor` is loaded with
 * `apparmor_parser -r` and is named `<name>` inside. The installer finds these ConfigMaps by the
 * `app.kubernetes.io/component: security-profiles` label. Null when nothing is generated.
 */
export function buildSecurityProfilesConfigMap(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  config: OperatorConfig,
): KubeObject | null {
  const profiles = generatedProfiles(llm, config);
  if (!profiles.seccomp && !profiles.appArmor) return null;
  const data: Record<string, string> = {};
  if (profiles.seccomp) {
    data[`${profiles.seccomp.name}${SecurityProfiles.seccompSuffix}`] = seccompProfileJson(
      profiles.seccomp.profile,
    );
  }
  if (profiles.appArmor) {
    data[`${profiles.appArmor.profile.name}${SecurityProfiles.appArmorSuffix}`] =
      profiles.appArmor.profile.text;
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMeta(llm, names.securityProfilesConfigMap(llm), { component: Component.securityProfiles }),
    data,
  };
}

/** SeccompProfile and AppArmorProfile objects for the Security Profiles Operator, when it is installed. */
export function buildSpoProfiles(
  llm: LlmDeployment,
  _inputs: ResolvedInputs,
  config: OperatorConfig,
): KubeObject[] {
  if (!config.securityProfilesOperator) return [];
  const profiles = generatedProfiles(llm, config);
  const objects: KubeObject[] = [];
  if (profiles.seccomp) {
    objects.push({
      apiVersion: SPO_SECCOMP_API_VERSION,
      kind: 'SeccompProfile',
      metadata: clusterChildMeta(llm, spoName(llm, profiles.seccomp.name), Component.securityProfiles),
      spec: profiles.seccomp.profile,
    });
  }
  if (profiles.appArmor) {
    objects.push({
      apiVersion: SPO_APPARMOR_API_VERSION,
      kind: 'AppArmorProfile',
      metadata: clusterChildMeta(llm, profiles.appArmor.localhostProfile, Component.securityProfiles),
      spec: { abstract: guardAppArmorAbstract(llm) },
    });
  }
  return objects;
}
