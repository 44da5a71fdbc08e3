import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
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

test('cli: help serve prints what serve --help prints', async () => {
  const a = captureContext();
  const b = captureContext();
  assert.equal(await runCli(['help', 'serve'], a), 0);
  assert.equal(await runCli(['serve', '--help'], b), 0);
  assert.equal(a.out(), b.out());
  const c = captureContext();
  assert.equal(await runCli(['help', 'frobnicate'], c), 2);
  assert.match(c.err(), /unknown command 'frobnicate'/);
});

test('cli: serve --check with the embedded default creates no chap-secrets and prints only JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-check-'));
  try {
    const secrets = join(dir, 'chap-secrets');
    const ctx = captureContext();
    assert.equal(await runCli(['serve', '--check', '--chap-secrets', secrets], ctx), 0);
    assert.equal(existsSync(secrets), false, 'chap-secrets created');
    const parsed = JSON.parse(ctx.out()) as { config: { auth: { chapSecrets: string } } };
    assert.equal(parsed.config.auth.chapSecrets, secrets);
    assert.doesNotMatch(ctx.out(), /password/);
    assert.match(ctx.err(), /does not exist: serve creates it/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: stdout closed by the reader (| head -1) → exit 0, no EPIPE stack trace', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), 'check'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // The reader goes away before the first write, as `head -1` does after its line.
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  clearTimeout(timer);
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /EPIPE|\n[ \t]+at /);
});
