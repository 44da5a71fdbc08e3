/**
 * RadiusService (src/server/radius/index.ts) against a small RADIUS server made
 * from our own codec on loopback: backend chaining, Session-Timeout,
 * Idle-Timeout and Interim-Update driven by `poll(now)`. FreeRADIUS itself is
 * covered by freeradius.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { cryptoRng } from '../../src/io/rng.js';
import { silentLogger } from '../../src/log/logger.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import type { ChapSecret } from '../../src/config/chap-secrets.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { utf8 } from '../../src/ppp/auth/mschap.js';
import {
  ATTR,
  attrInt,
  attrText,
  encodeVendorSpecific,
  findAttr,
  intAttr,
  textAttr,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../src/radius/codec.js';
import { RadiusService } from '../../src/server/radius/index.js';
import { MIKROTIK_RATE_LIMIT, VENDOR_MIKROTIK } from '../../src/radius/rate-limit-attrs.js';
import { fakeLink } from './fake-link.js';
import { startFakeRadius, type FakeRadius } from './fake-radius.js';
import type { PppLink } from '../../src/server/link.js';

const SECRET = 'svc-secret';

/** The fake server with this file's secret. */
function fakeServer(users: Record<string, { password: string; reply: RadiusAttribute[] }>, address = '127.0.0.1'): Promise<FakeRadius> {
  return startFakeRadius(users, { secret: SECRET, address });
}

function pap(user: string, password: string): VerifyRequest {
  return { requestId: 1, protocol: 'pap', username: user, usernameBytes: utf8(user), authenticatorName: 'tunppp', proof: { protocol: 'pap', password: utf8(password) } };
}


/**
 * 200 ms × 2 tries keeps the failover tests quick; tests that need an answer
 * pass a longer `timeoutMs`, so a CPU-starved CI run cannot turn a slow
 * in-process reply into a timeout.
 */
function config(port: number, backends: Config['auth']['backends'], accounting = false, timeoutMs = 200): Config {
  const d = defaultConfig();
  return {
    ...d,
    auth: { ...d.auth, backends },
    radius: { ...d.radius, servers: [{ address: '127.0.0.1', port, acctPort: port, secret: SECRET }], timeoutMs, retries: 1, accounting },
  };
}

const LOCAL: ChapSecret[] = [{ client: 'dave', server: '*', secret: 'dave-local', secretFile: undefined, addresses: [], extraOptions: [], line: 1 } as unknown as ChapSecret];

/** A clock that runs with real time plus a manual offset. */
function offsetClock() {
  let offset = 0;
  return { now: () => performance.now() + offset, advance: (ms: number) => (offset += ms) };
}

test('backends ["radius", "chap-secrets"]: RADIUS silent → chap-secrets answers; RADIUS rejects → rejected even if chap-secrets knows the user', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  const clock = offsetClock();
  const a = new RadiusService(config(silent.address().port, ['radius', 'chap-secrets']), LOCAL, [{ address: '127.0.0.1', port: silent.address().port, acctPort: silent.address().port, secret: SECRET }], clock, cryptoRng, silentLogger);
  await a.start();
  const srv = await fakeServer({ dave: { password: 'radius-pw', reply: [] } });
  const b = new RadiusService(config(srv.port, ['radius', 'chap-secrets']), LOCAL, [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], clock, cryptoRng, silentLogger);
  await b.start();
  try {
    assert.equal((await a.verify(pap('dave', 'dave-local'))).ok, true, 'fell through to chap-secrets');
    assert.equal((await a.verify(pap('erin', 'x'))).ok, false);
    assert.equal((await b.verify(pap('dave', 'dave-local'))).ok, false, 'RADIUS said no');
    assert.equal((await b.verify(pap('dave', 'radius-pw'))).ok, true);
  } finally {
    await a.stop();
    await b.stop();
    silent.close();
    srv.close();
  }
});

test('link up with Session-Timeout 5 s → closed at 5 s, not at 4 s', async () => {
  const srv = await fakeServer({ s: { password: 'p', reply: [intAttr(ATTR.SESSION_TIMEOUT, 5)] } });
  const clock = offsetClock();
  const svc = new RadiusService(config(srv.port, ['radius'], false, 3000), [], [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], clock, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0; // the test drives poll() with its own times
  await svc.start();
  try {
    const link = fakeLink(1);
    assert.equal((await svc.verifyForLink(pap('s', 'p'), link as unknown as PppLink)).ok, true);
    svc.linkAuthenticated(link as unknown as PppLink, 1); // the link says so when the session accepts that verdict
    const t0 = Math.floor(clock.now()); // whole ms: (t0 + 5000) - (t0 + 2000) must be exactly 3000 in floating point
    svc.linkUp(link as unknown as PppLink, t0);
    svc.poll(t0 + 4000);
    assert.deepEqual(link.closed, []);
    svc.poll(t0 + 5000);
    assert.deepEqual(link.closed, ['Session-Timeout (5 s)']);
  } finally {
    await svc.stop();
    srv.close();
  }
});

test('Access-Accept with Mikrotik-Rate-Limit "1M/2M 4M/8M" → the link is limited to up 1M, down 2M; the burst fields are logged as not applied', async () => {
  const mt = encodeVendorSpecific({ vendorId: VENDOR_MIKROTIK, vendorType: MIKROTIK_RATE_LIMIT, value: utf8('1M/2M 4M/8M') });
  const srv = await fakeServer({ r: { password: 'p', reply: [mt] }, f: { password: 'p', reply: [textAttr(ATTR.FILTER_ID, 'web-only')] } });
  const lines: string[] = [];
  const log = { ...silentLogger, warn: (_e: string, msg: string) => void lines.push(msg), child: () => log } as unknown as typeof silentLogger;
  const svc = new RadiusService(config(srv.port, ['radius'], false, 3000), [], [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], offsetClock(), cryptoRng, log);
  svc.pollIntervalMs = 0;
  await svc.start();
  try {
    const link = fakeLink(1);
    assert.equal((await svc.verifyForLink(pap('r', 'p'), link as unknown as PppLink)).ok, true);
    svc.linkAuthenticated(link as unknown as PppLink, 1);
    assert.deepEqual(link.limits, [{ limit: { upBps: 1_000_000, downBps: 2_000_000 }, source: 'RADIUS Mikrotik-Rate-Limit "1M/2M 4M/8M"' }]);
    assert.ok(lines.some((l) => /burst fields "4M\/8M" not applied/.test(l)), lines.join('\n'));
    const other = fakeLink(2);
    assert.equal((await svc.verifyForLink(pap('f', 'p'), other as unknown as PppLink)).ok, true);
    svc.linkAuthenticated(other as unknown as PppLink, 1);
    assert.deepEqual(other.limits, [], 'a Filter-Id that names a filter sets no limit');
    assert.ok(lines.some((l) => /Filter-Id "web-only" ignored/.test(l)), lines.join('\n'));
  } finally {
    await svc.stop();
    srv.close();
  }
});

test('Access-Accept with Framed-Pool "guests" → the link takes addresses only from that pool; a pool tunppp.json lacks → logged, no address', async () => {
  const srv = await fakeServer({ g: { password: 'p', reply: [textAttr(ATTR.FRAMED_POOL, 'guests')] }, x: { password: 'p', reply: [textAttr(ATTR.FRAMED_POOL, 'nope')] } });
  const lines: string[] = [];
  const log = { ...silentLogger, warn: (_e: string, msg: string) => void lines.push(msg), child: () => log } as unknown as typeof silentLogger;
  const base = config(srv.port, ['radius'], false, 3000);
  const cfg: Config = { ...base, pools: [{ name: 'guests', local: '10.97.0.1', ranges: ['10.97.0.10-10.97.0.20'], protocols: ['pptp', 'l2tp'] }] };
  const svc = new RadiusService(cfg, [], [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], offsetClock(), cryptoRng, log);
  svc.pollIntervalMs = 0;
  await svc.start();
  try {
    const link = { ...fakeLink(1), framedPool: undefined as string | undefined };
    assert.equal((await svc.verifyForLink(pap('g', 'p'), link as unknown as PppLink)).ok, true);
    svc.linkAuthenticated(link as unknown as PppLink, 1);
    assert.equal(link.framedPool, 'guests');
    assert.deepEqual(lines, []);
    const other = { ...fakeLink(2), framedPool: undefined as string | undefined };
    assert.equal((await svc.verifyForLink(pap('x', 'p'), other as unknown as PppLink)).ok, true);
    svc.linkAuthenticated(other as unknown as PppLink, 1);
    assert.equal(other.framedPool, 'nope');
    assert.ok(lines.some((l) => /Framed-Pool "nope" .* names no pool of tunppp\.json/.test(l)), lines.join('\n'));
  } finally {
    await svc.stop();
    srv.close();
  }
});

test('link up with Idle-Timeout 3 s → traffic keeps it open; 3 s without packets → closed', async () => {
  const srv = await fakeServer({ i: { password: 'p', reply: [intAttr(ATTR.IDLE_TIMEOUT, 3)] } });
  const clock = offsetClock();
  const svc = new RadiusService(config(srv.port, ['radius'], false, 3000), [], [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], clock, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0; // the test drives poll() with its own times
  await svc.start();
  try {
    const link = fakeLink(2);
    const v = await svc.verifyForLink(pap('i', 'p'), link as unknown as PppLink);
    assert.equal(v.ok, true, `Access-Accept with Idle-Timeout: ${JSON.stringify(v)}`);
    svc.linkAuthenticated(link as unknown as PppLink, 1);
    const t0 = Math.floor(clock.now()); // whole ms: (t0 + 5000) - (t0 + 2000) must be exactly 3000 in floating point
    svc.linkUp(link as unknown as PppLink, t0);
    link.session.counters.packetsIn = 10;
    svc.poll(t0 + 2000);
    svc.poll(t0 + 4000);
    assert.deepEqual(link.closed, [], 'last activity at 2 s');
    svc.poll(t0 + 5000);
    assert.deepEqual(link.closed, ['Idle-Timeout (3 s)']);
  } finally {
    await svc.stop();
    srv.close();
  }
});

test('accounting with Acct-Interim-Interval 60 → Accounting-On, Start, Interim-Update at 60 s with counters, Stop with cause Session-Timeout, Accounting-Off', async () => {
  const srv = await fakeServer({ acc: { password: 'p', reply: [intAttr(ATTR.ACCT_INTERIM_INTERVAL, 60)] } });
  const clock = offsetClock();
  const svc = new RadiusService(config(srv.port, ['radius'], true), [], [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], clock, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0; // the test drives poll() with its own times
  await svc.start();
  try {
    // start() returns once the Accounting-On is acknowledged: logins after it cannot race it at a shared pool.
    assert.equal(srv.acct.length, 1, 'Accounting-On reached the server before start() returned');
    const link = fakeLink(3);
    await svc.verifyForLink(pap('acc', 'p'), link as unknown as PppLink);
    svc.linkAuthenticated(link as unknown as PppLink, 1);
    link.username = 'acc';
    link.peerIp = '192.168.1.50';
    const t0 = Math.floor(clock.now()); // whole ms: (t0 + 5000) - (t0 + 2000) must be exactly 3000 in floating point
    svc.linkUp(link as unknown as PppLink, t0);
    svc.poll(t0 + 59_000);
    link.session.counters = { bytesIn: 1000, bytesOut: 2000, packetsIn: 10, packetsOut: 20 };
    svc.poll(t0 + 60_000);
    svc.poll(t0 + 61_000);
    link.session.counters = { bytesIn: 5000, bytesOut: 6000, packetsIn: 50, packetsOut: 60 };
    svc.linkEnded(link as unknown as PppLink, 'Session-Timeout (100 s)', t0 + 100_000);
    await svc.stop();
    const status = srv.acct.map((p) => attrInt(findAttr(p, ATTR.ACCT_STATUS_TYPE)));
    // Accounting-On at start, Start, Interim-Update, Stop, Accounting-Off at stop.
    assert.deepEqual(status, [7, 1, 3, 2, 8]);
    const [on, start, interim, stop, off] = srv.acct as [RadiusPacket, RadiusPacket, RadiusPacket, RadiusPacket, RadiusPacket];
    assert.equal(attrText(findAttr(on, ATTR.ACCT_SESSION_ID)!), attrText(findAttr(off, ATTR.ACCT_SESSION_ID)!));
    const sid = attrText(findAttr(start, ATTR.ACCT_SESSION_ID)!);
    assert.equal(attrText(findAttr(stop, ATTR.ACCT_SESSION_ID)!), sid);
    assert.equal(attrInt(findAttr(interim, ATTR.ACCT_INPUT_OCTETS)), 1000);
    assert.equal(attrInt(findAttr(interim, ATTR.ACCT_OUTPUT_PACKETS)), 20);
    assert.equal(attrInt(findAttr(interim, ATTR.ACCT_SESSION_TIME)), 60);
    assert.equal(attrInt(findAttr(stop, ATTR.ACCT_OUTPUT_OCTETS)), 6000);
    assert.equal(attrInt(findAttr(stop, ATTR.ACCT_SESSION_TIME)), 100);
    assert.equal(attrInt(findAttr(stop, ATTR.ACCT_TERMINATE_CAUSE)), 5);
  } finally {
    await svc.stop();
    srv.close();
  }
});

test('servers of both families: silent IPv4 server → failover to an IPv6 server on ::1 → accepted', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  const v6 = await fakeServer({ frank: { password: 'p6', reply: [] } }, '::1');
  const clock = offsetClock();
  const endpoints = [
    { address: '127.0.0.1', port: silent.address().port, acctPort: silent.address().port, secret: SECRET },
    { address: '::1', port: v6.port, acctPort: v6.port, secret: SECRET },
  ];
  const cfg = config(v6.port, ['radius']);
  const svc = new RadiusService({ ...cfg, radius: { ...cfg.radius, servers: endpoints } }, [], endpoints, clock, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0; // the test drives poll() with its own times
  await svc.start();
  try {
    assert.equal((await svc.verify(pap('frank', 'p6'))).ok, true);
    assert.equal((await svc.verify(pap('frank', 'wrong'))).ok, false, 'later requests go straight to the IPv6 server');
  } finally {
    await svc.stop();
    silent.close();
    v6.close();
  }
});

test('RADIUS backend: 300 requests RADIUS cannot carry (CHAP-MD5 Response of 255 octets, User-Name of 300) → each a judged failure (not "unavailable"), nothing sent, no Identifier held; then a good login is answered', async () => {
  const srv = await fakeServer({ good: { password: 'p', reply: [] } });
  const svc = new RadiusService(config(srv.port, ['radius'], false, 3000), [], [{ address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET }], offsetClock(), cryptoRng, silentLogger);
  svc.pollIntervalMs = 0;
  await svc.start();
  try {
    for (let i = 0; i < 300; i++) {
      const user = i % 2 === 0 ? 'mallory' : 'm'.repeat(300);
      const req: VerifyRequest = { requestId: i + 1, protocol: 'chap-md5', username: user, usernameBytes: utf8(user), authenticatorName: 'tunppp', proof: { protocol: 'chap-md5', identifier: 1, challenge: new Uint8Array(16), response: new Uint8Array(i % 2 === 0 ? 255 : 16) } };
      const v = await svc.verify(req);
      assert.equal(v.ok, false);
      assert.equal(!v.ok && v.unavailable, undefined, 'a judged failure: the lockout counts it');
    }
    assert.equal(srv.access.length, 0);
    assert.equal(svc.stats.clients()[0]!.outstanding, 0);
    assert.equal((await svc.verify(pap('good', 'p'))).ok, true);
  } finally {
    await svc.stop();
    srv.close();
  }
});
