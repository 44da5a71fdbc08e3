/**
 * Finding 5, black-box: one attacker address opens 7 L2TP tunnels × 16 calls
 * and 25 PPTP control connections × 4 calls (more than connections.max 100
 * for each protocol) and never authenticates. It keeps at most
 * limits.maxUnauthenticatedPerSource (8) sessions of each protocol, the rest
 * are refused and counted, and legitimate users from the client namespace
 * still connect over both protocols and pass pings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest } from '../../src/api/client.js';
import type { SessionInfo } from '../../src/api/types.js';
import { fetchMetrics, metricValue } from '../e2e/harness.js';
import { netnsSkipReason } from '../io/netns.js';
import { ATTACKER_IP, hostileRun, SERVER_IP } from './net/harness.js';

const skip = netnsSkipReason();

test('unauthenticated sessions from one address: at most 8 per protocol; legitimate PPTP and L2TP users still connect', { skip, timeout: 150_000 }, async () => {
  await hostileRun({}, async (h) => {
    const attack = h.attack('test/hostile/net/attacks/unauth-sessions.ts', [SERVER_IP, '25', '7', '16', '25'], 90_000);
    // Wait until the attacker's sessions stop growing (at most 15 s).
    let last = -1;
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const n = (JSON.parse((await apiRequest(h.api, 'GET', '/sessions')).body) as SessionInfo[]).filter((s) => s.clientAddress === ATTACKER_IP).length;
      if (n > 0 && n === last) break;
      last = n;
    }
    const l2tp = await h.legit('l2tp');
    const pptp = await h.legit('pptp', [], ['mallory', 'mallory-pw']);
    const sessions = JSON.parse((await apiRequest(h.api, 'GET', '/sessions')).body) as SessionInfo[];
    const held = (p: string): number => sessions.filter((s) => s.clientAddress === ATTACKER_IP && s.protocol === p).length;
    assert.ok(held('l2tp') <= 8, `${held('l2tp')} unauthenticated L2TP sessions held by one address`);
    assert.ok(held('pptp') <= 8, `${held('pptp')} unauthenticated PPTP calls held by one address`);
    const r = await attack;
    const m = /L2TP up (\d+) refused (\d+) PPTP connected (\d+) disconnected (\d+)/.exec(r.out);
    assert.ok(m, `attack output: ${r.out} ${r.err}`);
    const [l2tpUp, l2tpRefused, pptpUp, pptpDown] = m.slice(1).map(Number) as [number, number, number, number];
    assert.ok(l2tpUp >= 100, `the attacker placed ${l2tpUp} L2TP calls`);
    assert.ok(l2tpUp - l2tpRefused <= 8, `L2TP: ${l2tpUp} up, ${l2tpRefused} refused`);
    assert.ok(pptpUp > 8, `the attacker connected ${pptpUp} PPTP calls (more than the limit, or the limit was never tried)`);
    assert.ok(pptpUp - pptpDown <= 8, `PPTP: ${pptpUp} connected, ${pptpDown} disconnected`);
    await l2tp.watch.assertAlive();
    await pptp.watch.assertAlive();
    const refused = metricValue(await fetchMetrics(h.api), 'tunppp_refusals_total{reason="too-many-unauthenticated-from-source"}');
    assert.ok(refused >= l2tpRefused + (pptpUp - 8), `${refused} refusals counted for ${l2tpRefused} L2TP and ${pptpUp - 8} PPTP over the limit`);
    console.log(`# attacker: L2TP ${l2tpUp} calls placed, ${l2tpRefused} refused; PPTP ${pptpUp} connected, ${pptpDown} disconnected; server counted ${refused} refusals`);
  });
});
