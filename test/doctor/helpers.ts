/** Runs `tunppp doctor` in-process with captured streams. */
import { PassThrough, Readable } from 'node:stream';
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
