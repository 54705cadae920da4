import type { Command } from '../command.ts';

// Placeholder until its issue lands: the command exists so that --help and dispatch are stable.
const command: Command = {
  summary: 'Evaluate the input scanners on a labeled JSONL dataset.',
  usage: 'Usage: bulwark eval [flags]  (not yet implemented)',
  async run() {
    console.error('bulwark eval: not implemented yet');
    return 1;
  },
};

export default command;
