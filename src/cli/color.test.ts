import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { canRedraw, wantsColor } from './color.js';
import { runCli } from './main.js';
import type { CliContext } from './context.js';
import { fixturePath, LOGS_DIR } from '../../test/helpers/fixtures.js';

test('wantsColor: flag > FORCE_COLOR > NO_COLOR > TERM=dumb > TTY', () => {
  assert.equal(wantsColor(null, true, {}), true);
  assert.equal(wantsColor(null, false, {}), false);
  assert.equal(wantsColor(null, true, { TERM: 'dumb' }), false);
  assert.equal(wantsColor(null, true, { NO_COLOR: '1' }), false);
  assert.equal(wantsColor(null, false, { FORCE_COLOR: '1' }), true);
  assert.equal(wantsColor(null, false, { FORCE_COLOR: '' }), true, 'FORCE_COLOR set but empty still forces (as chalk/supports-color)');
  assert.equal(wantsColor(null, true, { FORCE_COLOR: '0' }), false);
  assert.equal(wantsColor(null, true, { FORCE_COLOR: 'false' }), false);
  assert.equal(wantsColor(null, true, { TERM: 'dumb', FORCE_COLOR: '1' }), true);
  assert.equal(wantsColor(false, true, { FORCE_COLOR: '1' }), false);
  assert.equal(wantsColor(true, false, { TERM: 'dumb' }), true);
  assert.equal(canRedraw(true, { TERM: 'dumb' }), false);
  assert.equal(canRedraw(true, { TERM: 'xterm' }), true);
});

const SEED = fixturePath(LOGS_DIR, 'seed-macos-pptp-mtu.log');

async function doctorOnTty(env: NodeJS.ProcessEnv, isTty: boolean): Promise<string> {
  const out = Object.assign(new PassThrough(), { isTTY: isTty, columns: 100 });
  const err = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  err.resume();
  const ctx: CliContext = { stdin: Readable.from([]), stdout: out, stderr: err, env, cwd: process.cwd() };
  await runCli(['doctor', SEED], ctx);
  return text;
}

test('doctor: TERM=dumb on a terminal → no escape sequences; FORCE_COLOR=1 into a pipe → colours', async () => {
  assert.match(await doctorOnTty({ TERM: 'xterm' }, true), /\x1b\[/);
  assert.doesNotMatch(await doctorOnTty({ TERM: 'dumb' }, true), /\x1b\[/);
  assert.match(await doctorOnTty({ FORCE_COLOR: '1' }, false), /\x1b\[1;31m/);
});
