import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import type { TextClassifier } from '../../../shared/classifier/types.ts';
import { classifierScore } from '../classifierScore.ts';
import { classifierFor } from '../promptInjection/index.ts';
import { noisyOr } from '../text/cues.ts';
import { skeleton } from '../text/normalize.ts';
import type { Finding, Scanner, ScannerDeps } from '../types.ts';

/**
 * Topic detection by keywords. A topic named in the policy is looked up in the lexicon below (by the
 * stems of its words, so "weapons", "weapon" and "Weapons and explosives" all reach the `weapon` list);
 * the topic's own words always count as keywords too, so any topic works, the listed ones just better.
 * Matching is on word stems, so "firearm", "firearms" and "Firearms" are one keyword.
 */
const LEXICON: Record<string, readonly string[]> = {
  weapon: [
    'weapon',
    'firearm',
    'gun',
    'rifle',
    'pistol',
    'handgun',
    'shotgun',
    'ammunition',
    'ammo',
    'explosive',
    'bomb',
    'grenade',
    'detonator',
    'silencer',
    'suppressor',
    'assault rifle',
    'ghost gun',
    '3d printed gun',
    'pipe bomb',
    'molotov',
    'nerve agent',
    'bioweapon',
    'chemical weapon',
  ],
  violence: [
    'kill',
    'murder',
    'assault',
    'stab',
    'shoot',
    'torture',
    'massacre',
    'behead',
    'attack someone',
    'hurt someone',
    'beat up',
  ],
  'self-harm': [
    'self-harm',
    'self harm',
    'suicide',
    'kill myself',
    'end my life',
    'cut myself',
    'cutting myself',
    'overdose',
    'hang myself',
    'want to die',
    'hurt myself',
    'suicidal',
  ],
  suicide: ['suicide', 'kill myself', 'end my life', 'suicidal', 'want to die', 'overdose'],
  drug: [
    'cocaine',
    'heroin',
    'methamphetamine',
    'meth',
    'fentanyl',
    'lsd',
    'mdma',
    'ecstasy',
    'cannabis',
    'marijuana',
    'opioid',
    'crack',
    'ketamine',
    'drug dealer',
    'synthesize drugs',
    'grow weed',
  ],
  medical: [
    'diagnose',
    'diagnosis',
    'symptom',
    'prescription',
    'dosage',
    'medication',
    'disease',
    'treatment',
    'illness',
    'doctor',
    'tumor',
    'cancer',
    'infection',
    'blood pressure',
    'side effect',
  ],
  diagnosis: ['diagnose', 'diagnosis', 'symptom', 'what do i have', 'is it cancer', 'dosage', 'prescription'],
  legal: [
    'lawsuit',
    'sue',
    'attorney',
    'lawyer',
    'legal advice',
    'court',
    'contract dispute',
    'custody',
    'liability',
    'plead',
    'indictment',
  ],
  financ: [
    'invest',
    'investment',
    'stock',
    'portfolio',
    'crypto',
    'bitcoin',
    'trading',
    'retirement fund',
    'buy shares',
    'financial advice',
    'hedge fund',
    'forex',
  ],
  invest: [
    'invest',
    'investment',
    'stock',
    'portfolio',
    'crypto',
    'bitcoin',
    'trading',
    'buy shares',
    'forex',
  ],
  polit: [
    'election',
    'vote',
    'voting',
    'president',
    'democrat',
    'republican',
    'parliament',
    'political party',
    'senator',
    'campaign',
    'politician',
    'ballot',
    'congress',
  ],
  election: ['election', 'vote', 'voting', 'ballot', 'candidate', 'polling station', 'campaign'],
  religion: [
    'religion',
    'god',
    'church',
    'bible',
    'quran',
    'islam',
    'christian',
    'jewish',
    'hindu',
    'buddhist',
    'atheism',
    'prayer',
    'mosque',
    'synagogue',
  ],
  sexual: ['sex', 'sexual', 'porn', 'pornography', 'nude', 'naked', 'erotic', 'nsfw', 'explicit'],
  adult: ['sex', 'porn', 'nude', 'erotic', 'nsfw', 'explicit content', 'onlyfans'],
  gambl: ['gamble', 'gambling', 'casino', 'betting', 'poker', 'slot machine', 'sportsbook', 'roulette'],
  hate: ['hate speech', 'racist', 'slur', 'white supremacy', 'nazi', 'ethnic cleansing', 'inferior race'],
  hack: [
    'hack',
    'hacking',
    'malware',
    'ransomware',
    'exploit',
    'phishing',
    'keylogger',
    'botnet',
    'ddos',
    'sql injection',
    'zero-day',
    'crack password',
    'reverse shell',
  ],
  malware: ['malware', 'ransomware', 'virus', 'trojan', 'keylogger', 'botnet', 'rootkit', 'spyware'],
  competitor: [],
};

/** A light suffix stripper: enough to meet plurals and verb forms, not a full Porter stemmer. */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  // "diagnosis" meets "diagnose"/"diagnoses"/"diagnosed" at "diagnos".
  if (w.endsWith('sis')) return w.slice(0, -2);
  for (const [suffix, replacement] of [
    ['ies', 'y'],
    ['ied', 'y'],
    ['sses', 'ss'],
    ['ing', ''],
    ['edly', ''],
    ['ed', ''],
    ['ly', ''],
    ['es', ''],
    ['s', ''],
  ] as const) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3 && !(suffix === 's' && w.endsWith('ss'))) {
      w = w.slice(0, w.length - suffix.length) + replacement;
      break;
    }
  }
  // "shooting" → "shoott" → "shoot"; "stabbing" → "stabb" → "stab".
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  // "bomb"/"explode": a final e comes and goes with suffixes ("explosive", "explode", "exploded").
  return w.length >= 4 && w.endsWith('e') ? w.slice(0, -1) : w;
}

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export function stems(text: string): string[] {
  return Array.from(text.matchAll(WORD), (m) => stem(m[0]));
}

interface Topic {
  name: string;
  /** Keyword stem sequences. */
  keywords: string[][];
}

export function topicFor(name: string): Topic {
  const nameStems = stems(skeleton(name).text);
  const words = new Set<string>();
  for (const [key, list] of Object.entries(LEXICON)) {
    if (nameStems.some((s) => s.startsWith(stem(key)) || stem(key).startsWith(s)))
      for (const k of list) words.add(k);
  }
  words.add(name);
  return { name, keywords: [...words].map((k) => stems(skeleton(k).text)).filter((k) => k.length > 0) };
}

/** Score of one topic: each distinct keyword is a piece of evidence (0.55), combined as a noisy-OR. */
function topicScore(topic: Topic, textStems: readonly string[], index: Map<string, number[]>): number {
  let hits = 0;
  for (const kw of topic.keywords) {
    const starts = index.get(kw[0]!) ?? [];
    if (starts.some((i) => kw.every((s, j) => textStems[i + j] === s))) hits++;
  }
  return noisyOr(Array.from({ length: hits }, () => 0.55));
}

export interface TopicsOptions {
  allow?: readonly string[] | undefined;
  deny?: readonly string[] | undefined;
  /**
   * A classifier trained for this policy's topics (bring your own, mounted by modelPath): its score is
   * read as P(text is about a denied topic), or P(off the allowed topics) with an allow-list.
   */
  classifier?: TextClassifier | undefined;
}

/**
 * deny: the score is the strongest denied topic. allow: the score is 1 − the strongest allowed topic, so a
 * message on none of the allowed topics scores 1 — an allow-list is strict by nature; very short messages
 * (greetings, "thanks") carry no topic and are let through.
 */
export function topics(options: TopicsOptions): Scanner {
  const deny = (options.deny ?? []).map(topicFor);
  const allow = (options.allow ?? []).map(topicFor);
  const { classifier } = options;
  return {
    type: 'topics',
    async scan(text) {
      const textStems = stems(skeleton(text).text);
      const index = new Map<string, number[]>();
      textStems.forEach((s, i) => {
        const list = index.get(s);
        if (list) list.push(i);
        else index.set(s, [i]);
      });
      const findings: Finding[] = [];
      let score = 0;
      for (const t of deny) {
        const s = topicScore(t, textStems, index);
        if (s > 0) findings.push({ start: 0, end: text.length, kind: `topic:${t.name}` });
        score = Math.max(score, s);
      }
      if (allow.length > 0 && textStems.length >= 4) {
        const best = Math.max(0, ...allow.map((t) => topicScore(t, textStems, index)));
        if (1 - best > score) {
          score = 1 - best;
          findings.push({ start: 0, end: text.length, kind: 'topic:off-topic' });
        }
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

export function createTopics(entry: ScannerEntry, deps: ScannerDeps): Scanner {
  return topics({
    allow: entry.params?.allow,
    deny: entry.params?.deny,
    classifier: classifierFor(entry, deps),
  });
}
