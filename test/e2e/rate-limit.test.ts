/**
 * Per-user rate limits end to end: alice (PPTP) has rateLimits.users 2 Mbit/s
 * each way, bob (L2TP) none, on one server. A TCP transfer through alice's
 * session runs at most 2 Mbit/s + 15 % both ways (and not starved) (the token bucket polices, TCP
 * backs off), the drops show in /metrics, and bob's transfer in the same run
 * is not held to that rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../io/netns.js';
import { e2eRun, fetchMetrics, metricValue, tcpTransfer, type ServerConfigOpts } from './harness.js';

const skip = netnsSkipReason();

const RATE_BPS = 2_000_000;
/** About 5 s at the limit. */
const BYTES = 1_250_000;

const mbps = (r: { received: number; ms: number }): number => (r.received * 8) / (r.ms / 1000) / 1e6;

test('rateLimits.users alice 2M/2M: TCP through alice\'s session at most 2 Mbit/s + 15 % both ways (and not starved), drops in /metrics; bob unlimited in the same run', { skip, timeout: 150_000 }, async () => {
  const cfg: ServerConfigOpts = {
    listen: '0.0.0.0',
    local: '192.168.86.1',
    ranges: ['192.168.86.10-192.168.86.20'],
    users: [
      ['alice', 'pw alice'],
      ['bob', 'pw bob'],
    ],
    extra: {
      listen: { pptp: { addresses: ['0.0.0.0'] }, l2tp: { addresses: ['0.0.0.0'] } },
      rateLimits: { users: { alice: { up: '2M', down: '2M' } } },
    },
  };
  await e2eRun(cfg, async (e2e) => {
    const s = e2e.lab.ns();
    const c1 = e2e.lab.ns();
    const c2 = e2e.lab.ns();
    e2e.lab.link(s, 'veth-s1', '10.206.1.1/24', c1, 'veth-c1', '10.206.1.2/24');
    e2e.lab.link(s, 'veth-s2', '10.206.2.1/24', c2, 'veth-c2', '10.206.2.2/24');
    const { server, api } = await e2e.serveWithApi(s);
    await server.waitFor(/serving on pptp 0\.0\.0\.0:1723, l2tp 0\.0\.0\.0:1701/);
    const alice = await e2e.connect(c1, 'pptp://alice@10.206.1.1', 'trl1', 'pw alice');
    const bob = await e2e.connect(c2, 'l2tp://bob@10.206.2.1', 'trl2', 'pw bob');
    await server.waitFor(/rate limit up 2 Mbit\/s, down 2 Mbit\/s \(rateLimits\.users\[\\?"alice\\?"\]\)/);

    const down = await tcpTransfer(c1, s, alice.address, 5101, BYTES);
    const up = await tcpTransfer(s, c1, '192.168.86.1', 5102, BYTES);
    const free = await tcpTransfer(c2, s, bob.address, 5103, BYTES);
    const [d, u, f] = [mbps(down), mbps(up), mbps(free)];
    process.stderr.write(`rate-limit e2e: alice down ${d.toFixed(2)} Mbit/s, up ${u.toFixed(2)} Mbit/s; bob down ${f.toFixed(2)} Mbit/s\n`);
    for (const [what, v] of [['down', d], ['up', u]] as const) {
      assert.equal((what === 'down' ? down : up).received, BYTES);
      // The policer never passes more than the rate (+ its burst): the upper bound is the property.
      // Below, only that it does not starve the session (a loaded CI machine slows TCP on its own).
      assert.ok(v <= 1.15 * (RATE_BPS / 1e6) && v >= 0.5 * (RATE_BPS / 1e6), `alice ${what}: ${v.toFixed(2)} Mbit/s, expected at most 2.3 and not starved`);
    }
    assert.ok(f > 2 * (RATE_BPS / 1e6), `bob is not limited: ${f.toFixed(2)} Mbit/s`);

    const m = await fetchMetrics(api);
    assert.ok(metricValue(m, 'tunppp_rate_limited_total{direction="out"}') > 0, 'downstream drops counted');
    assert.ok(metricValue(m, 'tunppp_rate_limited_total{direction="in"}') > 0, 'upstream drops counted');
  });
});
