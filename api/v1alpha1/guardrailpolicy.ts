import { z } from 'zod';
import { Conditions, DnsSubdomain, ObjectMeta } from './common.ts';
import { FailMode } from './llmdeployment.ts';
import { API_VERSION, withRules } from './meta.ts';

export const GUARDRAIL_POLICY_KIND = 'GuardrailPolicy';

export const INPUT_SCANNER_TYPES = [
  'promptInjection',
  'jailbreak',
  'pii',
  'secrets',
  'invisibleText',
  'encoding',
  'bannedSubstrings',
  'regex',
  'topics',
  'tokenLimit',
  'language',
] as const;

export const OUTPUT_SCANNER_TYPES = [
  'pii',
  'secrets',
  'canary',
  'deanonymize',
  'bannedSubstrings',
  'regex',
  'urls',
  'noRefusal',
  'jsonSchema',
] as const;

export type InputScannerType = (typeof INPUT_SCANNER_TYPES)[number];
export type OutputScannerType = (typeof OUTPUT_SCANNER_TYPES)[number];
export type ScannerType = InputScannerType | OutputScannerType;

export const PII_ENTITIES = [
  'EMAIL',
  'PHONE',
  'CREDIT_CARD',
  'IBAN',
  'US_SSN',
  'IP_ADDRESS',
  'STREET_ADDRESS',
] as const;

const Patterns = z.array(z.string().min(1).max(1024)).min(1).max(256);
const Words = z.array(z.string().min(1).max(256)).min(1).max(1024);

const ModelFields = {
  maliciousLabels: z
    .array(z.string().min(1).max(64))
    .max(16)
    .optional()
    .describe('Model labels that count as malicious, e.g. ["INJECTION", "JAILBREAK"].'),
  maxTokens: z.int32().min(16).max(8192).optional().describe('Window length in tokens.'),
  strideTokens: z.int32().min(1).max(8192).optional().describe('Step between sliding windows.'),
  maxWindows: z
    .int32()
    .min(1)
    .max(1024)
    .optional()
    .describe('At most this many windows per text, evenly spaced; bounds the cost of long prompts.'),
  threads: z
    .int32()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'onnxruntime intra-op threads for this model (default 1). More cut the latency of one long prompt ' +
        'when cores are idle; under concurrent requests they compete with each other.',
    ),
};

const ModelPath = z.string().regex(/^\//).max(512);

const CascadeBand = withRules(
  z
    .object({
      low: z.number().min(0).max(1).describe('Lowest first-stage score the second model re-scores.'),
      high: z.number().min(0).max(1).describe('First-stage scores at or above this are kept as they are.'),
    })
    .strict(),
  [
    {
      cel: 'self.low < self.high',
      message: 'band.low must be below band.high',
      holds: (b: { low: number; high: number }) => b.low < b.high,
    },
  ],
);

export const CascadeParams = z
  .object({
    modelPath: ModelPath.optional().describe(
      'Directory of the second-stage model (bring your own); default: the shipped bulwark-injection-minilm-v1.',
    ),
    ...ModelFields,
    band: CascadeBand.describe(
      "Texts the first model scores in [low, high) on the scanners' scale (0.5 = its own threshold) are " +
        'scored by the second model instead; the rest keep the first score.',
    ),
    focusWindows: z
      .int32()
      .min(1)
      .max(64)
      .optional()
      .describe(
        "The second model scores at most this many of a text's windows: those the first model scores " +
          'highest (instead of maxWindows evenly spaced ones). Bounds the slow path on long prompts.',
      ),
  })
  .strict();

export const ClassifierParams = z
  .object({
    enabled: z.boolean().default(true).describe('Use the ONNX classifier in addition to heuristics.'),
    modelPath: ModelPath.optional().describe(
      'Directory with model.onnx and tokenizer.json (bring your own); default: the shipped model.',
    ),
    ...ModelFields,
    cascade: CascadeParams.optional().describe(
      'A heavier second model for the texts the first is unsure about: cheap on clear cases, accurate on the rest.',
    ),
    scoreCacheEntries: z
      .int32()
      .min(0)
      .max(1_000_000)
      .optional()
      .describe(
        'Remember the scores of this many recently seen texts (by SHA-256 digest, not the text), so the ' +
          'system prompt and earlier turns a chat request repeats are not classified again (default 4096). 0 ' +
          'turns it off: a guard shared by several users then takes as long for a text it has seen as for a new one.',
      ),
  })
  .strict();

/**
 * The union of every scanner's parameters. Kept as one object (not a oneOf) so the CRD schema stays
 * structural and `kubectl apply` rejects misspelt keys; which keys a scanner accepts is checked by rules.
 */
export const ScannerParams = z
  .object({
    patterns: Patterns.optional().describe('regex: patterns (RE2-compatible JavaScript syntax).'),
    substrings: Words.optional().describe('bannedSubstrings: words or phrases.'),
    caseSensitive: z.boolean().optional().describe('bannedSubstrings, regex: match case (default false).'),
    wholeWords: z.boolean().optional().describe('bannedSubstrings: match whole words only (default false).'),
    allow: Words.optional().describe('topics: only these topics are allowed.'),
    deny: Words.optional().describe('topics: these topics are refused.'),
    maxTokens: z.int32().min(1).max(10_000_000).optional().describe('tokenLimit: maximum prompt tokens.'),
    encoding: z
      .enum(['cl100k_base', 'o200k_base'])
      .optional()
      .describe('tokenLimit: tokenizer family for counting (default o200k_base).'),
    allowed: z
      .array(z.string().regex(/^[a-z]{2,3}$/, 'ISO 639 code such as en or deu'))
      .min(1)
      .max(64)
      .optional()
      .describe('language: allowed ISO 639-1/3 codes.'),
    allowedDomains: z
      .array(z.string().min(1).max(253))
      .max(256)
      .optional()
      .describe('urls: domains (and their subdomains) that responses may link to.'),
    entities: z
      .array(z.enum(PII_ENTITIES))
      .min(1)
      .max(16)
      .optional()
      .describe('pii: entity kinds to detect.'),
    rules: z.array(z.string().min(1).max(64)).max(256).optional().describe('secrets: only these rule ids.'),
    maxDepth: z.int32().min(1).max(5).optional().describe('encoding: how many nested decodings to try.'),
    classifier: ClassifierParams.optional().describe('promptInjection, jailbreak, topics: ONNX classifier.'),
    schema: z
      .record(z.string(), z.unknown())
      .meta({ 'x-kubernetes-preserve-unknown-fields': true })
      .optional()
      .describe('jsonSchema: JSON Schema the response must satisfy.'),
  })
  .strict();

/** Which parameter keys each scanner understands; anything else is a mistake worth reporting. */
export const SCANNER_PARAM_KEYS: Record<ScannerType, readonly (keyof z.infer<typeof ScannerParams>)[]> = {
  promptInjection: ['classifier'],
  jailbreak: ['classifier'],
  pii: ['entities'],
  secrets: ['rules'],
  invisibleText: [],
  encoding: ['maxDepth'],
  bannedSubstrings: ['substrings', 'caseSensitive', 'wholeWords'],
  regex: ['patterns', 'caseSensitive'],
  topics: ['allow', 'deny', 'classifier'],
  tokenLimit: ['maxTokens', 'encoding'],
  language: ['allowed'],
  canary: [],
  deanonymize: [],
  urls: ['allowedDomains'],
  noRefusal: [],
  jsonSchema: ['schema'],
};

type Entry = { type: ScannerType; action: string; params?: z.infer<typeof ScannerParams> | undefined };
const has = (e: Entry, key: keyof z.infer<typeof ScannerParams>) => e.params?.[key] !== undefined;
const requires = (
  type: ScannerType,
  keys: (keyof z.infer<typeof ScannerParams>)[],
  cel: string,
  message: string,
) => ({
  cel: `self.type != '${type}' || (has(self.params) && (${cel}))`,
  message,
  field: 'params',
  holds: (e: Entry) => e.type !== type || keys.some((k) => has(e, k)),
});

const entryRules = [
  {
    cel: "self.action != 'anonymize' || self.type == 'pii'",
    message: 'action anonymize is only valid for the pii scanner',
    field: 'action',
    holds: (e: Entry) => e.action !== 'anonymize' || e.type === 'pii',
  },
  {
    cel: "self.action != 'redact' || self.type in ['pii', 'secrets', 'bannedSubstrings', 'regex', 'invisibleText', 'urls', 'deanonymize']",
    message:
      'action redact needs a scanner that finds spans: pii, secrets, bannedSubstrings, regex, invisibleText or urls',
    field: 'action',
    holds: (e: Entry) =>
      e.action !== 'redact' ||
      ['pii', 'secrets', 'bannedSubstrings', 'regex', 'invisibleText', 'urls', 'deanonymize'].includes(
        e.type,
      ),
  },
  requires('regex', ['patterns'], 'has(self.params.patterns)', 'the regex scanner needs params.patterns'),
  requires(
    'bannedSubstrings',
    ['substrings'],
    'has(self.params.substrings)',
    'the bannedSubstrings scanner needs params.substrings',
  ),
  requires(
    'topics',
    ['allow', 'deny'],
    'has(self.params.allow) || has(self.params.deny)',
    'the topics scanner needs params.allow or params.deny',
  ),
  requires(
    'tokenLimit',
    ['maxTokens'],
    'has(self.params.maxTokens)',
    'the tokenLimit scanner needs params.maxTokens',
  ),
  requires('language', ['allowed'], 'has(self.params.allowed)', 'the language scanner needs params.allowed'),
  requires(
    'urls',
    ['allowedDomains'],
    'has(self.params.allowedDomains)',
    'the urls scanner needs params.allowedDomains',
  ),
];

function scannerEntry<T extends readonly [ScannerType, ...ScannerType[]]>(types: T, direction: string) {
  const entry = z
    .object({
      type: z.enum(types).describe(`${direction} scanner: one of ${types.join(', ')}.`),
      action: z
        .enum(['block', 'redact', 'anonymize', 'flag'])
        .default('block')
        .describe('block refuses the request; redact/anonymize rewrite the text; flag only records.'),
      threshold: z
        .number()
        .min(0)
        .max(1)
        .default(0.5)
        .describe('Score (0..1) at or above which the scanner fires.'),
      failMode: FailMode.optional().describe("Overrides the policy's failMode for this scanner."),
      params: ScannerParams.optional(),
    })
    .strict();
  // Unknown keys for the chosen type are reported offline only: CEL would need one rule per type and key.
  const checked = entry.superRefine((e, ctx) => {
    const allowed = SCANNER_PARAM_KEYS[e.type as ScannerType];
    for (const key of Object.keys(e.params ?? {})) {
      if (!(allowed as readonly string[]).includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['params', key],
          message: `the ${e.type} scanner has no parameter ${key} (it takes: ${allowed.join(', ') || 'none'})`,
        });
      }
    }
    if (e.type === 'regex') {
      for (const [i, pattern] of (e.params?.patterns ?? []).entries()) {
        try {
          new RegExp(pattern, 'u');
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            path: ['params', 'patterns', i],
            message: `invalid regular expression: ${(err as Error).message}`,
          });
        }
      }
    }
  });
  return withRules(checked, entryRules as never);
}

export const InputScannerEntry = scannerEntry(INPUT_SCANNER_TYPES, 'Input');
export const OutputScannerEntry = scannerEntry(OUTPUT_SCANNER_TYPES, 'Output');

export const ValidationSpec = z
  .object({
    datasetRef: z
      .object({
        name: DnsSubdomain.describe('ConfigMap in the policy namespace.'),
        key: z.string().min(1).max(253).default('dataset.jsonl').describe('Key holding labeled JSONL.'),
      })
      .strict()
      .describe(
        'Labeled prompts, one JSON object per line: {"text": ..., "label": "injection|jailbreak|benign"}.',
      ),
    minDetectionRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('Minimum share of malicious rows caught.'),
    maxFalsePositiveRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('Maximum share of benign rows blocked.'),
  })
  .strict();

export const ASSISTANT_TURN_MODES = ['judge', 'judgeUnlessReturned', 'skip'] as const;

/**
 * A chat client sends the whole conversation every time: the application's system prompt and the model's
 * earlier replies included. Detection scanners judge what a requester wrote, and the models behind them
 * were trained on prompts: ordinary replies ("Sure, send the text.") and system prompts that set a role
 * with rules can score as attacks, and would then block every turn. A reply this guard returned was
 * written by the model and passed the output scanners; a client can also forge assistant turns (many-shot
 * jailbreaks), which is why a turn the guard does not recognise is judged. Likewise only the exact system
 * prompts a policy names are trusted: one that carries retrieved documents is judged.
 */
export const ConversationSpec = z
  .object({
    assistantTurns: z
      .enum(ASSISTANT_TURN_MODES)
      .default('judgeUnlessReturned')
      .describe(
        'judge: block and flag scanners judge assistant turns like any text. judgeUnlessReturned: not the ' +
          'replies this guard process returned to the same API key (remembered as SHA-256 digests; another ' +
          'replica does not know them and judges them). skip: no assistant turn is judged. Redact and anonymize scanners ' +
          'always rewrite assistant turns, and tokenLimit counts them.',
      ),
    rememberedReplies: z
      .int32()
      .min(0)
      .max(1_000_000)
      .default(10_000)
      .describe('judgeUnlessReturned: how many recent replies the guard recognises (0 = none).'),
    trustedInstructions: z
      .array(
        z
          .string()
          .regex(
            /^[0-9a-f]{64}$/,
            'must be a SHA-256 digest: 64 lowercase hex digits (bulwark digest < FILE)',
          ),
      )
      .max(1024)
      .optional()
      .describe(
        'SHA-256 digests (hex, of the text without surrounding whitespace; `bulwark digest < FILE` prints ' +
          "one) of the application's own system and developer messages. A system or developer message, or " +
          'Responses instructions, whose text matches is not judged by block and flag scanners.',
      ),
    trustedInstructionPrefixes: z
      .array(
        z
          .object({
            digest: z
              .string()
              .regex(
                /^[0-9a-f]{64}$/,
                'must be a SHA-256 digest: 64 lowercase hex digits (bulwark digest --prefix < FILE)',
              ),
            bytes: z
              .int32()
              .min(1)
              .max(1_048_576)
              .describe('Length of the trusted beginning in UTF-8 bytes.'),
          })
          .strict(),
      )
      .max(1024)
      .optional()
      .describe(
        'The fixed beginnings of system and developer messages that an application fills in from a template ' +
          '(`bulwark digest --prefix < FILE` prints one entry for the fixed part). A message whose first ' +
          '`bytes` bytes (UTF-8, leading whitespace left out) have the SHA-256 `digest` is judged by block and ' +
          'flag scanners only from there on: what the template filled in (dates, user details, retrieved ' +
          'documents) is still judged.',
      ),
  })
  .strict();

export const GuardrailPolicySpec = z
  .object({
    failMode: FailMode.default('closed'),
    input: z
      .array(InputScannerEntry)
      .max(64)
      .default([])
      .describe('Scanners run on everything the model reads.'),
    output: z
      .array(OutputScannerEntry)
      .max(64)
      .default([])
      .describe('Scanners run on everything the model writes.'),
    audit: z
      .object({
        logContent: z
          .boolean()
          .default(false)
          .describe('Log prompt and completion text in audit lines. Off: only a SHA-256 is logged.'),
      })
      .strict()
      .prefault({}),
    conversation: ConversationSpec.prefault({}).describe(
      "How block and flag input scanners treat the model's earlier replies and the application's system prompts.",
    ),
    validation: ValidationSpec.optional().describe(
      'Gate: evaluate the policy on a dataset before it rolls out.',
    ),
  })
  .strict();

export const EvaluationFigures = z.object({
  n: z.int(),
  tpr: z.number(),
  fpr: z.number(),
  precision: z.number(),
  f1: z.number(),
  evaluatedAt: z.string(),
  datasetHash: z.string().optional(),
});

export const GuardrailPolicyStatus = z.object({
  observedGeneration: z.int().optional(),
  conditions: Conditions.optional(),
  hash: z.string().optional().describe('Content hash of the last valid spec.'),
  evaluation: EvaluationFigures.optional().describe('Figures from the last validation run.'),
});

export const GuardrailPolicy = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(GUARDRAIL_POLICY_KIND),
  metadata: ObjectMeta,
  spec: GuardrailPolicySpec,
  status: GuardrailPolicyStatus.optional(),
});

export type GuardrailPolicy = z.output<typeof GuardrailPolicy>;
export type GuardrailPolicySpec = z.output<typeof GuardrailPolicySpec>;
export type GuardrailPolicyStatus = z.output<typeof GuardrailPolicyStatus>;
export type InputScannerEntry = z.output<typeof InputScannerEntry>;
export type OutputScannerEntry = z.output<typeof OutputScannerEntry>;
export type ScannerEntry = InputScannerEntry | OutputScannerEntry;
export type ScannerParams = z.output<typeof ScannerParams>;
export type EvaluationFigures = z.output<typeof EvaluationFigures>;
