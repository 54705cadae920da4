import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { instructionDigest } from '../../sidecar/server/conversation/trusted-instructions.ts';
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'Print the digest that trusts a system prompt (policy conversation.trustedInstructions).',
  usage: `Usage: bulwark digest < SYSTEM_PROMPT

Prints the SHA-256 (hex) of the text read from standard input, without surrounding whitespace: the digest
a GuardrailPolicy lists under spec.conversation.trustedInstructions so that the guard does not judge that
exact system or developer message (or Responses instructions). Any change to the text, a template
variable filled in included, gives another digest: keep the variable part in a message of its own.`,
  async run(argv) {
    parseArgs({ args: argv, options: {}, allowPositionals: false });
    console.log(instructionDigest(readFileSync(0, 'utf8')));
    return 0;
  },
};

export default command;
