/**
 * Where the test fixtures live: real logs, real captures and test vectors,
 * all inside the checkout (test/fixtures/, each folder's SOURCES.md names
 * where every file comes from and its licence). A test that needs a fixture
 * reads it through these paths, and a missing file is a failure, never a skip.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** test/fixtures/ (absolute path, trailing slash). */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** Real log excerpts (`*.log`, each with a `.json` of its source and cause). */
export const LOGS_DIR = join(FIXTURES_DIR, 'logs/');
/** Real packet captures (pcap/pcapng). */
export const PCAPS_DIR = join(FIXTURES_DIR, 'pcaps/');
/** JSON test vectors (crypto, authentication, MPPE, RFC 1661 table). */
export const VECTORS_DIR = join(FIXTURES_DIR, 'vectors/');
/** LOGS_DIR and PCAPS_DIR as file: URLs, for `new URL(name, dir)`. */
export const LOGS_URL = pathToFileURL(LOGS_DIR);
export const PCAPS_URL = pathToFileURL(PCAPS_DIR);

/** The absolute path of a fixture file; throws, naming the path, when it is missing. */
export function fixturePath(dir: string, name: string): string {
  const p = join(dir, name);
  if (!existsSync(p)) throw new Error(`fixture missing: ${p} (test/fixtures/ is part of the repository; restore it with git checkout)`);
  return p;
}

/** The `*.log` names in LOGS_DIR, sorted; throws when the folder is missing. */
export function fixtureLogNames(): string[] {
  if (!existsSync(LOGS_DIR)) throw new Error(`fixture folder missing: ${LOGS_DIR}`);
  return readdirSync(LOGS_DIR)
    .filter((f) => f.endsWith('.log'))
    .sort();
}
