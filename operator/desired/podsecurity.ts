import type { V1Container, V1ObjectMeta, V1PodSpec, V1SecurityContext } from '@kubernetes/client-node';

/**
 * The checks of the Pod Security Standards `restricted` profile (which includes `baseline`), as the
 * PodSecurity admission plugin applies them to a pod, written down from
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ (latest version). Used by the
 * tests to prove every generated pod template would be admitted; returns the violations, empty if none.
 */
export function restrictedViolations(spec: V1PodSpec, metadata: V1ObjectMeta = {}): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  const containers: V1Container[] = [...(spec.initContainers ?? []), ...spec.containers];

  // Baseline.
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('host namespaces are shared');
  if (pod.windowsOptions?.hostProcess) problems.push('pod: hostProcess');
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath) problems.push(`volume ${volume.name}: hostPath`);
  }
  const seLinuxTypes = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
  const checkSeLinux = (where: string, sc?: { seLinuxOptions?: V1SecurityContext['seLinuxOptions'] }) => {
    const o = sc?.seLinuxOptions;
    if (!o) return;
    if (o.type !== undefined && !seLinuxTypes.includes(o.type))
      problems.push(`${where}: seLinuxOptions.type ${o.type}`);
    if (o.user || o.role) problems.push(`${where}: seLinuxOptions user/role`);
  };
  checkSeLinux('pod', pod);
  const appArmorOk = (type?: string) =>
    type === undefined || type === 'RuntimeDefault' || type === 'Localhost';
  if (!appArmorOk(pod.appArmorProfile?.type))
    problems.push(`pod: appArmorProfile ${pod.appArmorProfile?.type}`);
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/')) {
      if (value !== 'runtime/default' && !value.startsWith('localhost/'))
        problems.push(`annotation ${key}: ${value}`);
    }
  }
  const safeSysctls = new Set([
    'kernel.shm_rmid_forced',
    'net.ipv4.ip_local_port_range',
    'net.ipv4.ip_unprivileged_port_start',
    'net.ipv4.tcp_syncookies',
    'net.ipv4.ping_group_range',
    'net.ipv4.ip_local_reserved_ports',
    'net.ipv4.tcp_keepalive_time',
    'net.ipv4.tcp_fin_timeout',
    'net.ipv4.tcp_keepalive_intvl',
    'net.ipv4.tcp_keepalive_probes',
    'net.ipv4.tcp_rmem',
    'net.ipv4.tcp_wmem',
  ]);
  for (const sysctl of pod.sysctls ?? []) {
    if (!safeSysctls.has(sysctl.name)) problems.push(`pod: unsafe sysctl ${sysctl.name}`);
  }
  if (pod.seccompProfile?.type === 'Unconfined') problems.push('pod: seccompProfile Unconfined');

  // Restricted.
  const allowedVolumeSources = new Set([
    'configMap',
    'csi',
    'downwardAPI',
    'emptyDir',
    'ephemeral',
    'persistentVolumeClaim',
    'projected',
    'secret',
  ]);
  for (const volume of spec.volumes ?? []) {
    for (const source of Object.keys(volume)) {
      if (source !== 'name' && !allowedVolumeSources.has(source))
        problems.push(`volume ${volume.name}: ${source}`);
    }
  }
  if (pod.runAsUser === 0) problems.push('pod: runAsUser 0');
  if (pod.runAsGroup === 0 || pod.fsGroup === 0 || pod.supplementalGroups?.includes(0))
    problems.push('pod: root group');
  const podSeccomp = pod.seccompProfile?.type;

  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) problems.push(`${where}: privileged`);
    if (sc.windowsOptions?.hostProcess) problems.push(`${where}: hostProcess`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default')
      problems.push(`${where}: procMount ${sc.procMount}`);
    for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${where}: hostPort ${port.hostPort}`);
    checkSeLinux(where, sc);
    if (!appArmorOk(sc.appArmorProfile?.type))
      problems.push(`${where}: appArmorProfile ${sc.appArmorProfile?.type}`);
    if (sc.allowPrivilegeEscalation !== false)
      problems.push(`${where}: allowPrivilegeEscalation is not false`);
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) problems.push(`${where}: runAsUser 0`);
    if (sc.runAsGroup === 0) problems.push(`${where}: runAsGroup 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      problems.push(`${where}: seccompProfile ${seccomp}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL'))
      problems.push(`${where}: capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE') problems.push(`${where}: adds capability ${cap}`);
    }
  }
  return problems;
}
