import { type SpawnSyncReturns, spawnSync } from 'node:child_process';

/**
 * Runs an ES module script in a child Node process with tsx loaded, killed after `timeoutMs`. For code that
 * may never return: a runaway regular expression blocks its own thread, so no in-process timeout stops it.
 */
export function runInChild(script: string, timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}
