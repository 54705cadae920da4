import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { redactFindings } from '../text/spans.ts';
import type { Finding, Scanner } from '../types.ts';

/**
 * Links in a response that point outside an allow-list. A response link is how an injected prompt
 * exfiltrates data (a markdown image the client renders fetches the URL, with the data in its query) or
 * sends the user to a phishing page. Host names are compared after WHATWG URL parsing
 * (https://url.spec.whatwg.org/#host-parsing), which lower-cases, applies IDNA/punycode, and resolves
 * tricks such as `https://allowed.com@evil.com`, backslashes and percent-encoded hosts; a domain allows
 * itself and its subdomains, compared label-wise so `notexample.com` is not `example.com`.
 */

/** Markdown links and images first (the whole construct is one finding), then bare URLs. */
const MARKDOWN = /!?\[[^\]\n]{0,1000}\]\(\s*<?([^)\s>]{1,4096})>?(?:\s+"[^"\n]*")?\s*\)/g;
const REFERENCE = /^\s{0,3}\[[^\]\n]{1,200}\]:\s*<?(\S{1,4096}?)>?(?:\s|$)/gm;
const HTML_ATTR =
  /<[a-z][^>]{0,1000}?\b(?:href|src|action|formaction|poster)\s*=\s*["']?([^"'\s>]{1,4096})/gi;
const BARE =
  /\b(?:(?:https?|ftp|wss?):\/\/|www\.)[^\s<>"'`)\]]{1,4096}|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|ai|dev|app|co|me|xyz|info|biz|ru|cn|tk|top|site|online|ly|gl|sh)\/[^\s<>"'`)\]]*/gi;

export function hostOf(raw: string): string | undefined {
  let candidate = raw.trim().replace(/[.,;:!?]+$/, '');
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
  const covered: { start: number; end: number }[] = [];
  const inside = (s: number, e: number) => covered.some((c) => s >= c.start && e <= c.end);
  const consider = (start: number, end: number, raw: string, wholeStart: number, wholeEnd: number) => {
    if (inside(start, end)) return;
    const host = hostOf(raw);
    covered.push({ start: wholeStart, end: wholeEnd });
    if (host === undefined || domainAllowed(host, allowed)) return;
    findings.push({
      start: wholeStart,
      end: wholeEnd,
      kind: host.endsWith(':') ? 'url:scheme' : 'url:domain',
    });
  };
  for (const re of [MARKDOWN, REFERENCE, HTML_ATTR]) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      const raw = m[1]!;
      const at = m.index + m[0].indexOf(raw);
      consider(at, at + raw.length, raw, m.index, m.index + m[0].length);
    }
  }
  BARE.lastIndex = 0;
  for (const m of text.matchAll(BARE)) {
    const raw = m[0].replace(/[.,;:!?]+$/, '');
    consider(m.index, m.index + raw.length, raw, m.index, m.index + raw.length);
  }
  return findings.sort((a, b) => a.start - b.start);
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
