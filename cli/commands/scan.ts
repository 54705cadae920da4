import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CompiledPolicy, PolicyCompileError } from '../../shared/pipeline/index.ts';
import { PolicyError } from '../../shared/policy/index.ts';
import { judgedFrom } from '../../sidecar/server/conversation/index.ts';
import {
  applyTexts,
  type InputRoute,
  inputSlots,
  slotText,
  type TextSlot,
} from '../../sidecar/server/openai/input.ts';
import { namePlaces } from '../../sidecar/server/openai/places.ts';
import { type Command, UsageError } from '../command.ts';
import { preparePolicy, readPolicy } from './eval.ts';

const REQUEST_ROUTES: readonly InputRoute[] = ['chat', 'completions', 'responses', 'embeddings'];

/** --request: the body as the guard reads it; prints the record (and the forwarded body), returns the exit code. */
async function scanRequest(
  policy: CompiledPolicy,
  route: InputRoute,
  raw: string,
  printBody: boolean | undefined,
): Promise<number> {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    console.error(`bulwark scan: the request body is not JSON: ${(err as Error).message}`);
    return 2;
  }
  let slots: TextSlot[];
  try {
    slots = inputSlots(route, body);
  } catch (err) {
    console.error(`bulwark scan: the guard would answer 400: ${(err as Error).message}`);
    return 1;
  }
  const texts = slots.map(slotText);
  const from = judgedFrom({}, policy, 'cli', slots, texts);
  const outcome = await policy.scanInput(texts, policy.newRequestState('cli'), from);
  namePlaces(outcome, slots, texts, from);
  console.log(JSON.stringify(outcome.analysis, null, 2));
  if (printBody) {
    applyTexts(slots, outcome.texts);
    console.log(JSON.stringify(body));
  }
  return outcome.blocked ? 1 : 0;
}

const command: Command = {
  summary: 'Scan text from stdin with a policy and print the analysis record.',
  usage: `Usage: bulwark scan [--policy FILE] [--direction input|output] < TEXT
       bulwark scan [--policy FILE] --request chat|completions|responses|embeddings < BODY.json

Runs the policy's input (default) or output scanners over the text read from standard input, exactly as
the guard would for one message, and prints the analysis record as JSON: scores per scanner (every
scanner runs, even after a block), malicious, identifiedThreats, actions, errors, latencyMs.
With --request, standard input is a whole OpenAI API request body for that endpoint, scanned as the guard
scans it (every message, part and tool description; the policy's trustedInstructions and trustedInstructionPrefixes apply; an assistant
turn is judged unless assistantTurns is skip, since no reply was returned here), and the record also says
where each scanner fired (firedIn), which texts were not judged (unjudgedIn) and which were judged only
after a trusted beginning (trustedPrefixIn).
Exit 0 when the text would pass (possibly rewritten), 1 when it would be blocked.

Flags:
  --policy FILE            GuardrailPolicy manifest (default: policies/default.yaml)
  --direction input|output which scanner chain to run (default input)
  --request ROUTE          stdin is a request body for /v1/chat/completions (chat), /v1/completions,
                           /v1/responses or /v1/embeddings; input scanners only
  --text                   also print the text as it would be forwarded (after redact/anonymize; with
                           --request, the request body)
  --classifier auto|off    off: heuristics only, even if the policy enables the classifier`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        policy: { type: 'string' },
        direction: { type: 'string', default: 'input' },
        text: { type: 'boolean' },
        request: { type: 'string' },
        classifier: { type: 'string', default: 'auto' },
      },
      allowPositionals: false,
    });
    const direction = values.direction;
    if (direction !== 'input' && direction !== 'output')
      throw new UsageError('--direction must be input or output');
    const route = values.request;
    if (route !== undefined && !REQUEST_ROUTES.includes(route as InputRoute))
      throw new UsageError(`--request must be one of ${REQUEST_ROUTES.join(', ')}`);
    if (route !== undefined && direction !== 'input') throw new UsageError('--request scans input only');
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
      if (route !== undefined) return await scanRequest(policy, route as InputRoute, text, values.text);
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
