import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  instructionDigest,
  instructionPrefix,
} from '../../sidecar/server/conversation/trusted-instructions.ts';
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'Print the digest that trusts a system prompt, or the fixed beginning of a templated one.',
  usage: `Usage: bulwark digest < SYSTEM_PROMPT
       bulwark digest --prefix < FIXED_BEGINNING

Prints the SHA-256 (hex) of the text read from standard input, without surrounding whitespace: the digest
a GuardrailPolicy lists under spec.conversation.trustedInstructions so that the guard does not judge that
exact system or developer message (or Responses instructions). Any change to the text, a template
variable filled in included, gives another digest.

With --prefix, the text is the fixed beginning of a system prompt that a template completes (with a date,
user details, retrieved documents): it prints one entry for spec.conversation.trustedInstructionPrefixes,
{"digest": ..., "bytes": ...} (its length in UTF-8 bytes). The guard then judges such a message only after
that beginning, so what the template filled in is still judged.`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { prefix: { type: 'boolean', default: false } },
      allowPositionals: false,
    });
    const text = readFileSync(0, 'utf8');
    console.log(values.prefix ? JSON.stringify(instructionPrefix(text)) : instructionDigest(text));
    return 0;
  },
};

export default command;
