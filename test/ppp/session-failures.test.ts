/**
 * Policy mismatches and dead peers: each ends with both sides Dead, a clear
 * reason, and within the time RFC 1661's counters allow (manual clock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pair, find } from './harness.js';
import type { SessionOptions } from '../../src/ppp/session.js';
import { PppSession } from '../../src/ppp/session.js';
import { seededRng } from '../../src/core/rng.js';

type Opts = Omit<SessionOptions, 'role' | 'ipSink'>;
const SERVER: Opts = { localAddress: '10.1.0.1', peerAddress: '10.1.0.2', fsm: { restartMs: 1000 } };
const CLIENT: Opts = { auth: { username: 'alice', password: 'correct horse' }, fsm: { restartMs: 1000 } };

function failCase(server: Opts, client: Opts, expect: { server?: RegExp; client?: RegExp }, limitMs = 120_000) {
  const pair = new Pair({ ...SERVER, ...server }, { ...CLIENT, ...client });
  pair.start();
  assert.ok(pair.run(() => pair.bothDead(), limitMs), `not dead after ${limitMs} ms: ${pair.sides.map((s) => s.session.phase).join('/')}`);
  assert.ok(!pair.server.events.some((e) => e.type === 'link-up'));
  const sr = find(pair.server.events, 'link-down')?.reason ?? '';
  const cr = find(pair.client.events, 'link-down')?.reason ?? '';
  if (expect.server) assert.match(sr, expect.server);
  if (expect.client) assert.match(cr, expect.client);
  return { pair, sr, cr };
}

test('Establish: server requires MS-CHAPv2, client only PAP → both Dead, reason names both sides', () => {
  failCase({ auth: { require: ['mschap-v2'] } }, { auth: { accept: ['pap'], username: 'alice', password: 'x' } }, {
    server: /authentication refused: peer wants pap, policy allows mschap-v2/,
  });
});

test('Establish: client refuses to authenticate at all → server closes', () => {
  failCase({ auth: { require: ['mschap-v2'] } }, { auth: { accept: [] } }, { server: /refuses to authenticate/ });
});

test('Authenticate: wrong password (MS-CHAPv2) → retries exhausted, E=691 in the reason', () => {
  const { pair } = failCase({ auth: { require: ['mschap-v2'], maxRetries: 1 } }, { auth: { username: 'alice', password: 'wrong', maxRetries: 1 } }, {
    server: /authentication failed \(mschap-v2\): peer failed to authenticate: rejected E=691/,
  });
  assert.ok(pair.client.events.some((e) => e.type === 'auth-failed' && e.final));
});

test('Authenticate: unknown user (PAP) → Nak, both Dead', () => {
  failCase({ auth: { require: ['pap'] }, mppe: { strengths: [], required: false, allowStateful: false } }, { auth: { username: 'mallory', password: 'x' }, mppe: { strengths: [], required: false, allowStateful: false } }, {
    server: /authentication failed \(pap\)/,
  });
});

test('Network: MPPE-128 required, client allows only 40 → MPPE strength mismatch, both Dead', () => {
  failCase({}, { mppe: { strengths: [40], required: true, allowStateful: false } }, { server: /MPPE/, client: /MPPE strength mismatch/ });
});

test('Network: client requires MPPE, server has MPPE off → CCP Protocol-Rejected → client closes', () => {
  failCase({ auth: { require: ['mschap-v2'] }, mppe: { strengths: [], required: false, allowStateful: false } }, { mppe: { strengths: [128], required: true, allowStateful: false } }, {
    client: /MPPE negotiation failed: rejected by the peer/,
  });
});

test('Network: MPPE required with CHAP-MD5 → no keys → closes with the reason', () => {
  failCase({ auth: { require: ['chap-md5'] } }, {}, { server: /MPPE is required but chap-md5 yields no MPPE keys/ });
});

test('Network: address pool exhausted → IPCP fails, no network protocol, both Dead', () => {
  failCase({ peerAddress: undefined, addressPool: { allocate: () => undefined, release: () => {} } }, {}, { server: /no network protocol left: IPCP/ });
});

test('Network: server IPv4 off, client IPv4 only → IPCP Protocol-Rejected → client closes', () => {
  failCase({ ipv4: false, ipv6: true }, { ipv4: true, ipv6: false }, { client: /no network protocol left: IPCP rejected by the peer/ });
});

test('Establish: silent peer → Max-Configure × restart timer, then Dead', () => {
  const s = new PppSession({ role: 'server', fsm: { restartMs: 1000, maxConfigure: 10 } }, seededRng(1));
  const outs = [...s.start(0)];
  let t = 0;
  while (s.phase !== 'Dead' && t < 100_000) {
    t = s.nextDeadline()!;
    outs.push(...s.timeout(t));
  }
  assert.equal(s.phase, 'Dead');
  assert.equal(t, 10_000, 'ten Configure-Requests, one second apart');
  assert.equal(outs.filter((o) => o.kind === 'send').length, 10);
  const down = outs.find((o) => o.kind === 'event' && o.event.type === 'link-down');
  assert.ok(down?.kind === 'event' && down.event.type === 'link-down' && /Max-Configure/.test(down.event.reason));
});

test('Authenticate: backend never answers → client gives up, both Dead in bounded time', () => {
  const pair = new Pair({ ...SERVER, auth: { require: ['mschap-v2'] } }, CLIENT);
  pair.verifyDelayMs = 10 ** 9;
  pair.start();
  assert.ok(pair.run(() => pair.bothDead(), 300_000));
  assert.match(find(pair.client.events, 'link-down')?.reason ?? '', /authentication failed/);
});

test('Network: peer dies after link-up → keepalive closes within interval × failures', () => {
  const pair = new Pair({ ...SERVER, echoIntervalMs: 5000, echoFailures: 3 }, CLIENT);
  pair.start();
  assert.ok(pair.run(() => pair.bothUp(), 60_000));
  const upAt = pair.now;
  pair.faults = { loss: 1 };
  assert.ok(pair.run(() => pair.server.session.phase === 'Dead', 120_000));
  assert.match(find(pair.server.events, 'link-down')?.reason ?? '', /3 Echo-Requests unanswered/);
  assert.ok(pair.now - upAt <= 5000 * 4 + 1000 * 3, `took ${pair.now - upAt} ms`);
});

test('Establish: transport lost → lowerDown → Dead at once, pool address released', () => {
  const released: string[] = [];
  const pair = new Pair({ ...SERVER, peerAddress: undefined, addressPool: { allocate: () => '10.1.0.77', release: (a) => released.push(a) } }, CLIENT);
  pair.start();
  assert.ok(pair.run(() => pair.bothUp(), 60_000));
  pair.apply(0, pair.server.session.lowerDown(pair.now));
  assert.equal(pair.server.session.phase, 'Dead');
  assert.equal(find(pair.server.events, 'link-down')?.reason, 'transport closed');
  assert.deepEqual(released, ['10.1.0.77']);
});

test('Network: peer renegotiates LCP (new Configure-Request) → NCPs restart, auth again, link up again', () => {
  const pair = new Pair({ ...SERVER, auth: { require: ['mschap-v2'] } }, CLIENT);
  pair.start();
  assert.ok(pair.run(() => pair.ready(), 60_000));
  const firstReq = pair.client.sent.find((f) => f.bytes[2] === 0xc0 && f.bytes[3] === 0x21 && f.bytes[4] === 1)!;
  pair.apply(0, pair.server.session.receiveFrame(firstReq.bytes, pair.now));
  assert.equal(pair.server.session.phase, 'Establish');
  assert.equal(pair.server.session.isUp, false);
  assert.ok(pair.run(() => pair.ready(), 60_000));
  assert.equal(pair.server.events.filter((e) => e.type === 'auth-ok').length, 2);
  assert.equal(find(pair.server.events, 'link-down'), undefined);
  const before = pair.client.received.length;
  assert.ok(pair.sendIp(0, new Uint8Array(60).fill(0x45, 0, 1)));
  pair.flush();
  assert.equal(pair.client.received.length, before + 1);
});

test('Authenticate: both directions (client also requires the server to authenticate with CHAP-MD5) → two auth-ok per side', () => {
  const pair = new Pair(
    { ...SERVER, auth: { require: ['mschap-v2'], accept: ['chap-md5'], username: 'alice', password: 'correct horse' } },
    { ...CLIENT, auth: { require: ['chap-md5'], username: 'alice', password: 'correct horse' } },
  );
  pair.start();
  assert.ok(pair.run(() => pair.ready(), 60_000));
  for (const s of pair.sides) {
    const oks = s.events.filter((e) => e.type === 'auth-ok');
    assert.deepEqual(oks.map((e) => e.type === 'auth-ok' && `${e.direction}:${e.protocol}`).sort(), s === pair.server ? ['peer:mschap-v2', 'self:chap-md5'] : ['peer:chap-md5', 'self:mschap-v2']);
  }
  assert.ok(find(pair.server.events, 'mppe-up'));
});

test('Authenticate: MS-CHAPv2 in both directions → both ends key MPPE from the same exchange, data decrypts', () => {
  const pair = new Pair(
    { ...SERVER, auth: { require: ['mschap-v2'], accept: ['mschap-v2'], username: 'alice', password: 'correct horse' } },
    { ...CLIENT, auth: { require: ['mschap-v2'], username: 'alice', password: 'correct horse' } },
  );
  pair.start();
  assert.ok(pair.run(() => pair.ready(), 60_000));
  assert.ok(pair.sendIp(0, Uint8Array.from({ length: 50 }, (_, i) => (i === 0 ? 0x45 : i))));
  assert.ok(pair.sendIp(1, Uint8Array.from({ length: 50 }, (_, i) => (i === 0 ? 0x45 : 2 * i))));
  pair.flush();
  assert.equal(pair.client.received[0]?.[49], 49);
  assert.equal(pair.server.received[0]?.[49], 98);
});
