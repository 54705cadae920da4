/**
 * Whether a process started onnxruntime's telemetry client: the client leaves an empty debug log named after
 * the process (see shared/classifier/no-telemetry.ts). Tests run a module script in a child process and look
 * for that file once it has exited.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const telemetryTraceOf = (pid: number) => join(tmpdir(), `mat-debug-${pid}.log`);

/** The environment of this process without the telemetry switch, as a user's shell would have it. */
export function envWithoutTelemetrySwitch(): NodeJS.ProcessEnv {
  const { ORT_DISABLE_TELEMETRY: _, ...env } = process.env;
  return env;
}

/**
 * Runs `script` (an ES module body; tsx loads .ts imports) in a child process and returns its pid and the
 * switch as the child saw it when the script ended.
 */
export function runModuleInChild(
  script: string,
  env: NodeJS.ProcessEnv,
): { pid: number; telemetry: string | null } {
  const body = `
    ${script}
    console.log(JSON.stringify({ pid: process.pid, telemetry: process.env.ORT_DISABLE_TELEMETRY ?? null }));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', body], {
    encoding: 'utf8',
    env,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
}
