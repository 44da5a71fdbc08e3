/**
 * The L2TP load generator (bench/loadgen/l2tp-loadgen.ts) against the real LNS
 * (L2tpService over loopback UDP, no TUN): sessions fill tunnels of the given
 * size, every one reaches IPCP with MS-CHAPv2 and MPPE-128, a second batch
 * starts only the tunnels it needs, the LNS's per-tunnel limit shows as
 * refused calls, a silent server as timed-out sessions, and a graceful stop
 * leaves the LNS with no session and every tunnel closing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { silentLogger } from '../../src/log/logger.js';
import { L2tpLoadgen } from '../../bench/loadgen/l2tp-loadgen.js';
import { startTestLns, type TestLns } from './lns-harness.js';
import { waitFor } from '../io/netns.js';

const USERS: [string, string][] = [['load', 'pw-load']];

function loadgen(port: number, sessionsPerTunnel: number, seed: number, minTunnels = 0): L2tpLoadgen {
  return new L2tpLoadgen({ host: '127.0.0.1', port, localAddress: '127.0.0.1', username: 'load', password: 'pw-load', sessionsPerTunnel, minTunnels, log: silentLogger, rng: seededRng(seed) });
}

test('idle LNS: 20 sessions at 10 per tunnel → 2 tunnels, all up with MPPE-128; 5 more → one more tunnel; stop → LNS without sessions, its tunnels closing', { timeout: 60_000 }, async () => {
  let lns: TestLns | undefined;
  let lg: L2tpLoadgen | undefined;
  try {
    lns = await startTestLns({ users: USERS, config: { ppp: { mppe: { l2tpMode: 'require' } } } });
    const svc = lns.service;
    lg = loadgen(lns.port, 10, 21);
    const r = await lg.open(20, { concurrency: 8, timeoutMs: 20_000 });
    assert.deepEqual(r.errors, []);
    assert.equal(r.up, 20);
    assert.equal(r.failed, 0);
    assert.ok(r.rate > 0 && r.p50Ms > 0 && r.p99Ms >= r.p50Ms, `rate ${r.rate}, p50 ${r.p50Ms}, p99 ${r.p99Ms}`);
    assert.equal(lg.upCount, 20);
    assert.equal(lg.tunnelCount, 2);
    const { tunnelsOpened, tunnelsUp, tunnelsFailed, retransmitted } = lg.counters;
    assert.deepEqual({ tunnelsOpened, tunnelsUp, tunnelsFailed, retransmitted }, { tunnelsOpened: 2, tunnelsUp: 2, tunnelsFailed: 0, retransmitted: 0 });
    for (const s of lg.sessions) assert.equal(s.mppe, '128-bit stateless', `session ${s.index}: ${s.mppe}`);
    assert.equal(new Set(lg.sessions.map((s) => s.localIp)).size, 20, 'every session has its own address');
    const perTunnel = new Map<number, number>();
    for (const s of lg.sessions) perTunnel.set(s.tunnelId!, (perTunnel.get(s.tunnelId!) ?? 0) + 1);
    assert.deepEqual([...perTunnel.values()], [10, 10]);
    assert.notEqual(lg.sessions[0]!.tunnelId, lg.sessions[1]!.tunnelId, 'consecutive sessions go to different tunnels (spread, not filled one by one)');
    // The server's view: two tunnels from one UDP source, twenty links up.
    assert.equal(svc.tunnelCount, 2);
    assert.equal(svc.linkCount, 20);
    assert.equal(svc.stats.tunnelsUp, 2);
    await waitFor(() => svc.links().every((l) => l.state === 'up'), 'server links up', 5_000);

    const r2 = await lg.open(5, { concurrency: 8, timeoutMs: 20_000 });
    assert.equal(r2.up, 5);
    assert.equal(lg.tunnelCount, 3, 'the full tunnels get no more calls; one new tunnel holds the batch');
    assert.equal(svc.linkCount, 25);

    await lg.stop(5_000);
    await waitFor(() => svc.linkCount === 0, `server links gone (now ${svc.linkCount})`, 5_000);
    assert.equal(lns.ctx.addresses.claimed, 0);
    const serverPort = svc.ports[0]!;
    for (const id of serverPort.endpoint.tunnelIds()) {
      assert.notEqual(serverPort.endpoint.tunnel(id)?.state, 'established', `server tunnel ${id} got our StopCCN`);
    }
    assert.ok(lg.sessions.every((s) => s.state === 'down'), 'every session ended after being up');
  } finally {
    lg?.destroy();
    await lns?.stop();
  }
});

test('idle LNS, at least 3 tunnels: 6 sessions → 3 tunnels of 2; 3 more → the same tunnels, 3 each', { timeout: 30_000 }, async () => {
  let lns: TestLns | undefined;
  let lg: L2tpLoadgen | undefined;
  try {
    lns = await startTestLns({ users: USERS });
    lg = loadgen(lns.port, 10, 24, 3);
    const r = await lg.open(6, { concurrency: 6, timeoutMs: 20_000 });
    assert.equal(r.up, 6);
    const count = (): number[] => {
      const m = new Map<number, number>();
      for (const s of lg!.sessions) if (s.state === 'up') m.set(s.tunnelId!, (m.get(s.tunnelId!) ?? 0) + 1);
      return [...m.values()];
    };
    assert.deepEqual(count(), [2, 2, 2]);
    const r2 = await lg.open(3, { concurrency: 3, timeoutMs: 20_000 });
    assert.equal(r2.up, 3);
    assert.deepEqual(count(), [3, 3, 3]);
    assert.equal(lg.counters.tunnelsOpened, 3);
    assert.equal(lns.service.stats.tunnelsUp, 3);
  } finally {
    lg?.destroy();
    await lns?.stop();
  }
});

test('LNS limit of 4 calls per tunnel: 6 sessions in one tunnel → 4 up, 2 refused with a CDN', { timeout: 30_000 }, async () => {
  let lns: TestLns | undefined;
  let lg: L2tpLoadgen | undefined;
  try {
    lns = await startTestLns({ users: USERS, config: { limits: { maxSessionsPerTunnel: 4 } } });
    lg = loadgen(lns.port, 6, 22);
    const r = await lg.open(6, { concurrency: 6, timeoutMs: 10_000 });
    assert.equal(r.up, 4);
    assert.equal(r.failed, 2);
    assert.equal(lg.tunnelCount, 1);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, /^call refused by the server \(peer sent CDN/);
    assert.equal(lns.service.linkCount, 4);
  } finally {
    lg?.destroy();
    await lns?.stop();
  }
});

test('silent server: 3 sessions with a 300 ms timeout → all fail with the timeout reason within the bound', { timeout: 10_000 }, async () => {
  // A bound socket that never answers: the SCCRQ goes out and nothing comes back.
  const { createSocket } = await import('node:dgram');
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const lg = loadgen(sink.address().port, 10, 23);
  try {
    const t0 = Date.now();
    const r = await lg.open(3, { timeoutMs: 300 });
    assert.ok(Date.now() - t0 < 3_000, 'bounded by the session timeout');
    assert.equal(r.up, 0);
    assert.equal(r.failed, 3);
    assert.deepEqual(r.errors, ['no link after 300 ms']);
    assert.ok(lg.sessions.every((s) => s.state === 'failed'));
  } finally {
    lg.destroy();
    sink.close();
  }
});
