/**
 * A CLI context for in-process runs of `runCli`: empty stdin, and stdout and
 * stderr collected into strings.
 */
import { PassThrough } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';

/** A CLI context whose streams are collected into strings. */
export function captureContext(env: NodeJS.ProcessEnv = {}): CliContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end('');
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdin, stdout, stderr, env, cwd: process.cwd(), out: () => out, err: () => err };
}
