import type { Command } from '../command.ts';

// Placeholder until its issue lands: the command exists so that --help and dispatch are stable.
const command: Command = {
  summary: 'Scan text from stdin with a policy and print the analysis record.',
  usage: 'Usage: bulwark scan [flags]  (not yet implemented)',
  async run() {
    console.error('bulwark scan: not implemented yet');
    return 1;
  },
};

export default command;
