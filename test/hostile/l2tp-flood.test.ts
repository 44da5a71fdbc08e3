/**
 * SCCRQ floods against the real L2TP service port (in-memory socket): new
 * tunnels from one address are limited by limits.maxStartingPerSource and
 * limits.connectRatePerSource, dropped before the endpoint allocates a
 * tunnel, counted; other addresses still get in.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { L2tpEndpoint, type UdpPeer } from '../../src/l2tp/endpoint.js';
import { L2tpService } from '../../src/server/l2tp-service.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { testContext, type SkewClock } from '../l2tp/lns-harness.js';

const LNS: UdpPeer = { address: '192.0.2.1', port: 1701 };
const contexts: ReturnType<typeof testContext>[] = [];
after(() => {
  for (const c of contexts) c.scheduler.stop();
});

function rig(limits: NonNullable<ConfigInput['limits']>) {
  const ctx = testContext({ pools: [{ name: 't', local: '10.94.0.1', ranges: ['10.94.0.10-10.94.0.20'] }], listen: { pptp: { enabled: false } }, limits }, { rng: seededRng(5) });
  contexts.push(ctx);
  const service = new L2tpService(ctx);
  const port = service.createPort();
  const out: Uint8Array[] = [];
  port.attach({ send: (b) => void out.push(b), close: () => {} });
  return { ctx, port, out };
}

/** `n` SCCRQs from `from`, each a new tunnel (a fresh LAC tunnel ID). */
function flood(r: ReturnType<typeof rig>, from: string, n: number, fromPort = 1701): void {
  const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'flood' }, maxTunnels: 100_000 }, seededRng(from.length));
  for (let i = 0; i < n; i++) {
    const c = lac.connect(LNS, 0);
    for (const o of c.out) if (o.kind === 'send') r.port.receive(o.bytes, from, fromPort);
  }
}

test('SCCRQ flood from one address: maxStartingPerSource 3 → 3 tunnels in setup, the other 97 dropped and counted; another address still gets a tunnel', () => {
  const r = rig({ maxStartingPerSource: 3, connectRatePerSource: 1000 });
  flood(r, '198.51.100.66', 100);
  assert.equal(r.port.tunnelCount, 3);
  assert.equal(r.ctx.stats.refusedStartingPerSource, 97);
  flood(r, '198.51.100.67', 1);
  assert.equal(r.port.tunnelCount, 4);
});

test('SCCRQ rate: connectRatePerSource 5 per window → the 6th and later SCCRQs are dropped as connect-rate', () => {
  const r = rig({ maxStartingPerSource: 1000, connectRatePerSource: 5, rateWindowS: 60 });
  flood(r, '198.51.100.70', 50);
  assert.equal(r.port.tunnelCount, 5);
  assert.equal(r.ctx.stats.refusedConnectRate, 45);
});

test('SCCRQ flood across many addresses: maxStarting 10 server-wide → at most 10 tunnels in setup; each newer source takes the place of an older one (setup fairness)', () => {
  const r = rig({ maxStarting: 10 });
  for (let i = 0; i < 40; i++) flood(r, `203.0.113.${i}`, 1);
  assert.equal(r.port.tunnelCount, 10);
  assert.equal(r.ctx.stats.evictedStarting, 30);
  assert.equal(r.ctx.stats.refusedStarting, 0);
  // A source already holding as many as any other cannot evict: refused at the limit.
  flood(r, '203.0.113.39', 1, 1702);
  assert.equal(r.ctx.stats.refusedStarting, 1);
  assert.equal(r.port.tunnelCount, 10);
});

test('SCCRQ flood from 8 addresses filling maxStarting 64 (8 each): a real LAC from a 9th address still gets its SCCRP at once; one SCCRP per flood SCCRQ, none retransmitted to the unproven sources', () => {
  const r = rig({ maxStarting: 64, maxStartingPerSource: 8, connectRatePerSource: 1000 });
  for (let a = 0; a < 8; a++) flood(r, `198.51.100.${10 + a}`, 8);
  assert.equal(r.port.tunnelCount, 64);
  const floodAnswers = r.out.length;
  assert.equal(floodAnswers, 64, 'one SCCRP per SCCRQ');
  r.out.length = 0;
  flood(r, '192.0.2.50', 1);
  assert.equal(r.out.length, 1, 'the real LAC is answered');
  assert.equal(r.ctx.stats.evictedStarting, 1);
  // The flood's tunnels never answer: nothing is retransmitted to them, and they are freed within 15 s.
  r.out.length = 0;
  const clock = r.ctx.clock as SkewClock;
  for (let t = 500; t <= 16_000; t += 500) {
    clock.skewMs = t;
    r.ctx.scheduler.run();
  }
  const toFlood = r.out.filter((b) => b.length > 12); // not counting the real LAC's unanswered tunnel, which is unproven too
  assert.equal(toFlood.length, 0, 'no retransmitted SCCRP');
  assert.equal(r.port.tunnelCount, 0, 'every unanswered tunnel in setup freed');
});

test('ICRQ flood in one tunnel: maxSessionsPerTunnel 3, 10 incoming calls → 3 sessions, the rest refused; other tunnels still have room', () => {
  const r = rig({ maxSessionsPerTunnel: 3 });
  const from: UdpPeer = { address: '198.51.100.80', port: 1701 };
  const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'lac' } }, seededRng(8));
  const pump = (outs: ReturnType<L2tpEndpoint['receive']>): void => {
    const queue = [...outs];
    for (let i = 0; i < 2000 && (queue.length || r.out.length); i++) {
      const o = queue.shift();
      if (o?.kind === 'send') r.port.receive(o.bytes, from.address, from.port);
      for (const b of r.out.splice(0)) if ((b[0]! & 0x80) !== 0) queue.push(...lac.receive(LNS, b, 0));
    }
  };
  const c = lac.connect(LNS, 0);
  pump(c.out);
  for (let i = 0; i < 10; i++) pump(lac.command(c.tunnelId!, { type: 'open-session' }, 0));
  const t = lac.tunnel(c.tunnelId!)!;
  const up = [...t.sessions.values()].filter((s) => s.state === 'established').length;
  assert.equal(up, 3);
  assert.equal(r.port.sessions.size, 3);
});

/** A LAC at `from` with one tunnel; `calls` incoming calls placed in it, pumped through the port. */
function lacWithCalls(r: ReturnType<typeof rig>, from: UdpPeer, seed: number, tunnels: number, calls: number): L2tpEndpoint {
  const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'lac' }, maxTunnels: 1000 }, seededRng(seed));
  const pump = (outs: ReturnType<L2tpEndpoint['receive']>): void => {
    const queue = [...outs];
    for (let i = 0; i < 5000 && (queue.length || r.out.length); i++) {
      const o = queue.shift();
      if (o?.kind === 'send') r.port.receive(o.bytes, from.address, from.port);
      for (const b of r.out.splice(0)) if ((b[0]! & 0x80) !== 0) queue.push(...lac.receive(LNS, b, 0));
    }
  };
  for (let t = 0; t < tunnels; t++) {
    const c = lac.connect(LNS, 0);
    pump(c.out);
    for (let i = 0; i < calls; i++) pump(lac.command(c.tunnelId!, { type: 'open-session' }, 0));
  }
  return lac;
}

test('unauthenticated sessions from one address: 7 tunnels × 16 calls that never log in → 8 sessions (limits.maxUnauthenticatedPerSource), the rest refused with a CDN; a user from another address still gets a session', () => {
  const r = rig({ maxStartingPerSource: 100, connectRatePerSource: 1000 });
  lacWithCalls(r, { address: '198.51.100.90', port: 1701 }, 31, 7, 16);
  assert.equal(r.port.sessions.size, 8);
  assert.equal(r.ctx.stats.refusedUnauthenticatedPerSource, 7 * 16 - 8);
  lacWithCalls(r, { address: '192.0.2.77', port: 1701 }, 32, 1, 1);
  assert.equal(r.port.sessions.size, 9);
  assert.ok([...r.port.sessions.values()].some((s) => s.peerAddress === '192.0.2.77'));
});

test('unauthenticated sessions at connections.max: two addresses hold every slot → a session from a third address evicts the oldest of the biggest holder and comes up', () => {
  const r = rig({ maxStartingPerSource: 100, connectRatePerSource: 1000, maxUnauthenticatedPerSource: 8 });
  r.ctx.config.connections.max = 16;
  lacWithCalls(r, { address: '198.51.100.91', port: 1701 }, 33, 1, 8);
  lacWithCalls(r, { address: '198.51.100.92', port: 1701 }, 34, 1, 8);
  assert.equal(r.port.sessions.size, 16);
  lacWithCalls(r, { address: '192.0.2.78', port: 1701 }, 35, 1, 1);
  assert.equal(r.ctx.stats.evictedUnauthenticated, 1);
  assert.equal(r.port.sessions.size, 16);
  assert.ok([...r.port.sessions.values()].some((s) => s.peerAddress === '192.0.2.78'));
});
