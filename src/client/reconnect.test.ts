import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../core/rng.js';
import type { ClientInfo, RunningClient } from './common.js';
import {
  backoffDelayMs,
  isFatalReason,
  ReconnectLoop,
  shouldRetry,
  STABLE_LINK_MS,
  unitFromRng,
  type ReconnectOptions,
} from './reconnect.js';

const AUTH = 'authentication failed (mschap-v2): we failed to authenticate: rejected E=691 Authentication failed';
const REFUSED = 'cannot reach 10.0.0.1:1723: connect ECONNREFUSED 10.0.0.1:1723';

test('shouldRetry: after a connection, every drop but an auth/config failure → retry', () => {
  for (const r of [
    'control connection closed (peer-closed)',
    'call cleared by the server (control-down)',
    'call cleared by the server (peer-disconnect, result 3)',
    'tunnel closed (StopCCN from peer)',
    'LCP keepalive: no echo reply after 4 requests',
    'peer requested termination',
    'call refused by the server (no addresses)',
    REFUSED,
  ])
    assert.equal(shouldRetry(r, true), true, r);
  for (const r of [AUTH, 'MPPE is required but pap yields no MPPE keys (use MS-CHAP)', 'MPPE negotiation failed: rejected', 'client setup failed: cannot open TUN: EPERM'])
    assert.equal(shouldRetry(r, true), false, r);
});

test('shouldRetry: first attempt → retry only network-level failures', () => {
  assert.equal(shouldRetry(REFUSED, false), true);
  assert.equal(shouldRetry('cannot reach 10.0.0.1:1723: connect EHOSTUNREACH 10.0.0.1:1723', false), true);
  assert.equal(shouldRetry('no answer from 10.0.0.1:1701 within 60 s', false), true);
  assert.equal(shouldRetry('control connection closed (peer-closed)', false), true);
  assert.equal(shouldRetry('call refused by the server (no addresses)', false), false);
  assert.equal(shouldRetry(AUTH, false), false);
  assert.equal(shouldRetry('cannot bind UDP port 1701: EADDRINUSE', false), false);
});

test('backoffDelayMs: 1 s doubling to 30 s, jitter within ±20 %', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50, 5000].map((n) => backoffDelayMs(n, 0.5)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(backoffDelayMs(1, 0), 800);
  assert.equal(backoffDelayMs(6, 0), 24000);
  assert.equal(backoffDelayMs(6, 0.999999), 36000);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, u) => {
      const base = Math.min(30_000, 1000 * 2 ** Math.min(n - 1, 30));
      const d = backoffDelayMs(n, u);
      return d >= Math.floor(base * 0.8) && d <= Math.ceil(base * 1.2);
    }),
  );
});

test('unitFromRng: uniform-ish in [0, 1)', () => {
  const rng = seededRng(7);
  const xs = Array.from({ length: 2000 }, () => unitFromRng(rng));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, String(mean));
});

const INFO: ClientInfo = { localAddress: '192.168.1.10', peerAddress: '192.168.1.1', dns: [], mtu: 1400, tun: 'tun0', mppe: undefined };

/** A connected fake whose link ends when `drop` is called. */
function fakeClient(): { client: RunningClient; drop: (r: string) => void; stops: string[] } {
  let drop!: (r: string) => void;
  const closed = new Promise<string>((r) => (drop = r));
  const stops: string[] = [];
  const client: RunningClient = {
    info: INFO,
    link: undefined as never,
    closed,
    async stop(reason = 'user request') {
      stops.push(reason);
      drop(reason);
    },
  };
  return { client, drop, stops };
}

type Step = { fail: string } | { up: string } | { upThen: (c: ReturnType<typeof fakeClient>) => void };

function harness(steps: Step[], extra: Partial<ReconnectOptions> = {}) {
  const events: string[] = [];
  const delays: number[] = [];
  let clock = 0;
  let calls = 0;
  const loop: ReconnectLoop = new ReconnectLoop({
    reconnect: true,
    random: () => 0.5,
    now: () => clock,
    async connect() {
      const s = steps[calls++];
      if (!s) throw new Error('test: no more steps');
      if ('fail' in s) throw new Error(s.fail);
      const f = fakeClient();
      if ('up' in s) queueMicrotask(() => f.drop(s.up));
      else setImmediate(() => s.upThen(f));
      return f.client;
    },
    async sleep(ms) {
      delays.push(ms);
      clock += ms;
    },
    onConnected: (_i, attempt) => events.push(`connected #${attempt}`),
    onDisconnected: (r) => events.push(`down: ${r}`),
    onConnectFailed: (r) => events.push(`failed: ${r}`),
    onRetry: (n, ms, _r, max) => events.push(`retry ${n}${max !== undefined ? `/${max}` : ''} in ${ms}`),
    ...extra,
  });
  return { loop, events, delays, calls: () => calls, advance: (ms: number) => (clock += ms) };
}

test('loop: first attempt unreachable → backs off 1 s, 2 s → connects → drop → retries → auth failure → fatal, not retried', async () => {
  const h = harness([{ fail: REFUSED }, { fail: REFUSED }, { up: 'call cleared by the server (control-down)' }, { fail: AUTH }]);
  const out = await h.loop.run();
  assert.deepEqual(out, { kind: 'fatal', reason: AUTH });
  assert.deepEqual(h.delays, [1000, 2000, 4000]);
  assert.deepEqual(h.events, [
    `failed: ${REFUSED}`,
    'retry 1 in 1000',
    `failed: ${REFUSED}`,
    'retry 2 in 2000',
    'connected #3',
    'down: call cleared by the server (control-down)',
    // the connection reset the retry count, not the backoff: it was not up for STABLE_LINK_MS
    'retry 1 in 4000',
    `failed: ${AUTH}`,
  ]);
});

test('loop: a link that stayed up STABLE_LINK_MS → backoff starts again at 1 s', async () => {
  const h = harness([
    { fail: REFUSED },
    { fail: REFUSED },
    { upThen: (c) => (h.advance(STABLE_LINK_MS), c.drop('tunnel closed (StopCCN)')) },
    { fail: 'call refused by the server (busy)' },
    { fail: AUTH },
  ]);
  assert.equal((await h.loop.run()).kind, 'fatal');
  assert.deepEqual(h.delays, [1000, 2000, 1000, 2000]);
});

test('loop: --max-retries 2 and the server never answers → gives up after 2 retries (3 attempts)', async () => {
  const h = harness([{ fail: REFUSED }, { fail: REFUSED }, { fail: REFUSED }, { fail: REFUSED }], { maxRetries: 2 });
  assert.deepEqual(await h.loop.run(), { kind: 'gave-up', reason: REFUSED, retries: 2 });
  assert.equal(h.calls(), 3);
  assert.deepEqual(h.delays, [1000, 2000]);
});

test('loop: without --reconnect → the first failure or drop ends it', async () => {
  const a = harness([{ fail: REFUSED }], { reconnect: false });
  assert.deepEqual(await a.loop.run(), { kind: 'failed', reason: REFUSED });
  const b = harness([{ up: 'control connection closed (peer-closed)' }], { reconnect: false });
  assert.deepEqual(await b.loop.run(), { kind: 'failed', reason: 'control connection closed (peer-closed)' });
  assert.deepEqual(b.delays, []);
});

test('loop: first attempt refused for a non-network reason → not retried', async () => {
  const h = harness([{ fail: 'call refused by the server (no addresses)' }]);
  assert.equal((await h.loop.run()).kind, 'fatal');
  assert.equal(h.calls(), 1);
});

test('loop: stop while connected → the client is stopped, outcome stopped, no retry', async () => {
  let stops: string[] = [];
  const h = harness([
    {
      upThen: (c) => {
        stops = c.stops;
        h.loop.stop();
      },
    },
  ]);
  assert.deepEqual(await h.loop.run(), { kind: 'stopped' });
  assert.deepEqual(stops, ['user request']);
  assert.deepEqual(h.delays, []);
});

test('loop: stop during the backoff wait → ends the wait, stopped, no further attempt', async () => {
  const h = harness([{ fail: REFUSED }, { fail: REFUSED }], {
    sleep: (_ms, cancel) => {
      queueMicrotask(() => h.loop.stop());
      return cancel;
    },
  });
  assert.deepEqual(await h.loop.run(), { kind: 'stopped' });
  assert.equal(h.calls(), 1);
});

test('loop: real timer sleep → is cancelled by stop at once', async () => {
  const h = harness([{ fail: REFUSED }, { fail: REFUSED }], { sleep: undefined, random: () => 0.5 });
  const t0 = Date.now();
  const p = h.loop.run();
  setTimeout(() => h.loop.stop(), 20);
  assert.deepEqual(await p, { kind: 'stopped' });
  assert.ok(Date.now() - t0 < 900);
});


test('isFatalReason: the end reason PppLink gives our final auth failure is fatal; a cleared call alone is not', () => {
  // src/server/link.ts keeps this reason even when the server clears the call before LCP closes.
  assert.equal(isFatalReason('MS-CHAP-v2 authentication failed: E=691 (rejected): Authentication failed'), true);
  assert.equal(isFatalReason('call cleared by the server (peer-disconnect, result 3)'), false);
});
