// What must never leave the platform in alerts (mailboxes, chat) or in the per-attempt logs kept
// under the data root: credentials in URLs, tokens, e-mail addresses, IP addresses, long digit
// runs that may be phone or card numbers. One rule set for every text that leaves a worker.

const RULES: [RegExp, string][] = [
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(:[^\s/@]*)?@/gi, '$1<redacted>@'],
  [/\b(bearer|token|api[_-]?key|password|passwd|secret)(\s*[=:]\s*|\s+)[^\s,;'"]+/gi, '$1$2<redacted>'],
  [/https:\/\/hooks\.slack\.com\/[^\s;,'")]+/gi, 'https://hooks.slack.com/<redacted>'],
  [/\b\d{12,19}\b|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b/g, '<number>'],
];

// Service accounts and worker identities are not personal and on-call needs them.
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
const keepAddress = (address: string) =>
  address.endsWith('.gserviceaccount.com') || address.startsWith('daybreak-worker@');

// A visitor's IP is personal data (identity-join's DS2 carries one per row). The loopback and the
// unspecified address are the platform's own ("connect ECONNREFUSED 127.0.0.1:6379"): kept.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w.]*\\d)`, 'g');
// Full eight-group form, or a compressed one with at least one group on each side of `::`
// (so `x::INT` casts and clock times such as 05:15:48 stay).
const IPV6 =
  /(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})(?![\w:])/gi;
const keepIp = (ip: string) => ip.startsWith('127.') || ip === '0.0.0.0';

export function redact(text: string, maxLength = 2_000): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  out = out.replace(EMAIL, (address) => (keepAddress(address) ? address : '<email>'));
  out = out.replace(IPV4, (ip) => (keepIp(ip) ? ip : '<ip>')).replace(IPV6, '<ip>');
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}
