import type { Command } from '../command.ts';

// Placeholder until its issue lands: the command exists so that --help and dispatch are stable.
const command: Command = {
  summary: 'Run the guard proxy (or the output check) in front of an OpenAI-compatible model.',
  usage: 'Usage: bulwark guard [flags]  (not yet implemented)',
  async run() {
    console.error('bulwark guard: not implemented yet');
    return 1;
  },
};

export default command;
