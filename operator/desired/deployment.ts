import type {
  V1Container,
  V1EnvVar,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import {
  Annotation,
  ApiKeysFile,
  ContainerName,
  GuardPort,
  POD_GID,
  POD_UID,
  PolicyFile,
  PortName,
} from '../constants.ts';
import { policyConfigMapName } from './configmap-policy.ts';
import { childMeta, commonLabels, InvalidSpecError, names, selectorLabels } from './meta.ts';
import { type GeneratedProfiles, generatedProfiles } from './securityprofiles.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * Used when `spec.guard.resources` is unset: Node plus the default policy's classifier cascade and its
 * worker. bench/guard measured the guard at 253-261 MiB RSS idle after warm-up and 257-268 MiB at peak
 * under load (RESULTS.md, 2026-12-06); the request leaves room above that so the scheduler does not
 * place it on memory it lacks.
 */
export const DEFAULT_GUARD_RESOURCES: V1ResourceRequirements = {
  requests: { cpu: '250m', memory: '320Mi' },
  limits: { memory: '1Gi' },
};

/**
 * Used when `spec.outputCheck.resources` is unset. The output check loads only output entries' models
 * (none in the default policy): about 130 MiB idle. The limit leaves room for a policy with an output
 * classifier and for buffered responses.
 */
export const DEFAULT_OUTPUT_CHECK_RESOURCES: V1ResourceRequirements = {
  requests: { cpu: '250m', memory: '192Mi' },
  limits: { memory: '1Gi' },
};

/** Well-known annotation: `kubectl logs/exec` pick this container by default. */
const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/**
 * Scratch space for the model container under a read-only root filesystem. Model servers write
 * caches under $HOME (Hugging Face hub metadata, Triton and torch.compile kernels, vLLM's own cache)
 * and into /tmp; PyTorch and NCCL need a /dev/shm larger than the runtime's 64 MiB default (vLLM's
 * Kubernetes guide mounts 2 GiB). A model volume mounted at one of these paths replaces ours.
 */
const MODEL_HOME = '/home/model';
const MODEL_SHM_SIZE = '2Gi';
const GUARD_TMP_SIZE = '64Mi';

const VolumeName = {
  policy: 'bulwark-policy',
  apiKeys: 'bulwark-api-keys',
  guardTmp: 'bulwark-guard-tmp',
  outputCheckTmp: 'bulwark-output-check-tmp',
  modelTmp: 'bulwark-model-tmp',
  modelHome: 'bulwark-model-home',
  modelShm: 'bulwark-model-shm',
  secret: (index: number) => `bulwark-secret-${index}`,
} as const;
const RESERVED_VOLUME_PREFIX = 'bulwark-';

function guardImage(llm: LlmDeployment, config: OperatorConfig): string {
  const image = llm.spec.guard.image ?? config.guardImage;
  if (llm.spec.security.requireImageDigest && !image.includes('@sha256:')) {
    // The schema checks spec.guard.image; the operator's default image is only known here.
    throw new InvalidSpecError(
      `security.requireImageDigest is true but the guard image ${image} is not pinned by digest; set spec.guard.image to image@sha256:...`,
      'spec.guard.image',
    );
  }
  return image;
}

/** Everything every container gets: no privilege escalation, no capabilities, read-only root. */
function containerSecurityContext(profiles?: GeneratedProfiles): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    ...(profiles?.seccomp
      ? { seccompProfile: { type: 'Localhost', localhostProfile: profiles.seccomp.localhostProfile } }
      : {}),
    ...(profiles?.appArmor
      ? { appArmorProfile: { type: 'Localhost', localhostProfile: profiles.appArmor.localhostProfile } }
      : {}),
  };
}

function httpProbe(path: string, port: number, timing: Omit<V1Probe, 'httpGet'>): V1Probe {
  return { httpGet: { path, port, scheme: 'HTTP' }, ...timing };
}

/**
 * Probes of a guard process (guard or output check) on its admin port. The startup probe covers
 * loading the ONNX classifier; `/readyz` fails until the policy, the classifier and the upstream are
 * ready, so the guard (and with it the pod) is only Ready once the model answers.
 */
function guardProbes(
  adminPort: number,
): Pick<V1Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    startupProbe: httpProbe('/healthz', adminPort, {
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: 60,
    }),
    livenessProbe: httpProbe('/healthz', adminPort, {
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    }),
    readinessProbe: httpProbe('/readyz', adminPort, {
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    }),
  };
}

const MODEL_STARTUP_PERIOD = 10;

/**
 * Model probes on its own health path. The startup probe gives it `startupTimeoutSeconds` to load
 * weights before the kubelet restarts it; liveness is lenient because a busy server answers slowly.
 */
function modelProbes(
  llm: LlmDeployment,
): Pick<V1Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  const { readinessPath, port, startupTimeoutSeconds } = llm.spec.model;
  return {
    startupProbe: httpProbe(readinessPath, port, {
      periodSeconds: MODEL_STARTUP_PERIOD,
      timeoutSeconds: 5,
      failureThreshold: Math.ceil(startupTimeoutSeconds / MODEL_STARTUP_PERIOD),
    }),
    livenessProbe: httpProbe(readinessPath, port, {
      periodSeconds: 30,
      timeoutSeconds: 10,
      failureThreshold: 4,
    }),
    readinessProbe: httpProbe(readinessPath, port, {
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    }),
  };
}

const localUrl = (port: number) => `http://127.0.0.1:${port}`;

/**
 * Flags of `bulwark guard` (cli/commands/guard.ts) shared by both roles. The upstream health path is
 * what the guard's /readyz polls: the model's own readiness path when the model is the upstream.
 */
function guardCommonArgs(llm: LlmDeployment, upstreamPort: number, healthPath: string): string[] {
  const guard = llm.spec.guard;
  return [
    '--policy',
    policyPath,
    '--upstream',
    localUrl(upstreamPort),
    '--upstream-health-path',
    healthPath,
    '--max-request-bytes',
    String(guard.maxRequestBytes),
    '--upstream-timeout',
    String(guard.upstreamTimeoutSeconds),
    '--max-concurrency',
    String(guard.maxConcurrency),
    // Unset: the guard applies the policy's own failMode.
    ...(guard.failMode ? ['--fail-mode', guard.failMode] : []),
  ];
}

const policyMount = (): V1VolumeMount => ({
  name: VolumeName.policy,
  mountPath: PolicyFile.mountPath,
  readOnly: true,
});
const policyPath = `${PolicyFile.mountPath}/${PolicyFile.key}`;
/** The output check passes the model's model list through, so the guard can see the whole chain. */
const CHAIN_HEALTH_PATH = '/v1/models';

function guardContainer(llm: LlmDeployment, image: string, profiles: GeneratedProfiles): V1Container {
  const guard = llm.spec.guard;
  const outputCheck = llm.spec.outputCheck.enabled;
  const args = [
    'guard',
    '--role',
    'input',
    '--listen',
    String(GuardPort.http),
    '--admin-listen',
    String(GuardPort.admin),
    ...(outputCheck
      ? [
          ...guardCommonArgs(llm, GuardPort.outputCheckHttp, CHAIN_HEALTH_PATH),
          // The output check scans responses; without it the guard scans them itself (the default).
          '--output-scan',
          'delegate',
        ]
      : guardCommonArgs(llm, llm.spec.model.port, llm.spec.model.readinessPath)),
    ...(guard.rateLimit
      ? [
          '--rate-limit-rpm',
          String(guard.rateLimit.requestsPerMinute),
          '--rate-limit-burst',
          String(guard.rateLimit.burst ?? guard.rateLimit.requestsPerMinute),
        ]
      : []),
    ...(guard.apiKeySecretRef ? ['--api-keys', `${ApiKeysFile.mountPath}/${ApiKeysFile.fileName}`] : []),
  ];
  return {
    name: ContainerName.guard,
    image,
    args,
    ports: [
      { name: PortName.http, containerPort: GuardPort.http, protocol: 'TCP' },
      { name: PortName.metrics, containerPort: GuardPort.admin, protocol: 'TCP' },
    ],
    resources: guard.resources
      ? resourceRequirements(guard.resources)
      : structuredClone(DEFAULT_GUARD_RESOURCES),
    ...guardProbes(GuardPort.admin),
    securityContext: containerSecurityContext(profiles),
    volumeMounts: [
      policyMount(),
      ...(guard.apiKeySecretRef
        ? [{ name: VolumeName.apiKeys, mountPath: ApiKeysFile.mountPath, readOnly: true }]
        : []),
      { name: VolumeName.guardTmp, mountPath: '/tmp' },
    ],
  };
}

function outputCheckContainer(llm: LlmDeployment, image: string, profiles: GeneratedProfiles): V1Container {
  return {
    name: ContainerName.outputCheck,
    image,
    args: [
      'guard',
      '--role',
      'output',
      // Loopback only: the guard is its one client.
      '--listen',
      `127.0.0.1:${GuardPort.outputCheckHttp}`,
      '--admin-listen',
      String(GuardPort.outputCheckAdmin),
      ...guardCommonArgs(llm, llm.spec.model.port, llm.spec.model.readinessPath),
    ],
    ports: [
      { name: PortName.outputCheckMetrics, containerPort: GuardPort.outputCheckAdmin, protocol: 'TCP' },
    ],
    resources: llm.spec.outputCheck.resources
      ? resourceRequirements(llm.spec.outputCheck.resources)
      : structuredClone(DEFAULT_OUTPUT_CHECK_RESOURCES),
    ...guardProbes(GuardPort.outputCheckAdmin),
    securityContext: containerSecurityContext(profiles),
    volumeMounts: [policyMount(), { name: VolumeName.outputCheckTmp, mountPath: '/tmp' }],
  };
}

type QuantityList = Record<string, string | number | undefined>;

/** Quantities as the API serialises them (strings), leaving out unset ones. */
function quantities(
  list: QuantityList | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(list ?? {})) if (value !== undefined) out[name] = String(value);
  return { ...out, ...extra };
}

function resourceRequirements(
  spec: { requests?: QuantityList; limits?: QuantityList },
  extra: Record<string, string> = {},
): V1ResourceRequirements {
  const requests = quantities(spec.requests, extra);
  const limits = quantities(spec.limits, extra);
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

function modelResources(llm: LlmDeployment): V1ResourceRequirements | undefined {
  const { gpus, requests, limits } = llm.spec.model.resources;
  // GPUs are extended resources: requests must equal limits (https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/).
  const gpu: Record<string, string> = gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {};
  const resources = resourceRequirements({ requests, limits }, gpu);
  return Object.keys(resources).length > 0 ? resources : undefined;
}

interface ModelWiring {
  container: V1Container;
  volumes: V1Volume[];
}

function modelContainer(llm: LlmDeployment): ModelWiring {
  const model = llm.spec.model;
  const userVolumes = model.volumes ?? [];
  for (const [index, volume] of userVolumes.entries()) {
    if (volume.name.startsWith(RESERVED_VOLUME_PREFIX)) {
      throw new InvalidSpecError(
        `volume name ${volume.name} starts with "${RESERVED_VOLUME_PREFIX}", which Bulwark reserves for its own volumes`,
        `spec.model.volumes[${index}].name`,
      );
    }
  }
  const userPaths = new Set(userVolumes.map((v) => v.mountPath));

  const volumes: V1Volume[] = userVolumes.map(
    ({ name, persistentVolumeClaim, emptyDir, configMap, secret, csi, ephemeral }) => ({
      name,
      ...(persistentVolumeClaim ? { persistentVolumeClaim } : {}),
      ...(emptyDir
        ? {
            emptyDir: {
              ...(emptyDir.medium !== undefined ? { medium: emptyDir.medium } : {}),
              ...(emptyDir.sizeLimit !== undefined ? { sizeLimit: String(emptyDir.sizeLimit) } : {}),
            },
          }
        : {}),
      ...(configMap ? { configMap } : {}),
      ...(secret ? { secret } : {}),
      ...(csi ? { csi: csi as unknown as V1Volume['csi'] } : {}),
      ...(ephemeral ? { ephemeral: ephemeral as unknown as V1Volume['ephemeral'] } : {}),
    }),
  );
  const mounts: V1VolumeMount[] = userVolumes.map(({ name, mountPath, readOnly, subPath }) => ({
    name,
    mountPath,
    readOnly,
    ...(subPath ? { subPath } : {}),
  }));

  // Secrets: env keys by reference (values never appear in the pod spec); file keys as one volume per
  // Secret with each key mounted by subPath at exactly its path, so no directory of the image is hidden.
  // subPath mounts do not follow rotation, which is fine: rotation changes the secrets hash and rolls the pods.
  const env: V1EnvVar[] = (model.env ?? []).map(({ name, value }) => ({ name, value }));
  const secretVolumes = new Map<string, string>();
  for (const secret of llm.spec.secrets ?? []) {
    if (secret.env) {
      env.push({
        name: secret.env,
        valueFrom: { secretKeyRef: { name: secret.secretName, key: secret.key } },
      });
      continue;
    }
    let volume = secretVolumes.get(secret.secretName);
    if (!volume) {
      volume = VolumeName.secret(secretVolumes.size);
      secretVolumes.set(secret.secretName, volume);
      volumes.push({ name: volume, secret: { secretName: secret.secretName, defaultMode: 0o440 } });
    }
    mounts.push({ name: volume, mountPath: secret.mountPath!, subPath: secret.key, readOnly: true });
  }

  const scratch: { name: string; path: string; volume: V1Volume }[] = [
    { name: VolumeName.modelTmp, path: '/tmp', volume: { name: VolumeName.modelTmp, emptyDir: {} } },
    { name: VolumeName.modelHome, path: MODEL_HOME, volume: { name: VolumeName.modelHome, emptyDir: {} } },
    {
      name: VolumeName.modelShm,
      path: '/dev/shm',
      volume: { name: VolumeName.modelShm, emptyDir: { medium: 'Memory', sizeLimit: MODEL_SHM_SIZE } },
    },
  ];
  for (const { name, path, volume } of scratch) {
    if (userPaths.has(path)) continue;
    volumes.push(volume);
    mounts.push({ name, mountPath: path });
  }
  // The image's HOME is often /root or /, unwritable for our non-root user on a read-only root.
  if (!env.some((e) => e.name === 'HOME') && !userPaths.has(MODEL_HOME))
    env.push({ name: 'HOME', value: MODEL_HOME });

  const resources = modelResources(llm);
  return {
    container: {
      name: ContainerName.model,
      image: model.image,
      ...(model.imagePullPolicy ? { imagePullPolicy: model.imagePullPolicy } : {}),
      ...(model.command ? { command: model.command } : {}),
      ...(model.args ? { args: model.args } : {}),
      ...(env.length > 0 ? { env } : {}),
      ...(resources ? { resources } : {}),
      ...modelProbes(llm),
      // The model keeps the runtime's default profiles: Bulwark cannot know what a model server needs.
      securityContext: containerSecurityContext(),
      volumeMounts: mounts,
    },
    volumes,
  };
}

/**
 * How long a terminating pod may take: the guard stops accepting, lets in-flight requests (up to the
 * upstream timeout) finish, then exits.
 */
function terminationGracePeriod(llm: LlmDeployment): number {
  return llm.spec.guard.upstreamTimeoutSeconds + 15;
}

/**
 * `spec.security.appArmor` at pod level. With no profile field the container runtime (containerd,
 * CRI-O) confines unprivileged containers with its default profile on nodes with AppArmor, and nodes
 * without it (SELinux distributions such as Oracle Linux) admit the pod; any explicit profile other than
 * Unconfined makes the kubelet reject the pod there ("AppArmor is not enabled on the host"). So the
 * default, NodeDefault, leaves the field unset, and RuntimeDefault is for clusters that want AppArmor as
 * a hard requirement. Pod Security baseline (and so restricted) forbids an explicit Unconfined
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline): it leaves the field
 * unset too. Generated profiles are set per container (guard and output check) over a RuntimeDefault pod.
 */
function podAppArmor(llm: LlmDeployment): V1PodSpec['securityContext'] {
  const mode = llm.spec.security.appArmor;
  return mode === 'RuntimeDefault' || mode === 'Generated'
    ? { appArmorProfile: { type: 'RuntimeDefault' } }
    : {};
}

export function buildPodTemplate(
  llm: LlmDeployment,
  inputs: ResolvedInputs,
  config: OperatorConfig,
): V1PodTemplateSpec {
  const image = guardImage(llm, config);
  const profiles = generatedProfiles(llm, config);
  const outputCheck = llm.spec.outputCheck.enabled;
  const model = modelContainer(llm);
  const apiKeys = llm.spec.guard.apiKeySecretRef;
  const scheduling = llm.spec.scheduling;

  const containers = [
    guardContainer(llm, image, profiles),
    ...(outputCheck ? [outputCheckContainer(llm, image, profiles)] : []),
    model.container,
  ];
  const volumes: V1Volume[] = [
    { name: VolumeName.policy, configMap: { name: policyConfigMapName(llm, inputs) } },
    ...(apiKeys
      ? [
          {
            name: VolumeName.apiKeys,
            secret: {
              secretName: apiKeys.name,
              items: [{ key: apiKeys.key, path: ApiKeysFile.fileName }],
              defaultMode: 0o440,
            },
          },
        ]
      : []),
    { name: VolumeName.guardTmp, emptyDir: { sizeLimit: GUARD_TMP_SIZE } },
    ...(outputCheck ? [{ name: VolumeName.outputCheckTmp, emptyDir: { sizeLimit: GUARD_TMP_SIZE } }] : []),
    ...model.volumes,
  ];

  const spec: V1PodSpec = {
    serviceAccountName: names.serviceAccount(llm),
    // Nothing in the pod talks to the API server: the policy and the keys arrive as mounted files.
    automountServiceAccountToken: false,
    // Service environment variables would leak the namespace's topology into every process.
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: POD_UID,
      runAsGroup: POD_GID,
      fsGroup: POD_GID,
      // Re-chowning a multi-hundred-GB weights volume on every start would take minutes.
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
      ...podAppArmor(llm),
    },
    terminationGracePeriodSeconds: terminationGracePeriod(llm),
    ...(llm.spec.security.runtimeClassName ? { runtimeClassName: llm.spec.security.runtimeClassName } : {}),
    ...(scheduling?.priorityClassName ? { priorityClassName: scheduling.priorityClassName } : {}),
    ...(scheduling?.nodeSelector ? { nodeSelector: scheduling.nodeSelector } : {}),
    ...(scheduling?.affinity ? { affinity: scheduling.affinity as V1PodSpec['affinity'] } : {}),
    ...(scheduling?.tolerations ? { tolerations: scheduling.tolerations } : {}),
    containers,
    volumes,
  };

  return {
    metadata: {
      labels: commonLabels(llm),
      annotations: {
        [Annotation.policyName]: inputs.policy.metadata.name ?? '',
        [Annotation.policyHash]: inputs.policy.hash,
        [Annotation.secretsHash]: inputs.secretsHash,
        [DEFAULT_CONTAINER_ANNOTATION]: ContainerName.guard,
      },
    },
    spec,
  };
}

/**
 * The Deployment's progress deadline must outlast a model load, or a healthy rollout is reported as
 * ProgressDeadlineExceeded while weights are still loading.
 */
function progressDeadline(llm: LlmDeployment): number {
  return Math.max(600, llm.spec.model.startupTimeoutSeconds + 300);
}

export function buildDeployment(
  llm: LlmDeployment,
  inputs: ResolvedInputs,
  config: OperatorConfig,
): KubeObject {
  const { rollout, autoscaling, replicas } = llm.spec;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(llm, names.deployment(llm)),
    spec: {
      // With autoscaling the HPA owns the replica count; leaving the field out keeps server-side
      // apply from resetting it on every reconcile.
      ...(autoscaling ? {} : { replicas }),
      selector: { matchLabels: selectorLabels(llm) },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: rollout.maxSurge, maxUnavailable: rollout.maxUnavailable },
      },
      // Matches the policy ConfigMaps kept for rollback.
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: progressDeadline(llm),
      template: buildPodTemplate(llm, inputs, config),
    },
  };
}
