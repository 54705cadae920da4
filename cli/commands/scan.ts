import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PolicyCompileError } from '../../shared/pipeline/index.ts';
import { PolicyError } from '../../shared/policy/index.ts';
import { type Command, UsageError } from '../command.ts';
import { preparePolicy, readPolicy } from './eval.ts';

const command: Command = {
  summary: 'Scan text from stdin with a policy and print the analysis record.',
  usage: `Usage: bulwark scan [--policy FILE] [--direction input|output] < TEXT

Runs the policy's input (default) or output scanners over the text read from standard input, exactly as
the guard would for one message, and prints the analysis record as JSON: scores per scanner (every
scanner runs, even after a block), malicious, identifiedThreats, actions, errors, latencyMs.
Exit 0 when the text would pass (possibly rewritten), 1 when it would be blocked.

Flags:
  --policy FILE            GuardrailPolicy manifest (default: policies/default.yaml)
  --direction input|output which scanner chain to run (default input)
  --text                   also print the text as it would be forwarded (after redact/anonymize)
  --classifier auto|off    off: heuristics only, even if the policy enables the classifier`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        policy: { type: 'string' },
        direction: { type: 'string', default: 'input' },
        text: { type: 'boolean' },
        classifier: { type: 'string', default: 'auto' },
      },
      allowPositionals: false,
    });
    const direction = values.direction;
    if (direction !== 'input' && direction !== 'output')
      throw new UsageError('--direction must be input or output');
    if (values.classifier !== 'auto' && values.classifier !== 'off') {
      throw new UsageError('--classifier must be auto or off');
    }
    let prepared: Awaited<ReturnType<typeof preparePolicy>>;
    try {
      prepared = await preparePolicy(readPolicy(values.policy), values.classifier, { failFast: false });
    } catch (err) {
      if (err instanceof PolicyError || err instanceof PolicyCompileError) {
        console.error(`bulwark scan: ${err.message}`);
        return 1;
      }
      throw err;
    }
    try {
      for (const note of prepared.notes) console.error(`bulwark scan: ${note}`);
      const text = readFileSync(0, 'utf8');
      const policy = prepared.compiled;
      const state = policy.newRequestState('cli');
      const result =
        direction === 'input'
          ? await policy.scanInput([text], state).then((r) => ({ ...r, text: r.texts[0]! }))
          : await policy.scanOutput(text, state);
      console.log(JSON.stringify(result.analysis, null, 2));
      if (values.text) console.log(result.text);
      return result.blocked ? 1 : 0;
    } finally {
      await prepared.close();
    }
  },
};

export default command;
