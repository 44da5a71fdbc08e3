/** Runs `tunppp doctor` in-process with captured streams; golden-file checks. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';

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

/** The shared seed logs (/work/shared/testdata/logs). */
export const SHARED_LOGS = fileURLToPath(new URL('../../../shared/testdata/logs/', import.meta.url));

/** The `*.log` names in SHARED_LOGS, sorted; none when the directory is missing. */
export function sharedLogNames(): string[] {
  return existsSync(SHARED_LOGS) ? readdirSync(SHARED_LOGS).filter((f) => f.endsWith('.log')).sort() : [];
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
