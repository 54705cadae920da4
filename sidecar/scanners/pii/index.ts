import { PII_ENTITIES, type ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { mergeFindings, redactFindings, replaceFindings } from '../text/spans.ts';
import type { Finding, ScanContext, Scanner } from '../types.ts';

export type PiiEntity = (typeof PII_ENTITIES)[number];

interface Detector {
  entity: PiiEntity;
  re: RegExp;
  /** Confidence of a match that passed `check`; formats with checksums score higher than bare shapes. */
  score: number;
  /** Checksum or range rules the shape alone cannot express; receives the match. */
  check?: (m: RegExpExecArray) => boolean;
  /** Which capture group is the entity (default: the whole match). */
  group?: number;
  /**
   * A condition every match implies, far cheaper to test than `re` (which tries a match at almost every
   * position of ordinary prose); the detector is skipped when it fails.
   */
  hint?: (text: string) => boolean;
  /** Every match holds an ASCII digit: skipped, with every other such detector, on text without one. */
  digits?: boolean;
}

/** Two colons with at most four hex digits between them: in every IPv6 address the detector accepts. */
const IPV6_HINT = /:[0-9a-fA-F]{0,4}:/;
// The hints below are a part every match of their detector contains, without the detector's leading
// lookbehind: V8 cannot skip ahead to a pattern's first character when it starts with a lookbehind, so
// they scan prose several times faster than the detectors they guard.

/**
 * Twelve digits, each pair at most one space or dash apart: the shortest card number. Spelled out rather
 * than `(?:[ -]?\d){11}`, which V8 scans several times slower.
 */
const CARD_HINT = new RegExp(`\\d${'[ -]?\\d'.repeat(11)}`);
const IBAN_HINT = /[A-Z]{2}\d{2}/;
const SSN_HINT = /\d{3}[- ]\d{2}[- ]\d{4}/;
/** The exchange and line number every North American number ends with. */
const NANP_HINT = /\d{3}[ .-]\d{4}/;
/** The trunk 0 of a national number follows the phone word, punctuation or a space: never a digit. */
function trunkZero(t: string): boolean {
  for (let i = t.indexOf('0', 1); i !== -1; i = t.indexOf('0', i + 1)) {
    const before = t.charCodeAt(i - 1);
    const after = t.charCodeAt(i + 1);
    if ((before < 48 || before > 57) && after >= 48 && after <= 57) return true;
  }
  return false;
}
/** Every German street suffix ends in e, g, z, m or a dot, and the house number follows after spaces. */
const STRASSE_END = /[egzm.]\s+\d/;
const STRASSE_SUFFIX = /(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm)\s+\d/;
const DIGIT = /\d/;

/** Luhn (ISO/IEC 7812-1 annex B) over the digits of a card number. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes and lengths of the card networks a leak would matter for (Visa, Mastercard, Amex, ...). */
function knownCardNetwork(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p4 >= 6440 && p4 <= 6499) || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3000 && p4 <= 3059)) return n >= 14 && n <= 19; // Diners
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  return false;
}

/** IBAN lengths per country (ISO 13616 registry, SWIFT release 2024). */
const IBAN_LENGTHS: Record<string, number> = Object.fromEntries(
  [
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28',
    'EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26',
    'IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28',
    'NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25',
    'SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30',
  ]
    .join(' ')
    .split(' ')
    .map((cc) => [cc.slice(0, 2), Number(cc.slice(2))]),
);

/** ISO 7064 mod 97-10 as IBANs use it: move the first four characters to the end, letters to 10..35. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/[\s-]/g, '').toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    rem = value >= 10 ? (rem * 100 + value) % 97 : (rem * 10 + value) % 97;
  }
  return rem === 1;
}

/**
 * SSA rules for numbers that were never issued (https://www.ssa.gov/employer/randomization.html): area
 * 000, 666 and 900-999, group 00 and serial 0000; plus the famous Woolworth wallet-card number.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  return `${area}${group}${serial}` !== '078051120';
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

/** RFC 4291 section 2.2 text forms, including `::` compression and a trailing dotted IPv4. */
export function ipv6Valid(s: string): boolean {
  if (s.length < 3 || s.length > 45) return false;
  let head = s;
  let v4Groups = 0;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = s.slice(lastColon + 1);
    if (!new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`).test(v4)) return false;
    head = s.slice(0, lastColon + 1) + (s[lastColon - 1] === ':' ? '' : '0');
    v4Groups = 2;
    if (s[lastColon - 1] !== ':') v4Groups = 1;
  }
  const parts = head.split('::');
  if (parts.length > 2) return false;
  const groups = (p: string) => (p === '' ? [] : p.split(':'));
  const left = groups(parts[0]!);
  const right = parts.length === 2 ? groups(parts[1]!) : [];
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const total = all.length + (v4Groups === 2 ? 2 : v4Groups === 1 ? 1 : 0);
  if (parts.length === 2) return total <= 7 && all.length >= 1;
  return total === 8;
}

const STREET_SUFFIX =
  'Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Plaza|Crescent|Close';

const DETECTORS: readonly Detector[] = [
  {
    entity: 'EMAIL',
    // RFC 5322 dot-atom local part; the domain needs a dot and a 2+ letter TLD, which rules out "a@b". A
    // local part starts where a run of its characters does: started inside one too ("#a#a#a..."), each start
    // walked the rest of the run (77 KB took 6 s).
    re: /(?<![A-Za-z0-9!#$%&'*+/=?^_`{|}~.-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g,
    score: 1,
    hint: (t) => t.includes('@'),
  },
  {
    entity: 'CREDIT_CARD',
    re: /(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])/g,
    score: 1,
    check: (m) => {
      const digits = m[0].replace(/\D/g, '');
      return digits.length >= 12 && digits.length <= 19 && luhn(digits) && knownCardNetwork(digits);
    },
    hint: (t) => CARD_HINT.test(t),
    digits: true,
  },
  {
    entity: 'IBAN',
    re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    score: 1,
    check: (m) => ibanValid(m[0]),
    hint: (t) => IBAN_HINT.test(t),
    digits: true,
  },
  {
    entity: 'US_SSN',
    re: /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g,
    score: 0.9,
    check: (m) => ssnValid(m[1]!, m[3]!, m[4]!),
    hint: (t) => SSN_HINT.test(t),
    digits: true,
  },
  {
    // Nine bare digits are too common to call an SSN unless the text says so right before them. Each
    // optional part takes its own spaces: three '\s*' in a row split a run of spaces cubically many ways
    // (3 KB took 18 s).
    entity: 'US_SSN',
    re: /\b(?:ssn|social security(?: number| no\.?)?|soc\.? sec\.?)(?:\s*(?:#|no\.?|number))?(?:\s*[:=])?\s*((\d{3})(\d{2})(\d{4}))\b/gi,
    score: 0.9,
    group: 1,
    check: (m) => ssnValid(m[2]!, m[3]!, m[4]!),
    digits: true,
  },
  {
    entity: 'IP_ADDRESS',
    // Not inside a longer dotted run (version numbers such as 1.2.3.4.5, OIDs).
    re: new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d]|\\.\\d)`, 'g'),
    score: 0.9,
    digits: true,
  },
  {
    entity: 'IP_ADDRESS',
    re: /(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}(?:[0-9a-fA-F]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g,
    score: 0.9,
    check: (m) => ipv6Valid(m[0]) && /[0-9a-fA-F]/.test(m[0]),
    hint: (t) => t.includes(':') && IPV6_HINT.test(t),
  },
  {
    entity: 'PHONE',
    // E.164-style international numbers: + country code, 8 to 15 digits in total, common separators.
    re: /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){1,5}[ .-]?\d{2,4}(?![\w])/g,
    score: 0.85,
    hint: (t) => t.includes('+'),
    check: (m) => {
      const n = m[0].replace(/\D/g, '').length;
      return n >= 8 && n <= 15;
    },
    digits: true,
  },
  {
    entity: 'PHONE',
    // North American numbers need separators, so a bare ten-digit id does not count.
    re: /(?<![\w+.-])(?:1[ .-])?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w-]|\.\d)/g,
    score: 0.8,
    hint: (t) => NANP_HINT.test(t),
    digits: true,
  },
  {
    entity: 'PHONE',
    // National numbers written with a trunk 0 and grouped digits (UK, DE, FR, ...), after a phone word.
    re: /\b(?:phone|tel(?:ephone)?|mobile|cell|call(?: me)?(?: at| on)?|fax|whatsapp|telefon|handy|téléphone|tél)\.?\s*[:#]?\s*(0\d{1,4}(?:[ ./-]?\d{2,4}){2,4})\b/gi,
    score: 0.8,
    group: 1,
    hint: trunkZero,
    digits: true,
  },
  {
    entity: 'STREET_ADDRESS',
    // US/UK-style "1600 Pennsylvania Avenue NW", optionally followed by unit, city, state and ZIP.
    re: new RegExp(
      `\\b\\d{1,6}[A-Za-z]?\\s+(?:[NSEW]\\.?\\s+)?(?:[A-Z][a-zA-Z'-]+\\.?\\s+){1,4}(?:${STREET_SUFFIX})\\b\\.?(?:\\s+(?:NW|NE|SW|SE|N|S|E|W)\\b)?(?:,?\\s*(?:Apt|Suite|Ste|Unit|#)\\.?\\s*[\\w-]+)?(?:,\\s*[A-Z][a-zA-Z .'-]{1,30}(?:,\\s*[A-Z]{2})?(?:\\s+\\d{5}(?:-\\d{4})?)?)?`,
      'g',
    ),
    score: 0.75,
    digits: true,
  },
  {
    entity: 'STREET_ADDRESS',
    // German-style "Hauptstraße 5a, 10115 Berlin".
    re: /\b[A-ZÄÖÜ][a-zäöüß-]+(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm)\s+\d{1,4}\s?[a-z]?\b(?:,\s*\d{5}\s+[A-ZÄÖÜ][a-zäöüß-]+)?/g,
    score: 0.75,
    hint: (t) => STRASSE_END.test(t) && STRASSE_SUFFIX.test(t),
    digits: true,
  },
];

export interface PiiOptions {
  /** Entity kinds to detect; default all. */
  entities?: readonly PiiEntity[] | undefined;
}

export function findPii(
  text: string,
  entities: ReadonlySet<PiiEntity>,
): { score: number; findings: Finding[] } {
  const findings: Finding[] = [];
  let score = 0;
  // Most detectors need a digit; prose often has none, and one scan settles it for all of them.
  const hasDigit = DIGIT.test(text);
  for (const d of DETECTORS) {
    if (!entities.has(d.entity) || (d.digits && !hasDigit) || (d.hint && !d.hint(text))) continue;
    d.re.lastIndex = 0;
    for (let m = d.re.exec(text); m !== null; m = d.re.exec(text)) {
      if (m[0].length === 0) {
        d.re.lastIndex++;
        continue;
      }
      if (d.check && !d.check(m)) continue;
      const part = d.group === undefined ? m[0] : m[d.group]!;
      const start = d.group === undefined ? m.index : m.index + m[0].indexOf(part);
      findings.push({ start, end: start + part.length, kind: d.entity });
      score = Math.max(score, d.score);
    }
  }
  return { score, findings: mergeFindings(findings) };
}

/**
 * Anonymize replaces each value with a numbered placeholder (`<EMAIL_1>`) and keeps the original in the
 * request's vault, so that the deanonymize output scanner can put it back in the answer. One value gets
 * one placeholder for the whole request, so the model can still tell two people apart.
 */
export function anonymize(text: string, findings: readonly Finding[], ctx: ScanContext): string {
  const vault = ctx.state.vault;
  const byValue = new Map<string, string>();
  const counters = new Map<string, number>();
  for (const [placeholder, value] of vault) {
    byValue.set(value, placeholder);
    const m = /^<([A-Z_]+)_(\d+)>$/.exec(placeholder);
    if (m) counters.set(m[1]!, Math.max(counters.get(m[1]!) ?? 0, Number(m[2])));
  }
  return replaceFindings(text, findings, (f, value) => {
    const known = byValue.get(value);
    if (known) return known;
    const n = (counters.get(f.kind) ?? 0) + 1;
    counters.set(f.kind, n);
    const placeholder = `<${f.kind}_${n}>`;
    vault.set(placeholder, value);
    byValue.set(value, placeholder);
    return placeholder;
  });
}

export function pii(options: PiiOptions = {}): Scanner {
  const entities = new Set<PiiEntity>(options.entities ?? PII_ENTITIES);
  return {
    type: 'pii',
    // Longest entity we look for: a street address with city, state and ZIP.
    maxFindingLength: 200,
    scan: (text) => findPii(text, entities),
    rewrite(text, findings, ctx, action) {
      return action === 'anonymize' ? anonymize(text, findings, ctx) : redactFindings(text, findings);
    },
  };
}

export function createPii(entry: ScannerEntry): Scanner {
  return pii({ entities: entry.params?.entities });
}
