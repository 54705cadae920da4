import { parseArgs } from 'node:util';
import { type Command, UsageError, wantsHelp } from './command.ts';

/** Lazy so that `bulwark validate` does not load onnxruntime or the Kubernetes client. */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  operator: () => import('./commands/operator.ts'),
  guard: () => import('./commands/guard.ts'),
  scan: () => import('./commands/scan.ts'),
  eval: () => import('./commands/eval.ts'),
  digest: () => import('./commands/digest.ts'),
  render: () => import('./commands/render.ts'),
  validate: () => import('./commands/validate.ts'),
};

async function overview(): Promise<string> {
  const lines = ['Usage: bulwark <command> [flags]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const command = await load().then(
      (m) => m.default,
      () => undefined,
    );
    lines.push(`  ${name.padEnd(10)} ${command?.summary ?? '(not available in this build)'}`);
  }
  lines.push('', 'Run `bulwark <command> --help` for its flags.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    console.log(pkg.version);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`bulwark: unknown command "${name}"\n\n${await overview()}`);
    return 2;
  }
  const command = (await load()).default;
  if (wantsHelp(rest)) {
    console.log(`${command.summary}\n\n${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`bulwark ${name}: ${(err as Error).message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}

export { parseArgs };
