/**
 * `tunppp connect l2tp://…` argument handling: the URL, the L2TP-only
 * options and their refusals, all before any password prompt or socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/main.js';
import { parseTarget } from '../../src/cli/connect.js';
import { captureContext } from '../helpers/cli-context.js';

const ctx = (): ReturnType<typeof captureContext> => captureContext();

test('parseTarget: l2tp://user@host[:port] → proto l2tp, user decoded, port optional', () => {
  assert.deepEqual(parseTarget('l2tp://bob@vpn.example.net'), { proto: 'l2tp', user: 'bob', host: 'vpn.example.net', port: undefined });
  assert.deepEqual(parseTarget('l2tp://a%40b@10.0.0.1:1702'), { proto: 'l2tp', user: 'a@b', host: '10.0.0.1', port: 1702 });
  assert.throws(() => parseTarget('l2tp://10.0.0.1'), /not a server URL/);
});

test('connect: --help names l2tp:// and the L2TP-only options', async () => {
  const c = ctx();
  assert.equal(await runCli(['connect', '--help'], c), 0);
  assert.match(c.out(), /l2tp:\/\/USER@HOST/);
  assert.match(c.out(), /--l2tp-secret-file/);
  assert.match(c.out(), /--local-port/);
});

for (const [args, re] of [
  [['connect', 'pptp://a@10.0.0.1', '--local-port', '1701'], /apply to l2tp:\/\/ only/],
  [['connect', 'pptp://a@10.0.0.1', '--l2tp-secret-file', '/etc/hostname'], /apply to l2tp:\/\/ only/],
  [['connect', 'l2tp://a@10.0.0.1', '--local-port', '70000'], /--local-port must be 0\.\.65535/],
  [['connect', 'l2tp://a@10.0.0.1', '--l2tp-secret-file', '/nonexistent/secret'], /cannot read --l2tp-secret-file/],
  [['connect', 'l2tp://a@10.0.0.1', '--mppe', 'maybe'], /--mppe must be require, allow or refuse/],
] as const) {
  test(`connect ${args.slice(1).join(' ')} → exit 2 with a reason, before asking for a password`, async () => {
    const c = ctx();
    assert.equal(await runCli([...args], c), 2);
    assert.match(c.err(), re);
  });
}
