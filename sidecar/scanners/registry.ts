import type { ScannerType } from '../../api/v1alpha1/index.ts';
import { createBannedSubstrings } from './bannedSubstrings/index.ts';
import { createCanary } from './canary/index.ts';
import { createDeanonymize } from './deanonymize/index.ts';
import { createEncoding } from './encoding/index.ts';
import { createInvisibleText } from './invisibleText/index.ts';
import { createJailbreak } from './jailbreak/index.ts';
import { createJsonSchema } from './jsonSchema/index.ts';
import { createLanguage } from './language/index.ts';
import { createNoRefusal } from './noRefusal/index.ts';
import { createPii } from './pii/index.ts';
import { createPromptInjection } from './promptInjection/index.ts';
import { createRegex } from './regex/index.ts';
import { createSecrets } from './secrets/index.ts';
import { createTokenLimit } from './tokenLimit/index.ts';
import { createTopics } from './topics/index.ts';
import type { ScannerFactory } from './types.ts';
import { createUrls } from './urls/index.ts';

/** Scanner type (as named in a GuardrailPolicy) → factory from the policy entry to a scanner. */
export const SCANNERS: Record<ScannerType, ScannerFactory> = {
  promptInjection: createPromptInjection,
  jailbreak: createJailbreak,
  pii: createPii,
  secrets: createSecrets,
  invisibleText: createInvisibleText,
  encoding: createEncoding,
  bannedSubstrings: createBannedSubstrings,
  regex: createRegex,
  topics: createTopics,
  tokenLimit: createTokenLimit,
  language: createLanguage,
  canary: createCanary,
  deanonymize: createDeanonymize,
  urls: createUrls,
  noRefusal: createNoRefusal,
  jsonSchema: createJsonSchema,
};

/** Scanner types that can use the ONNX classifier (params.classifier). */
export const CLASSIFIER_SCANNERS: readonly ScannerType[] = ['promptInjection', 'jailbreak', 'topics'];
