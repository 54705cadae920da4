import type { Command } from '../command.ts';

// Placeholder until its issue lands: the command exists so that --help and dispatch are stable.
const command: Command = {
  summary: 'Print the Kubernetes objects the operator would apply for an LlmDeployment, offline.',
  usage: 'Usage: bulwark render [flags]  (not yet implemented)',
  async run() {
    console.error('bulwark render: not implemented yet');
    return 1;
  },
};

export default command;
