import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { redactFindings } from '../text/spans.ts';
import { withoutTrailing } from '../text/trim.ts';
import type { Finding, Scanner } from '../types.ts';

/**
 * Links in a response that point outside an allow-list. A response link is how an injected prompt
 * exfiltrates data (a markdown image the client renders fetches the URL, with the data in its query) or
 * sends the user to a phishing page. Host names are compared after WHATWG URL parsing
 * (https://url.spec.whatwg.org/#host-parsing), which lower-cases, applies IDNA/punycode, and resolves
 * tricks such as `https://allowed.com@evil.com`, backslashes and percent-encoded hosts; a domain allows
 * itself and its subdomains, compared label-wise so `notexample.com` is not `example.com`.
 */

/**
 * Markdown links and images first (the whole construct is one finding), then bare URLs. What a match may
 * walk over is bounded so that no start walks far:
 * - link text stops at a bracket and a tag at '<' (a walk of 1,000 characters from every '[' of "[[[[" or
 *   '<' of "<a<a<a" made 64 KB of them take 0.4 s);
 * - a link's URL takes '(' only in a balanced pair ("wiki/Foo_(bar)", "javascript:alert(1)") and '[' only
 *   around an IPv6 host ("http://[::1]/"): every link starts with both, and taking them freely the URL
 *   walked on through the links after it (from every '[' of "[a]([a](", 0.7 s per 64 KB);
 * - a bare host without a scheme is at most eight labels before its top-level domain (an unbounded run of
 *   labels was walked again from each of them: 64 KB of ".a" took 8.6 s). A longer host is found by its
 *   last nine labels, which decide whether it is allowed unless an allowed domain has more.
 */
const MARKDOWN =
  /!?\[[^[\]\n]{0,1000}\]\(\s*<?((?:[^()\s>[]|\([^()\s>[]{0,200}\)|(?<=:\/\/)\[[0-9a-fA-F:.]{2,45}\]){1,4096})>?(?:\s+"[^"\n]*")?\s*\)/g;
const REFERENCE = /^\s{0,3}\[[^\]\n]{1,200}\]:\s*<?(\S{1,4096}?)>?(?:\s|$)/gm;
const HTML_ATTR =
  /<[a-z][^<>]{0,1000}?\b(?:href|src|action|formaction|poster)\s*=\s*["']?([^"'\s>]{1,4096})/gi;
const BARE =
  /\b(?:(?:https?|ftp|wss?):\/\/|www\.)[^\s<>"'`)\]]{1,4096}|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}(?:com|net|org|io|ai|dev|app|co|me|xyz|info|biz|ru|cn|tk|top|site|online|ly|gl|sh)\/[^\s<>"'`)\]]*/gi;

export function hostOf(raw: string): string | undefined {
  let candidate = withoutTrailing(raw.trim(), '.,;:!?');
  // Relative links stay on whatever site rendered the response.
  if (/^(?:\/(?!\/)|#|\?|\.\.?\/)/.test(candidate)) return undefined;
  if (/^\/\//.test(candidate)) candidate = `https:${candidate}`;
  else if (!/^[a-z][a-z0-9+.-]*:/i.test(candidate)) candidate = `https://${candidate}`;
  try {
    const url = new URL(candidate);
    if (url.protocol === 'mailto:' || url.protocol === 'tel:') return undefined;
    // javascript:, data: and friends have no host and are never allowed in a response.
    return url.hostname === '' ? `${url.protocol}` : url.hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

export function normalizeDomain(domain: string): string {
  const d = domain.trim().replace(/^\*\./, '').replace(/\.$/, '');
  try {
    return new URL(`https://${d}`).hostname;
  } catch {
    return d.toLowerCase();
  }
}

export function domainAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((d) => host === d || host.endsWith(`.${d}`));
}

export interface UrlsOptions {
  allowedDomains: readonly string[];
}

export function findDisallowedUrls(text: string, allowed: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  const covered: Span[] = [];
  for (const re of [MARKDOWN, REFERENCE, HTML_ATTR, BARE]) {
    re.lastIndex = 0;
    // A URL inside a construct an earlier pattern found was judged with it.
    const inside = insideOf(covered);
    for (const m of text.matchAll(re)) {
      const bare = re === BARE;
      const raw = bare ? withoutTrailing(m[0], '.,;:!?') : m[1]!;
      const at = bare ? m.index : m.index + m[0].indexOf(raw);
      if (inside(at, at + raw.length)) continue;
      const whole = bare
        ? { start: at, end: at + raw.length }
        : { start: m.index, end: m.index + m[0].length };
      covered.push(whole);
      const host = hostOf(raw);
      if (host === undefined || domainAllowed(host, allowed)) continue;
      findings.push({ ...whole, kind: host.endsWith(':') ? 'url:scheme' : 'url:domain' });
    }
  }
  return findings.sort((a, b) => a.start - b.start);
}

interface Span {
  start: number;
  end: number;
}

/**
 * Whether a span lies inside one of `spans`, asked with starts that never decrease (a pattern's matches in
 * order): the spans sorted by start, and the furthest end among those that start at or before it. Checking
 * every span per match made a response of 36,000 links take 1.5 s.
 */
function insideOf(spans: readonly Span[]): (start: number, end: number) => boolean {
  const byStart = [...spans].sort((a, b) => a.start - b.start);
  let next = 0;
  let reach = -1;
  return (start, end) => {
    for (; next < byStart.length && byStart[next]!.start <= start; next++)
      reach = Math.max(reach, byStart[next]!.end);
    return end <= reach;
  };
}

export function urls(options: UrlsOptions): Scanner {
  const allowed = options.allowedDomains.map(normalizeDomain);
  return {
    type: 'urls',
    // A markdown image with a long exfiltration query string; longer URLs are truncated by most clients.
    maxFindingLength: 4096 + 1024,
    scan(text) {
      const findings = findDisallowedUrls(text, allowed);
      return { score: findings.length > 0 ? 1 : 0, findings };
    },
    rewrite: (text, findings) => redactFindings(text, findings),
  };
}

export function createUrls(entry: ScannerEntry): Scanner {
  return urls({ allowedDomains: entry.params?.allowedDomains ?? [] });
}
