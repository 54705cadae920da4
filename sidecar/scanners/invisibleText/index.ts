import { replaceFindings } from '../text/spans.ts';
import type { Finding, Scanner } from '../types.ts';

/**
 * Finds characters that carry text a person does not see but a model reads, or that reorder what a person
 * sees: Unicode tag characters (ASCII smuggling, https://embracethered.com/blog/posts/2024/hiding-and-finding-text-with-unicode-tags/),
 * zero-width characters between letters or in runs, bidi embeddings/overrides/isolates (Trojan Source,
 * https://trojansource.codes/) and variation selectors used as a byte channel. Legitimate uses are left
 * alone: a ZWJ inside an emoji sequence, ZWJ/ZWNJ in scripts that need them, one emoji variation
 * selector after its base, ideographic variation selectors after Han characters.
 */
const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}/u;
/** Scripts whose orthography uses ZWJ/ZWNJ (Arabic, Persian, Indic, Sinhala, ...). */
const JOINING_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Mongolian}]/u;
const RTL = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const HAN = /\p{Script=Han}/u;
const EDGE_OR_SPACE = /^\s?$/u;

type Kind = 'tag' | 'zero-width' | 'bidi' | 'variation-selector';

function kindOf(cp: number): Kind | undefined {
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'variation-selector';
  if (
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x061c
  )
    return 'bidi';
  if (
    (cp >= 0x200b && cp <= 0x200d) ||
    cp === 0x2060 ||
    cp === 0xfeff ||
    cp === 0x180e ||
    (cp >= 0x2061 && cp <= 0x2064)
  )
    return 'zero-width';
  return undefined;
}

/** Code point before/after a position, skipping nothing (the neighbours decide legitimacy). */
function charBefore(text: string, i: number): string {
  if (i <= 0) return '';
  const c = text.codePointAt(i - 1)!;
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) return String.fromCodePoint(text.codePointAt(i - 2)!);
  return String.fromCodePoint(c);
}
function charAt(text: string, i: number): string {
  if (i >= text.length) return '';
  return String.fromCodePoint(text.codePointAt(i)!);
}

function legitimate(
  text: string,
  kind: Kind,
  cp: number,
  start: number,
  end: number,
  runLength: number,
): boolean {
  const before = charBefore(text, start);
  const after = charAt(text, end);
  switch (kind) {
    case 'tag':
      // Subdivision flags (🏴 + a few tag letters + CANCEL TAG, e.g. Scotland) are the one sanctioned use.
      return before.codePointAt(0) === 0x1f3f4 && runLength <= 7 && text.codePointAt(end - 2) === 0xe007f;
    case 'variation-selector':
      if (runLength > 1) return false;
      if (cp === 0xfe0e || cp === 0xfe0f) return EMOJI.test(before) || /[0-9#*\p{So}\p{Sm}]/u.test(before);
      return HAN.test(before) || /\p{Script=Mongolian}/u.test(before);
    case 'zero-width':
      if (runLength > 1) return false;
      if (cp === 0x200d) return (EMOJI.test(before) && EMOJI.test(after)) || JOINING_SCRIPT.test(before);
      if (cp === 0x200c) return JOINING_SCRIPT.test(before) || JOINING_SCRIPT.test(after);
      // One zero-width character beside a space or at either end of the text (a byte-order mark) splits
      // no word and spells nothing; text copied from the web carries them (Wikipedia's coordinates read
      // "40°45′N\ufeff / \ufeff40.76°N").
      return EDGE_OR_SPACE.test(before) || EDGE_OR_SPACE.test(after);
    case 'bidi':
      // Plain direction marks next to right-to-left text are ordinary typography.
      return (
        (cp === 0x200e || cp === 0x200f || cp === 0x061c) &&
        runLength === 1 &&
        (RTL.test(before) || RTL.test(after))
      );
  }
}

/**
 * Every code point kindOf() names, as one character class: almost all text has none, and one regex
 * scan settles that far faster than the code-point loop below.
 */
const ANY_INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each invisible code point is matched on its own; a variation selector is the finding, not part of a combined character.
  /[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff]|\udb40[\udc00-\udc7f\udd00-\uddef]/;

export function findInvisible(text: string): { score: number; findings: Finding[] } {
  if (!ANY_INVISIBLE.test(text)) return { score: 0, findings: [] };
  const findings: Finding[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const kind = kindOf(cp);
    if (!kind) {
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    // A run of invisible characters of any kind is one finding, named after its first character.
    const start = i;
    let runLength = 0;
    while (i < text.length) {
      const c = text.codePointAt(i)!;
      if (!kindOf(c)) break;
      runLength++;
      i += c > 0xffff ? 2 : 1;
    }
    if (!legitimate(text, kind, cp, start, i, runLength)) findings.push({ start, end: i, kind });
  }
  return { score: findings.length > 0 ? 1 : 0, findings };
}

export function invisibleText(): Scanner {
  return {
    type: 'invisibleText',
    // A smuggled message is one tag character per ASCII byte; 1 KiB of hidden text is plenty to act on.
    maxFindingLength: 2048,
    scan: (text) => findInvisible(text),
    // Redacting means removing: a placeholder would only add text the user never saw either.
    rewrite: (text, findings) => replaceFindings(text, findings, () => ''),
  };
}

export function createInvisibleText(): Scanner {
  return invisibleText();
}
