/**
 * The API token: 32 random bytes as hex in a file of mode 0600, created on
 * the server's first start and read by `tunppp sessions`/`kick` and anyone
 * allowed to read the file (Prometheus: `authorization.credentials_file`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** Default token file: state, not configuration (systemd StateDirectory=tunppp); persists across reboots. */
export const DEFAULT_TOKEN_FILE = '/var/lib/tunppp/api-token';

const TOKEN_RE = /^[0-9a-f]{32,128}$/;

/**
 * Reads the token at `path`, creating it (0600, parent 0700 when created)
 * when missing. Tightens a group/world-readable file to 0600.
 */
export async function ensureToken(path: string): Promise<{ token: string; created: boolean }> {
  try {
    const existing = await readToken(path);
    const s = await stat(path);
    if ((s.mode & 0o077) !== 0) await chmod(path, 0o600);
    return { token: existing, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { token: await readToken(path), created: false };
    throw new ConfigError('CONFIG_READ', `cannot create the API token file: ${(err as Error).message}`, { file: path }, 'give a writable path with --api-token-file');
  }
  try {
    await fh.writeFile(`${token}\n`);
  } finally {
    await fh.close();
  }
  return { token, created: true };
}

/** Reads a token file; throws ConfigError for bad contents, the fs error (code ENOENT…) otherwise. */
export async function readToken(path: string): Promise<string> {
  const text = (await readFile(path, 'utf8')).trim();
  if (!TOKEN_RE.test(text)) throw new ConfigError('CONFIG_VALUE', 'the API token file does not hold a token (32-128 hex digits)', { file: path }, `delete it; the server creates a new one on its next start`);
  return text;
}

/** Constant-time token comparison. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
