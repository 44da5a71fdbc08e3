/** Runs `tunppp doctor` in-process with captured streams; golden-file checks. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { fixtureLogNames, LOGS_DIR } from '../helpers/fixtures.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `argv`; `stdin` text or bytes feed `-`. */
export async function runDoctor(argv: string[], stdin: string | Buffer = ''): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const ctx: CliContext = { stdin: Readable.from([Buffer.from(stdin)]), stdout: out, stderr: err, env: {}, cwd: process.cwd() };
  const code = await runCli(['doctor', ...argv], ctx);
  return { code, stdout, stderr };
}

/** The real logs (test/fixtures/logs). */
export const SHARED_LOGS = LOGS_DIR;

/** The `*.log` names in SHARED_LOGS, sorted; throws when the folder is missing. */
export function sharedLogNames(): string[] {
  return fixtureLogNames();
}

/**
 * Asserts that `actual` equals the golden file `dir/name` (`what` names it in
 * the failure message); with UPDATE_GOLDEN=1 in the environment it writes the
 * file instead.
 */
export function checkGolden(dir: string, name: string, actual: string, what: string): void {
  const path = join(dir, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `missing fixture ${path} (UPDATE_GOLDEN=1 writes it)`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from the ${what}`);
}
