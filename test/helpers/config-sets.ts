/**
 * The real configuration sets of test/fixtures/configs/ (see its README),
 * copied to a temporary root with their absolute paths (`/etc/…`,
 * `/var/etc/…`) rewritten into it, so tunppp reads them as on the original
 * system. Shared by the corpus goldens and the tests of single sets.
 */
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES_DIR } from './fixtures.js';

/** test/fixtures/configs/. */
export const CONFIG_SETS_DIR = join(FIXTURES_DIR, 'configs');

/** Absolute paths of the original system, moved under the root. */
const ABSOLUTE = /(^|[\s="])(\/(?:var\/)?etc\/)/gm;

function relocate(dir: string, root: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) relocate(p, root);
    else {
      writeFileSync(p, readFileSync(p, 'utf8').replace(ABSOLUTE, (_m, pre: string, path: string) => `${pre}${root}${path}`));
      // Git keeps no file modes but the executable bit: give secret files the mode a site has (0600).
      chmodSync(p, /secrets/.test(name) ? 0o600 : 0o644);
    }
  }
}

/** A set installed under `root`: `path('/etc/pptpd.conf')` is where that file now is; `args` are its check.args so mapped. */
export interface InstalledSet {
  root: string;
  path: (original: string) => string;
  /** check.args as written (original paths). */
  originalArgs: string[];
  /** check.args with the paths moved under root. */
  args: string[];
}

/** Installs set `name` in a temporary root, runs `fn`, removes the root. */
export async function withConfigSet<T>(name: string, fn: (set: InstalledSet) => Promise<T>): Promise<T> {
  const tmp = mkdtempSync(join(tmpdir(), 'tunppp-corpus-'));
  try {
    const root = join(tmp, 'root');
    cpSync(join(CONFIG_SETS_DIR, name), root, { recursive: true, filter: (src) => !/(SOURCE\.md|check\.args|expected\.txt)$/.test(src) });
    relocate(root, root);
    const originalArgs = readFileSync(join(CONFIG_SETS_DIR, name, 'check.args'), 'utf8').split('\n').filter((l) => l !== '').flatMap((l) => l.split(' '));
    const path = (p: string): string => (p.startsWith('/') ? root + p : p);
    return await fn({ root, path, originalArgs, args: originalArgs.map(path) });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
