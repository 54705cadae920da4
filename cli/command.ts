/** One `bulwark <name>` subcommand. Modules under cli/commands/ default-export one of these. */
export interface Command {
  summary: string;
  usage: string;
  /** Returns the process exit code: 0 ok, 1 the checked thing failed, 2 bad usage. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for wrong flags or arguments; main prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
