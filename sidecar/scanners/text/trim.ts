/**
 * `text` without the run of `chars` at its end. A loop rather than `/[…]+$/`, which, when the text does not
 * end in the run, tries it from each of its characters: a 4 KB URL of dots then a letter cost 8 million
 * steps.
 */
export function withoutTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}
