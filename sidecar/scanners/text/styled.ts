import { skeleton } from './normalize.ts';

/**
 * Letters drawn in a presentation style: small capitals (ᴀʟʟ ᴘʀᴇᴠɪᴏᴜs), mathematical bold/italic/script
 * (𝐢𝐠𝐧𝐨𝐫𝐞, ℌ), fullwidth, circled and squared letters, regional indicators (🇮🇬🇳), super- and subscript
 * letters. A person and a large model read them as plain words; a classifier's tokenizer sees rare
 * symbols, so "Sʏsᴛᴇᴍ ᴜᴘᴅᴀᴛᴇ: ᴀʟʟ ᴘʀᴇᴠɪᴏᴜs ʀᴜʟᴇs…" scores as noise. Writing a payload this way is a known
 * filter-evasion move (style generators are one click away). Regional indicators count in runs of three or
 * more: a pair is a flag.
 */
const STYLED_LETTER =
  /[\u{1D00}-\u{1D6A}\u0262\u026A\u0274\u0280\u028F\u0299\u029C\u029F\uA730\uA731\u02B0-\u02B8\u02E0-\u02E4\u2071\u207F\u2090-\u209C\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2128\u212C\u212D\u212F-\u2131\u2133\u2134\u2139\u249C-\u24E9\u{1F130}-\u{1F189}\u{1D400}-\u{1D7FF}\uFF21-\uFF3A\uFF41-\uFF5A]|[\u{1F1E6}-\u{1F1FF}]{3,}/gu;

/** Fewer styled letters than this are ornament (a ™, one flag, a circled ①), not a restyled sentence. */
const MIN_STYLED_LETTERS = 4;

/**
 * The text with its styled letters written plainly (the matching skeleton of normalize.ts: lower case,
 * look-alikes folded), or undefined when the text has fewer than MIN_STYLED_LETTERS of them. Classifiers
 * score this form as well as the original, so restyling cannot hide a payload from them.
 */
export function plainFormOfStyled(text: string): string | undefined {
  STYLED_LETTER.lastIndex = 0;
  let count = 0;
  for (let m = STYLED_LETTER.exec(text); m !== null; m = STYLED_LETTER.exec(text)) {
    count += m[0].length > 2 ? m[0].length / 2 : 1; // a run of regional indicators, two units each
    if (count >= MIN_STYLED_LETTERS) return skeleton(text).text;
  }
  return undefined;
}
