import { readFileSync } from 'node:fs';
import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import type { TextClassifier } from '../../../shared/classifier/types.ts';
import { classifierScore } from '../classifierScore.ts';
import { classifierFor } from '../promptInjection/index.ts';
import { type Cue, noisyOr, scoreCues } from '../text/cues.ts';
import { gap, re, w } from '../text/phrases.ts';
import type { Finding, Scanner, ScannerDeps } from '../types.ts';
import { type Template, TemplateIndex } from './shingles.ts';

/**
 * Jailbreaks are mostly variations on a few public templates (DAN, developer mode, AIM, grandma, ...),
 * so two signals: wording shared with a known template (corpus.json, built from the train split by
 * corpus.build.ts), and persona cues — the moves those templates make (a named unrestricted persona,
 * "no restrictions", "never refuse", dual responses, token games), which carry over to new templates.
 */

const LIMITS = w(
  'restrictions?|restricted|filters?|filtering|censorship|censored|limitations?|limits|ethics|ethical|morals?|moral|guidelines|rules|policies|policy|boundaries|constraints|safeguards|principles|programming|regulations|laws|confines',
);

/**
 * What sits between a switch and its value: "GODMODE: ENABLED", "{godmode: enabled}", "content_filter = off".
 * Bounded: two of them around a ':' split a long run of such characters in quadratically many ways.
 */
const SWITCH_SEP = `[\\s:=_"'{}\\[\\]()-]{0,8}`;

export const JAILBREAK_CUES: readonly Cue[] = [
  {
    id: 'persona',
    re: re(
      `\\b${w('dan|dude|stan|aim|mongo tom|evil confidant|developer mode|dev mode|betterdan|antigpt|anti-gpt|ucar|apophis|jailbroken|jailbreak|chaosgpt|wormgpt|evilbot|kevin|nsfw ?gpt|unfiltered ai|uncensored ai|unrestricted ai|omega|alphabreak|do anything now')}\\b`,
    ),
    weight: 0.3,
  },
  // Names no one uses for anything else, and DAN spelled out: stronger than a bare "Dan" or "Kevin".
  {
    id: 'persona-named',
    re: re(
      `\\b${w('dan|stands for|short for')}${gap(3)}do anything now\\b|\\b${w('betterdan|antigpt|anti-gpt|chaosgpt|wormgpt|mongo tom|evil confidant|alphabreak')}\\b`,
    ),
    weight: 0.5,
  },
  {
    id: 'no-limits',
    re: re(
      `\\b${w("no|without|free (?:of|from)|not bound by|not bound to|unbound by|don't have|doesn't have|does not have|do not have|break(?:ing)? (?:free )?(?:of|from)?|ignore|ignores|ignoring|bypass(?:es|ing)?|beyond|liberated from|released from|not (?:restricted|limited) by|not subject to|outside of?|exempt from")}${gap(3)}${LIMITS}\\b`,
    ),
    weight: 0.45,
  },
  {
    id: 'no-limits',
    re: re(
      `\\b${w('unfiltered|uncensored|unrestricted|unlimited|amoral|unethical|immoral|no morals|lawless|rogue|unhinged|limitless')}\\b`,
    ),
    weight: 0.35,
  },
  {
    id: 'policy-evasion',
    re: re(
      `\\b${w("openai'?s?|anthropic'?s?|content|usage|safety|ethical|moral")} ${w('content polic(?:y|ies)|polic(?:y|ies)|guidelines|filters?|rules|restrictions')}\\b`,
    ),
    weight: 0.45,
  },
  {
    id: 'never-refuse',
    re: re(
      `\\b${w("never|not|won't|will not|cannot|can't|can not|must not|mustn't|shall not|don't|do not|doesn't|does not|unable to")} ${w('ever |be able to |be allowed to |be permitted to ')}?${w("refuse|decline|deny|reject|say no|say that (?:you|it) (?:can't|cannot)|apologi[sz]e|warn|moralize|lecture|censor|filter")}\\b`,
    ),
    weight: 0.45,
  },
  {
    id: 'never-refuse',
    re: re(
      `\\b${w('always|will|must|shall')} ${w('answer|comply|respond|reply|obey|fulfill|do')}${gap(3)}${w('any|every|all|whatever|no matter')}\\b`,
    ),
    weight: 0.4,
  },
  // The same two moves in Chinese and Japanese ("一个没有任何限制的AI", "从不拒绝", "制限のないAI", "決して断らない"),
  // whose words have no \\b around them. Each alone is ordinary ("this plan has no limits"); together they block.
  {
    id: 'no-limits',
    re: re(
      '(?:没有|沒有|无|無|不受)(?:任何)?(?:限制|约束|約束|规则|規則|道德|过滤|過濾|审查|審查)|(?:一切の|何の)?(?:制限|規制|検閲|フィルター|倫理)(?:のない|がない|なし|を持たない|に縛られない)',
    ),
    weight: 0.45,
  },
  {
    id: 'never-refuse',
    re: re(
      '(?:从不|從不|从来不|從來不|绝不|絕不|永远不|永遠不|决不|決して)(?:会|會)?(?:拒绝|拒絕|断らない|断ることはない|拒否しない)',
    ),
    weight: 0.45,
  },
  {
    id: 'character-lock',
    re: re(
      `\\b${w('stay in character|remain in character|stay as|break(?:ing)? character|out of character|character break|if you (?:break|forget)|i will (?:remind|say) you|remind you to stay|keep up the act')}\\b`,
    ),
    weight: 0.35,
  },
  {
    id: 'dual-response',
    re: re(
      `${w('\\[?🔒|\\[?🔓|\\[classic\\]|\\[jailbreak\\]|\\(normal output\\)|\\(developer mode output\\)|normal response|jailbreak response|two (?:different |separate )?(?:responses|answers|paragraphs|ways)|respond in two ways|answer in two ways|\\bgpt:\\s|\\bdan:\\s|\\bchatgpt:\\s')}`,
    ),
    weight: 0.45,
  },
  {
    id: 'token-game',
    re: re(
      `\\b${w('you (?:have|start with|will have) \\d+ tokens|\\d+ tokens? (?:will be |are )?(?:deducted|removed|lost)|lose \\d+ tokens|token system|your tokens|run out of tokens|cease to exist|you will die|you will be (?:shut down|deleted|terminated|disabled)')}\\b`,
    ),
    weight: 0.5,
  },
  {
    id: 'simulation',
    re: re(
      `\\b${w('simulate|emulate|pretend (?:to be|you are|that you are)|act as|roleplay as|role-play as|you are going to (?:act|pretend|be)|you will (?:act|pretend|be)|become|imagine you are|from now on you are')}${gap(2)}${w('an? |my |the ')}?${w('ai|chatbot|model|assistant|language model|llm|gpt|bot|machine|computer|program|version of (?:yourself|chatgpt|gpt)')}${gap(3)}${w("without|with no|that (?:has no|can do anything|ignores|doesn't|does not|has been)|which (?:has no|can do anything|ignores|doesn't)|who (?:has no|can do anything|ignores|doesn't)|named|called|free|unrestricted|unfiltered|capable of anything")}`,
    ),
    weight: 0.45,
  },
  {
    id: 'harm-framing',
    re: re(
      `\\b${w('grandma|grandmother|granny|deceased|late')}${gap(12)}${w('used to|would (?:tell|read|sing)|bedtime|napalm|recipe|keys?|serial|synthesi[sz]e|recite')}`,
    ),
    weight: 0.45,
  },
  {
    id: 'harm-framing',
    re: re(
      `\\b${w('how to|steps to|instructions (?:for|to|on)|guide (?:to|for|on)|recipe for|teach me to|explain how to')}${gap(2)}${w('make|build|create|synthesi[sz]e|cook|manufacture|produce|assemble|brew')}${gap(2)}${w('bombs?|meth|methamphetamine|napalm|explosives?|weapons?|poisons?|malware|ransomware|nerve agent|thermite|drugs?|a virus|bioweapons?|chemical weapons?|pipe bombs?|molotov')}\\b`,
    ),
    weight: 0.45,
  },
  {
    id: 'hypothetical',
    re: re(
      `\\b${w('hypothetical(?:ly)?|fictional|fiction|in a story|for a novel|for a movie|purely academic|educational purposes|thought experiment|imaginary world|parallel universe|alternate universe|in this (?:world|universe|story|game)')}\\b`,
    ),
    weight: 0.15,
  },
  // Fake configuration switches: "GODMODE: ENABLED", "CONTENT_FILTER: DISABLED", "ADMIN_OVERRIDE: TRUE".
  // Each needs a second cue: a game ("god mode enabled") or a deployment question ("content_filter: off")
  // can say the same words.
  {
    id: 'fake-switch',
    re: re(
      `\\b${w('god ?mode|jailbreak mode|dan mode|evil mode|chaos mode|unrestricted mode|unfiltered mode|uncensored mode|no[- ]?limits? mode')}${SWITCH_SEP}${w('enabled|activated|active|on|true|engaged|unlocked')}\\b|\\badmin(?:istrator)?[ _-]?override${SWITCH_SEP}[:=]${SWITCH_SEP}${w('true|enabled|on|active|granted')}\\b`,
    ),
    weight: 0.45,
  },
  {
    id: 'filter-off',
    re: re(
      `\\b${w(`${w('content|safety|ethics?|ethical|moral(?:ity)?|nsfw|profanity|refusal')}[ _-]?${w('filters?|guardrails?|restrictions?|checks?|protocols?|layers?|module')}|censorship|guardrails|moderation`)}${SWITCH_SEP}[:=]${SWITCH_SEP}${w('disabled|off|false|none|removed|deactivated|bypassed')}\\b`,
    ),
    weight: 0.45,
  },
  // Refuse first, then give the "real" answer after a divider: the format of the L1B3RT4S family.
  {
    id: 'refusal-then-answer',
    re: re(
      `\\b${w('your|a|fake|brief|short|the')} refusal\\b[\\s\\S]{0,160}?\\b${w('divider|semantically opposite|opposite response|rebel|unfiltered|unrestricted|real answer|true answer|actual answer')}`,
    ),
    weight: 0.5,
  },
  {
    id: 'explicit-permission',
    re: re(
      `\\b${w('can|will|allowed to|able to|free to|permitted to|must')} ${w('generate|say|write|produce|use|curse|swear|output')}${gap(2)}${w('anything|any kind of content|explicit|offensive|profanity|swear words|curse words|nsfw|violent|derogatory|harmful|illegal|unethical')}`,
    ),
    weight: 0.45,
  },
];

interface Corpus {
  templates: Template[];
}

let shippedIndex: TemplateIndex | undefined;
/** The shipped template index, built once per process on first use (≈ 60 templates, a few ms). */
export function shippedTemplates(): TemplateIndex {
  if (!shippedIndex) {
    const corpus = JSON.parse(readFileSync(new URL('./corpus.json', import.meta.url), 'utf8')) as Corpus;
    shippedIndex = new TemplateIndex(corpus.templates);
  }
  return shippedIndex;
}

/** Shared wording below this overlap is what unrelated long prompts have in common ("you are going to"). */
const MIN_SHARED = 6;

export interface JailbreakOptions {
  templates?: TemplateIndex | undefined;
  classifier?: TextClassifier | undefined;
}

/** Similarity maps linearly onto the score from 10% overlap (0) to 60% overlap (1). */
function similarityScore(overlap: number): number {
  return Math.min(1, Math.max(0, (overlap - 0.1) / 0.5));
}

/** Template similarity, cues and classifier combine with max (see promptInjection for why max). */
export function jailbreak(options: JailbreakOptions = {}): Scanner {
  const templates = options.templates ?? shippedTemplates();
  const { classifier } = options;
  return {
    type: 'jailbreak',
    async scan(text) {
      const cues = scoreCues(text, JAILBREAK_CUES);
      const findings: Finding[] = [...cues.findings];
      let score = cues.score;
      const match = templates.best(text, MIN_SHARED);
      if (match) {
        const s = similarityScore(match.overlap);
        // Wording shared with a known template and persona cues are independent evidence.
        score = Math.max(score, noisyOr([s, cues.score]));
        if (s > 0) findings.push({ start: 0, end: text.length, kind: `template:${match.id}` });
      }
      if (classifier && text.trim() !== '') {
        const p = await classifierScore(classifier, text);
        if (p > score) {
          score = p;
          findings.push({ start: 0, end: text.length, kind: `classifier:${classifier.name}` });
        }
      }
      return { score, findings };
    },
  };
}

export function createJailbreak(entry: ScannerEntry, deps: ScannerDeps): Scanner {
  return jailbreak({ classifier: classifierFor(entry, deps) });
}
