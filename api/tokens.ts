// Bearer tokens of the feature API: from DAYBREAK_API_TOKENS_FILE (one per line, # comments) or
// DAYBREAK_API_TOKENS (comma-separated). Compared in constant time: both sides are hashed to 32
// bytes and every configured token is compared, so timing says nothing about a near miss.
import { hash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { Config } from '../lib/config.js';

export class TokenConfigError extends Error {
  override name = 'TokenConfigError';
}

export function loadTokens(
  config: Pick<Config, 'DAYBREAK_API_TOKENS' | 'DAYBREAK_API_TOKENS_FILE'>,
): string[] {
  let tokens: string[];
  if (config.DAYBREAK_API_TOKENS_FILE) {
    let text: string;
    try {
      text = fs.readFileSync(config.DAYBREAK_API_TOKENS_FILE, 'utf8');
    } catch (err) {
      throw new TokenConfigError(
        `DAYBREAK_API_TOKENS_FILE ${config.DAYBREAK_API_TOKENS_FILE} cannot be read: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    tokens = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  } else {
    tokens = (config.DAYBREAK_API_TOKENS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  }
  if (tokens.length === 0)
    throw new TokenConfigError(
      'the feature API needs at least one token: set DAYBREAK_API_TOKENS or DAYBREAK_API_TOKENS_FILE',
    );
  const weak = tokens.filter((t) => t.length < 16).length;
  if (weak)
    throw new TokenConfigError(`${weak} API token(s) shorter than 16 characters; use long random tokens`);
  return tokens;
}

// One-shot hash: a Hash object per request carries a weak native handle that every young-generation
// GC must process; at ~30k requests/s that alone cost ~0.8 ms per scavenge (bench:feature-api).
const digest = (s: string) => hash('sha256', s, 'buffer');

/** A checker for `Authorization` header values. */
export function tokenChecker(tokens: string[]): (authorization: string | undefined) => boolean {
  const hashes = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer ([^\s]+)$/.exec(authorization ?? '');
    const candidate = digest(match ? match[1]! : '');
    let ok = false;
    for (const h of hashes) ok = timingSafeEqual(h, candidate) || ok;
    return ok && match !== null;
  };
}
