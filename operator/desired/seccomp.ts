import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { canonicalJson } from '../../shared/policy/index.ts';
import { shortHash } from './meta.ts';

/**
 * The seccomp profile of the guard and output-check containers: an allow-list for Node.js 20 with
 * onnxruntime-node, in the OCI runtime-spec format runc, crun and the Security Profiles Operator read
 * (https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp).
 *
 * Anything not listed fails with EPERM (SCMP_ACT_ERRNO). The list was written against what the guard
 * does: one Node process, V8 and libuv threads plus the ORT intra-op pool, TCP in and out, DNS over
 * UDP, files read from the image and the mounted policy, writes to /tmp only. It assumes
 * `allowPrivilegeEscalation: false` (always set by the Deployment builder): with no_new_privs runc
 * installs the filter right before execve, so no setuid/capset/chdir calls of runc itself need to pass.
 */

export type SeccompAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
export type SeccompOperator = 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  /** Only the native 64-bit ABIs: 32-bit compat calls (int 0x80, aarch32) match no arch and are killed. */
  architectures: string[];
  syscalls: SeccompRule[];
}

const ENOSYS = 38;

// Constants from the Linux UAPI headers; identical on x86_64 and arm64.
const CLONE_THREAD = 0x10000;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
/** SOCK_NONBLOCK and SOCK_CLOEXEC are or-ed into the type argument; the type is the low four bits. */
const SOCK_TYPE_MASK = 0xf;
const PR_GET_DUMPABLE = 3;
const PR_SET_NAME = 15;
const PR_GET_NAME = 16;
/** Linux 5.17 anonymous VMA names; glibc and V8 name their mappings with it when available. */
const PR_SET_VMA = 0x53564d41;
const TCGETS = 0x5401;
const TIOCGWINSZ = 0x5413;
const FIONREAD = 0x541b;
const FIONBIO = 0x5421;
const FIONCLEX = 0x5450;
const FIOCLEX = 0x5451;

/** Unconditionally allowed, grouped by who needs them. */
const ALLOWED: Record<string, string[]> = {
  // runc's final execve of the entrypoint, the dynamic loader and glibc start-up, thread exit.
  process: [
    'execve',
    'exit',
    'exit_group',
    'restart_syscall',
    'arch_prctl',
    'set_tid_address',
    'set_robust_list',
    'rseq',
    'uname',
    'getrandom',
    'getpid',
    'getppid',
    'gettid',
    'getuid',
    'geteuid',
    'getgid',
    'getegid',
    'getgroups',
    'getresuid',
    'getresgid',
    // Node reads its own capabilities before trusting environment variables such as NODE_OPTIONS.
    'capget',
    'getrlimit',
    'getrusage',
    'times',
    'sysinfo',
    'getcpu',
  ],
  // V8's heap and JIT (W^X flips with mprotect, protection keys for Wasm code), glibc malloc, ORT's
  // arena and the mmap of model.onnx.
  memory: [
    'brk',
    'mmap',
    'munmap',
    'mremap',
    'mprotect',
    'madvise',
    'membarrier',
    'pkey_alloc',
    'pkey_free',
    'pkey_mprotect',
  ],
  // libuv's thread pool, V8's platform workers and ORT's intra-op pool synchronise with futexes and
  // size themselves from the affinity mask (ORT also pins its own threads); signals are used for
  // thread interruption and abort().
  threads: [
    'futex',
    'sched_yield',
    'sched_getaffinity',
    'sched_setaffinity',
    'sched_getparam',
    'sched_getscheduler',
    'nanosleep',
    'clock_nanosleep',
    'clock_gettime',
    'clock_getres',
    'gettimeofday',
    'time',
    'rt_sigaction',
    'rt_sigprocmask',
    'rt_sigreturn',
    'sigaltstack',
    'tgkill',
  ],
  // libuv's event loop: epoll, an eventfd for cross-thread wake-ups, pipes for signal delivery, and
  // inotify for fs.watch (reloading the API-keys file).
  eventLoop: [
    'epoll_create',
    'epoll_create1',
    'epoll_ctl',
    'epoll_wait',
    'epoll_pwait',
    'epoll_pwait2',
    'eventfd2',
    'pipe',
    'pipe2',
    'poll',
    'ppoll',
    'select',
    'pselect6',
    'inotify_init1',
    'inotify_add_watch',
    'inotify_rm_watch',
  ],
  // Reading the image, /proc/self (metrics), the policy and API-key mounts; writing under /tmp only
  // (the read-only root filesystem and the AppArmor profile enforce where).
  files: [
    'open',
    'openat',
    'close',
    'close_range',
    'read',
    'readv',
    'pread64',
    'preadv',
    'write',
    'writev',
    'pwrite64',
    'pwritev',
    'lseek',
    'fstat',
    'stat',
    'lstat',
    'newfstatat',
    'statx',
    'statfs',
    'fstatfs',
    'fcntl',
    'dup',
    'dup2',
    'dup3',
    'access',
    'faccessat',
    'faccessat2',
    'readlink',
    'readlinkat',
    'getcwd',
    'getdents64',
    'ftruncate',
    'fsync',
    'fdatasync',
    'mkdir',
    'mkdirat',
    'unlink',
    'unlinkat',
    'rename',
    'renameat',
    'renameat2',
  ],
  // Sockets whose creation is allowed below: listen for clients, connect to the model on localhost.
  sockets: [
    'bind',
    'listen',
    'accept',
    'accept4',
    'connect',
    'getsockname',
    'getpeername',
    'getsockopt',
    'setsockopt',
    'sendto',
    'recvfrom',
    'sendmsg',
    'recvmsg',
    'sendmmsg',
    'recvmmsg',
    'shutdown',
  ],
};

function allow(names: string[], args?: SeccompArg[]): SeccompRule {
  return { names, action: 'SCMP_ACT_ALLOW', ...(args ? { args } : {}) };
}

const eq = (index: number, value: number): SeccompArg => ({ index, value, op: 'SCMP_CMP_EQ' });
const masked = (index: number, mask: number, value: number): SeccompArg => ({
  index,
  value: mask,
  valueTwo: value,
  op: 'SCMP_CMP_MASKED_EQ',
});

/** Whether the pod may send UDP (DNS); with `egress.mode: none` it cannot reach a resolver anyway. */
function needsUdp(llm: LlmDeployment): boolean {
  return llm.spec.network.egress.mode !== 'none';
}

/** The guard's seccomp profile; a pure function of the spec. */
export function guardSeccompProfile(llm: LlmDeployment): SeccompProfile {
  const families = [AF_INET, AF_INET6];
  const socketRules = families.flatMap((family) => [
    allow(['socket'], [eq(0, family), masked(1, SOCK_TYPE_MASK, SOCK_STREAM)]),
    ...(needsUdp(llm) ? [allow(['socket'], [eq(0, family), masked(1, SOCK_TYPE_MASK, SOCK_DGRAM)])] : []),
  ]);
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
    syscalls: [
      allow(Object.values(ALLOWED).flat()),
      // Threads only: every pthread_create passes CLONE_THREAD; fork, vfork and posix_spawn do not, so
      // a compromised guard cannot start a shell. Namespace flags are meaningless with CLONE_THREAD.
      allow(['clone'], [masked(0, CLONE_THREAD, CLONE_THREAD)]),
      // clone3 passes its flags in memory seccomp cannot read. ENOSYS makes glibc >= 2.34 fall back to
      // clone, which is filtered above (the same approach as Docker's default profile).
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      // io_uring bypasses seccomp for the operations it submits and has been a steady source of kernel
      // CVEs; libuv (Node >= 20.3) probes it and falls back to its thread pool on ENOSYS.
      {
        names: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: ENOSYS,
      },
      // TCP (and UDP for DNS) over IPv4/IPv6 and Unix stream sockets (glibc's nscd probe). No netlink,
      // packet or raw sockets: os.networkInterfaces() fails, nothing in the guard calls it.
      ...socketRules,
      allow(['socket'], [eq(0, AF_UNIX), masked(1, SOCK_TYPE_MASK, SOCK_STREAM)]),
      allow(['socketpair'], [eq(0, AF_UNIX)]),
      // Node asks for process limits (it raises RLIMIT_NOFILE at start-up): only its own (pid 0).
      allow(['prlimit64'], [eq(0, 0)]),
      // Thread names and VMA names only: not PR_SET_PTRACER, PR_SET_MM, PR_SET_SECCOMP and friends.
      ...[PR_GET_DUMPABLE, PR_SET_NAME, PR_GET_NAME, PR_SET_VMA].map((option) =>
        allow(['prctl'], [eq(0, option)]),
      ),
      // libuv sets O_NONBLOCK/FD_CLOEXEC with ioctl on Linux; isatty() and the TTY size; bytes readable.
      ...[FIONBIO, FIOCLEX, FIONCLEX, FIONREAD, TCGETS, TIOCGWINSZ].map((request) =>
        allow(['ioctl'], [eq(1, request)]),
      ),
    ],
  };
}

export function seccompProfileJson(profile: SeccompProfile): string {
  return `${JSON.stringify(profile, null, 2)}\n`;
}

/** Content-addressed name, so a changed profile is a new file and a new pod template (a rolling update). */
export function seccompProfileName(profile: SeccompProfile): string {
  return `guard-${shortHash(canonicalJson(profile), 12)}`;
}
