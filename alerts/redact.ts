// Alerts travel to mailboxes and chat: strip what must never leave the platform (credentials in
// URLs, tokens, e-mail addresses, long digit runs that may be phone or card numbers) and cap size.

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

export function redact(text: string, maxLength = 2_000): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  out = out.replace(EMAIL, (address) => (keepAddress(address) ? address : '<email>'));
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}
