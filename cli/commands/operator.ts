import type { Command } from '../command.ts';

// Placeholder until its issue lands: the command exists so that --help and dispatch are stable.
const command: Command = {
  summary: 'Run the operator that reconciles LlmDeployments and GuardrailPolicies.',
  usage: 'Usage: bulwark operator [flags]  (not yet implemented)',
  async run() {
    console.error('bulwark operator: not implemented yet');
    return 1;
  },
};

export default command;
