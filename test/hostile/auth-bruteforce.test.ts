/**
 * Authentication brute force against real server links (PppLink with the
 * chap-secrets backend, over an in-memory transport): after limits.authFailures
 * failures the user, or the source address, is locked out; during the lockout
 * even the right password fails without reaching the backend; the lockout ends
 * after lockoutS; everything shows in the metrics.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { PppSession, type SessionOutput } from '../../src/ppp/session.js';
import { PppLink, serverSessionOptions, type LinkTransport } from '../../src/server/link.js';
import { guardOf } from '../../src/server/guard.js';
import { createServerMetrics } from '../../src/metrics/metrics.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { testContext, type SkewClock } from '../l2tp/lns-harness.js';

const contexts: ReturnType<typeof testContext>[] = [];
after(() => {
  for (const c of contexts) c.scheduler.stop();
});

function server(authFailures: NonNullable<NonNullable<ConfigInput['limits']>['authFailures']>) {
  const ctx = testContext(
    { pools: [{ name: 't', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.200'] }], listen: { pptp: { enabled: false }, l2tp: { enabled: false } }, limits: { authFailures } },
    { users: [['alice', 'right'], ['bob', 'right']] },
  );
  contexts.push(ctx);
  let backendCalls = 0;
  const inner = ctx.backend;
  ctx.backend = { verify: (r) => (backendCalls++, inner.verify(r)) };
  return { ctx, backendCalls: () => backendCalls };
}

/** One login attempt (MS-CHAPv2 with its retries) from `peer`; resolves with the link's end state. */
function attempt(ctx: ReturnType<typeof testContext>, user: string, password: string, peer: string): { up: boolean; failures: number } {
  const now = (): number => ctx.clock.now();
  const toClient: Uint8Array[] = [];
  const transport: LinkTransport = {
    proto: 'l2tp',
    peerAddress: peer,
    sendFrame: (f) => void toClient.push(f.slice()),
    close: () => {},
    tunnelOptions: () => ({ proto: 'l2tp' }),
  };
  const link = new PppLink(ctx, transport, serverSessionOptions(ctx, 'l2tp'));
  const client = new PppSession({ role: 'client', auth: { username: user, password }, echoIntervalMs: 0 }, seededRng(peer.length + password.length));
  let failures = 0;
  const toServer: Uint8Array[] = [];
  const take = (outs: SessionOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'send') toServer.push(o.bytes.slice());
      else if (o.kind === 'event' && o.event.type === 'auth-failed') failures++;
    }
  };
  link.start(now());
  take(client.start(now()));
  for (let i = 0; i < 400 && (toClient.length || toServer.length); i++) {
    const a = toServer.shift();
    if (a) link.fromTransport(a, now());
    const b = toClient.shift();
    if (b) take(client.receiveFrame(b, now()));
  }
  const up = link.state === 'up';
  link.lowerDown('test done', now());
  return { up, failures };
}

test('per-user: 3 wrong passwords (one MS-CHAPv2 link with its retries) → alice locked out: the right password fails unchecked; bob is unaffected; after lockoutS she gets in', () => {
  const { ctx, backendCalls } = server({ perUser: 3, perSource: 100, windowS: 60, lockoutS: 30 });
  const first = attempt(ctx, 'alice', 'wrong', '203.0.113.5');
  assert.equal(first.up, false);
  assert.equal(ctx.stats.authLockoutsUser, 1);
  const calls = backendCalls();
  assert.equal(calls, 3, 'MS-CHAPv2 retried twice after the first failure');
  const locked = attempt(ctx, 'alice', 'right', '198.51.100.9');
  assert.equal(locked.up, false, 'locked out from another address too');
  assert.equal(backendCalls(), calls, 'the backend was not asked');
  assert.ok(ctx.stats.authRefusedLocked >= 1);
  assert.equal(attempt(ctx, 'bob', 'right', '203.0.113.5').up, true, 'another user from the same address gets in');
  (ctx.clock as SkewClock).skewMs += 31_000;
  assert.equal(attempt(ctx, 'alice', 'right', '203.0.113.5').up, true, 'after the cooling period');
});

test('per-source: failures across user names from one address → the address is locked out, others are not', () => {
  const { ctx } = server({ perUser: 100, perSource: 4, windowS: 60, lockoutS: 60 });
  attempt(ctx, 'alice', 'x', '203.0.113.66'); // 3 failures
  attempt(ctx, 'mallory', 'x', '203.0.113.66'); // the 4th locks the address
  assert.equal(ctx.stats.authLockoutsSource, 1);
  assert.deepEqual(guardOf(ctx).lockedOut(ctx.clock.now()).sources, ['203.0.113.66']);
  assert.equal(attempt(ctx, 'bob', 'right', '203.0.113.66').up, false);
  assert.equal(attempt(ctx, 'bob', 'right', '203.0.113.67').up, true);
});

test('metrics: lockouts and logins refused while locked out are exported', async () => {
  const { ctx } = server({ perUser: 1, perSource: 100, windowS: 60, lockoutS: 60 });
  attempt(ctx, 'alice', 'x', '203.0.113.5');
  attempt(ctx, 'alice', 'right', '203.0.113.5');
  const m = createServerMetrics({ stats: ctx.stats, links: () => [], gre: () => undefined, tun: () => undefined }, { processMetrics: false });
  const text = (await m.scrape()).body;
  assert.match(text, /tunppp_auth_lockouts_total 1/);
  assert.match(text, /tunppp_refusals_total\{reason="auth-locked-out"\} [1-9]/);
});
