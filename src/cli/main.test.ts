import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runCli, SUBCOMMANDS } from './main.js';
import type { CliContext } from './context.js';

/** A context whose streams are collected into strings. */
export function captureContext(stdinText = ''): CliContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(stdinText);
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdin, stdout, stderr, env: {}, cwd: process.cwd(), out: () => out, err: () => err };
}

test('cli: --help lists every subcommand and exits 0', async () => {
  const ctx = captureContext();
  assert.equal(await runCli(['--help'], ctx), 0);
  for (const c of SUBCOMMANDS) assert.match(ctx.out(), new RegExp(`\\b${c.name}\\b`));
});

test('cli: no arguments prints help and exits 2', async () => {
  const ctx = captureContext();
  assert.equal(await runCli([], ctx), 2);
  assert.match(ctx.out(), /Usage: tunppp/);
});

test('cli: an unknown command exits 2 and names the commands', async () => {
  const ctx = captureContext();
  assert.equal(await runCli(['frobnicate'], ctx), 2);
  assert.match(ctx.err(), /unknown command 'frobnicate'.*doctor/);
});

test('cli: every subcommand answers --help with exit 0', async () => {
  for (const c of SUBCOMMANDS) {
    const ctx = captureContext();
    assert.equal(await runCli([c.name, '--help'], ctx), 0, c.name);
    assert.match(ctx.out(), /Usage: tunppp/, c.name);
  }
});
