/**
 * Finding 2, black-box: a host off the path (the attacker namespace, from its
 * own address) sends a ZLB and a HELLO with every Tunnel ID at the server.
 * The legitimate L2TP session keeps passing pings, the server sends the
 * attacker nothing, its session still belongs to the client's address, and
 * the forged messages are counted in /metrics (wrong-source for the live
 * tunnel, unknown-tunnel for the rest). The same attack at the client (LAC)
 * side leaves its tunnel alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest } from '../../src/api/client.js';
import type { SessionInfo } from '../../src/api/types.js';
import { fetchMetrics, metricValue } from '../e2e/harness.js';
import { netnsSkipReason } from '../io/netns.js';
import { CLIENT_IP, hostileRun, SERVER_IP } from './net/harness.js';

const skip = netnsSkipReason();

test('L2TP hijack: ZLBs and HELLOs with every Tunnel ID from the attacker → the legitimate tunnel keeps its peer and passes pings; drops counted', { skip, timeout: 120_000 }, async () => {
  await hostileRun({ protocols: ['l2tp'] }, async (h) => {
    const legit = await h.legit('l2tp');
    const r = await h.attack('test/hostile/net/attacks/l2tp-hijack.ts', [SERVER_IP], 60_000);
    const m = /SENT zlb=(\d+) hello=(\d+) RECEIVED (\d+)/.exec(r.out);
    assert.ok(m, `attack output: ${r.out} ${r.err}`);
    assert.equal(Number(m[1]), 65535);
    assert.equal(Number(m[3]), 0, 'the server sent nothing to the attacker');
    await legit.watch.assertAlive();
    const sessions = JSON.parse((await apiRequest(h.api, 'GET', '/sessions')).body) as SessionInfo[];
    assert.deepEqual(sessions.map((s) => [s.protocol, s.state, s.clientAddress]), [['l2tp', 'up', CLIENT_IP]]);
    const metrics = await fetchMetrics(h.api);
    assert.equal(metricValue(metrics, 'tunppp_drops_total{source="l2tp",reason="wrong-source"}'), 2, 'the ZLB and the HELLO for the live tunnel');
    assert.ok(metricValue(metrics, 'tunppp_drops_total{source="l2tp",reason="unknown-tunnel"}') >= 2 * 65534 * 0.99, 'the rest: no such tunnel');
  });
});

test('L2TP hijack of the client side: ZLBs and HELLOs with every Tunnel ID at the LAC\'s port 1701 → its tunnel keeps the server as peer and passes pings', { skip, timeout: 120_000 }, async () => {
  await hostileRun({ protocols: ['l2tp'] }, async (h) => {
    const legit = await h.legit('l2tp');
    const r = await h.attack('test/hostile/net/attacks/l2tp-hijack.ts', [CLIENT_IP], 60_000);
    const m = /SENT zlb=(\d+) hello=(\d+) RECEIVED (\d+)/.exec(r.out);
    assert.ok(m, `attack output: ${r.out} ${r.err}`);
    assert.equal(Number(m[3]), 0, 'the client sent nothing to the attacker');
    await legit.watch.assertAlive();
  });
});
