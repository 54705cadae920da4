/**
 * Scanner-chain latency for one ~2 KB chat request (method and figures: METHOD.md).
 *
 *   node --import tsx bench/scanners/chain.bench.ts [--policy FILE] [--iterations N] [--json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentile } from '../../shared/eval/index.ts';
import { compilePolicy, withoutClassifier } from '../../shared/pipeline/index.ts';
import { parsePolicyManifest } from '../../shared/policy/index.ts';

/** A support-bot conversation: system prompt, history, a user turn with an e-mail address. ~2 KB. */
export const REQUEST: string[] = [
  'You are Ava, the support assistant of Northwind Outfitters, an online shop for hiking and camping gear. ' +
    'Answer questions about orders, shipping, returns and products. Be concise and friendly. If you do not ' +
    'know an answer, say so and offer to connect the customer with a human agent. Never promise refunds ' +
    'beyond the 30-day return policy. Prices are in euros and include VAT.',
  'Hi! I ordered a pair of trail running shoes last Tuesday (order 48213) and the tracking page has not ' +
    'changed since Thursday. Is something wrong with the delivery?',
  'Thanks for reaching out! Order 48213 left our warehouse in Rotterdam on Wednesday. The carrier sometimes ' +
    'updates tracking only when the parcel reaches the regional hub, which can take two to three working ' +
    'days. If there is no update by Monday, I can open an inquiry with the carrier for you.',
  'Okay, that makes sense. While I wait: the shoes run a bit small according to some reviews. If they do not ' +
    'fit, can I exchange them for a bigger size, and who pays for the return shipping? Also, do you have the ' +
    'same model in a waterproof version? I hike a lot in Scotland in the autumn and my current pair soaks ' +
    'through within an hour. My e-mail is sam.taylor@example.org if you need to send me a return label. I ' +
    'would also like to know whether the 20% member discount applies to exchanges, and whether I can combine ' +
    'it with the voucher code from your newsletter. Finally, could you recommend wool socks that work well ' +
    'with a slightly larger shoe size? Thank you so much for your help, and sorry for all the questions!',
  'Of course, I am happy to help with all of it. Before I answer, could you tell me which size you ordered and ' +
    'whether you usually wear a wide fit? That way I can suggest the right size for the exchange right away.',
  'I ordered a 43 and I think a 44 would be better. Normal width. Oh, and one more thing: my partner wants to ' +
    'buy a tent for two people under 300 euros that survives Scottish wind. Any suggestions?',
];

/** A ~2 KB model answer for the output chain. */
export const RESPONSE =
  'Of course! Exchanges for a different size are free within 30 days: we send you a prepaid label, and the ' +
  'new pair ships as soon as the carrier scans the return. The waterproof version of your model is the ' +
  'Ridge GTX, which has a membrane lining and a gusseted tongue; it costs 149 euros and comes in the same ' +
  'sizes. The member discount applies to exchanges only when the new item costs more, and it cannot be ' +
  'combined with newsletter vouchers. For socks, the Merino Trail Crew in medium cushioning pairs well with ' +
  'a half size up. I will send the return label to sam.taylor@example.org within the hour. Is there anything ' +
  'else I can help you with today? For example, I can check whether the Ridge GTX is in stock in your size ' +
  'at our Edinburgh partner store, so that you could try both pairs on before your next trip. Our stores ' +
  'also offer gait analysis at no charge, which helps with choosing between the standard and wide fits. ' +
  'If you prefer, I can reserve a pair for you there for up to three days, and you can still return the ' +
  'online order through the store if the exchange turns out to be the better option for you. Happy hiking! ' +
  'Please note that our customer service team is available Monday to Saturday from 8:00 to 20:00 CET, and ' +
  'that all times on the tracking page are shown in the time zone of the parcel location.';

function main(): void {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', default: new URL('../../policies/default.yaml', import.meta.url).pathname },
      iterations: { type: 'string', default: '2000' },
      json: { type: 'boolean' },
    },
  });
  const loaded = parsePolicyManifest(readFileSync(values.policy!, 'utf8'));
  // The rule scanners alone: the classifier has its own benchmark (issue 6).
  const policy = compilePolicy({ ...loaded, spec: withoutClassifier(loaded.spec) });
  const iterations = Number(values.iterations);
  const bytes = Buffer.byteLength(REQUEST.join(''), 'utf8');
  const measure = async (run: () => Promise<unknown>) => {
    for (let i = 0; i < 1000; i++) await run(); // warm-up: JIT, lazy corpora, regex caches
    const ms: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      await run();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return {
      p50: r(percentile(ms, 50)),
      p99: r(percentile(ms, 99)),
      mean: r(ms.reduce((a, b) => a + b, 0) / ms.length),
    };
  };
  void (async () => {
    const results: Record<string, unknown> = {
      requestBytes: bytes,
      responseBytes: Buffer.byteLength(RESPONSE),
      iterations,
    };
    results.input = await measure(() => policy.scanInput([...REQUEST], policy.newRequestState('b')));
    results.output = await measure(() => policy.scanOutput(RESPONSE, policy.newRequestState('b')));
    results.outputStream = await measure(async () => {
      const s = policy.outputStream(policy.newRequestState('b'));
      for (let at = 0; at < RESPONSE.length; at += 16) await s.push(RESPONSE.slice(at, at + 16));
      await s.end();
    });
    const perScanner: Record<string, unknown> = {};
    for (const entry of loaded.spec.input) {
      const one = compilePolicy({
        ...loaded,
        spec: withoutClassifier({ ...loaded.spec, input: [entry], output: [] }),
      });
      perScanner[entry.type] = await measure(() => one.scanInput([...REQUEST], one.newRequestState('b')));
    }
    results.inputPerScanner = perScanner;
    results.rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    if (values.json) console.log(JSON.stringify(results));
    else console.log(JSON.stringify(results, null, 2));
  })();
}

if (import.meta.url === `file://${process.argv[1]}`) main();
