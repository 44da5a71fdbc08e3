/**
 * Issue 12, finding 8, black-box: a legitimate PPTP client with IPV6CP sends
 * IPv6 through its own tunnel from an address that is not its link-local
 * one (an address its own kernel owns, put on its TUN for the purpose, so no
 * raw socket is needed). The server drops every such packet and counts it as
 * spoofed-source; the client's own link-local traffic still passes, and so
 * do its IPv4 pings.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../io/netns.js';
import { fetchMetrics, metricValue } from '../e2e/harness.js';
import { hostileRun } from './net/harness.js';

const skip = netnsSkipReason();
const SPOOFED = 'tunppp_drops_total{source="server",reason="spoofed-source"}';

/** `ping -6` from `ns` to `dst` (scoped to `dev`), from `source` when given: the addresses that answered. */
function ping6(ns: string, dev: string, dst: string, source?: string): string[] {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-6', '-n', '-c', '3', '-i', '0.2', '-W', '1', ...(source ? ['-I', source] : []), `${dst}%${dev}`], { encoding: 'utf8', timeout: 20_000 });
  return [...r.stdout.matchAll(/ bytes from ([0-9a-f:]+)/g)].map((m) => m[1]!);
}

test('IPv6 through a tunnel from any source but the link-local address IPV6CP gave → dropped and counted as spoofed-source; the session lives', { skip, timeout: 90_000 }, async () => {
  await hostileRun({ protocols: ['pptp'], extra: { ppp: { ipv6: true } } }, async (h) => {
    const legit = await h.legit('pptp', ['--ipv6']);
    // The server's end of the link, as the client logged it ("local  LL address …, remote LL address …").
    const m = await legit.client.waitFor(/local {2}LL address (fe80::[0-9a-f:]+), remote LL address (fe80::[0-9a-f:]+)/);
    const own = m[1]!;
    const server = m[2]!;
    // The link-local exchange works (and proves IPv6 reaches the server at all).
    assert.equal(ping6(h.c, legit.tun, server).length, 3, `unicast ping6 ${own} → ${server}`);
    const ip = (ns: string, ...args: string[]): string => h.run.lab.ip(ns, ...args);
    const before = metricValue(await fetchMetrics(h.api), SPOOFED);
    ip(h.c, '-6', 'addr', 'add', '2001:db8:66::66/128', 'dev', legit.tun, 'nodad');
    assert.deepEqual(ping6(h.c, legit.tun, server, '2001:db8:66::66'), [], 'no answer to a spoofed source');
    const after = metricValue(await fetchMetrics(h.api), SPOOFED);
    assert.ok(after - before >= 3, `spoofed-source drops: ${before} → ${after}`);
    await legit.watch.assertAlive();
  });
});
