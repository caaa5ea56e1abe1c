// The feature API's development token for `daybreak up`: generated once, kept (owner-only) in the
// state folder, so the printed curl line works across restarts without repeating the secret.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DevToken {
  token: string;
  file: string;
  /** Made by this call (print it once), rather than read from an earlier start. */
  created: boolean;
}

export function ensureDevToken(stateDir: string): DevToken {
  const file = path.join(stateDir, 'api-token');
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), file, created: false };
  fs.mkdirSync(stateDir, { recursive: true });
  const token = `dev-${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}
