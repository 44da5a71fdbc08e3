/**
 * One `tunppp serve` with PPTP and L2TP on at once: a PPTP client and an L2TP
 * client in their own namespaces get distinct addresses from the one pool,
 * share the one TUN device, and both reach the server (and the server them)
 * until each disconnects cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason, run } from '../io/netns.js';
import { e2eRun, type ServerConfigOpts } from './harness.js';

const skip = netnsSkipReason();

test('pptp + l2tp on one server: one pool, one TUN, both clients up, pings both ways, clean disconnects', { skip, timeout: 120_000 }, async () => {
  const cfg: ServerConfigOpts = {
    listen: '0.0.0.0',
    local: '192.168.85.1',
    ranges: ['192.168.85.10-192.168.85.20'],
    users: [
      ['gus', 'pw gus'],
      ['hal', 'pw hal'],
    ],
    extra: { listen: { pptp: { addresses: ['0.0.0.0'] }, l2tp: { addresses: ['0.0.0.0'] } } },
  };
  await e2eRun(cfg, async (e2e) => {
    const s = e2e.lab.ns();
    const c1 = e2e.lab.ns();
    const c2 = e2e.lab.ns();
    e2e.lab.link(s, 'veth-s1', '10.205.1.1/24', c1, 'veth-c1', '10.205.1.2/24');
    e2e.lab.link(s, 'veth-s2', '10.205.2.1/24', c2, 'veth-c2', '10.205.2.2/24');
    const server = e2e.serve(s);
    await server.waitFor(/serving on pptp 0\.0\.0\.0:1723, l2tp 0\.0\.0\.0:1701/);
    const [a, b] = await Promise.all([
      e2e.connect(c1, 'pptp://gus@10.205.1.1', 'tmc1', 'pw gus'),
      e2e.connect(c2, 'l2tp://hal@10.205.2.1', 'tmc2', 'pw hal', ['--mppe', 'require']),
    ]);
    const [pptp, l2tp] = [a.client, b.client];
    for (const x of [a, b]) assert.match(x.mppe ?? '', /^128-bit/);
    assert.notEqual(a.address, b.address, 'distinct addresses from the one pool');
    assert.equal(a.serverAddress, '192.168.85.1');
    assert.equal(b.serverAddress, '192.168.85.1');
    for (const [ns, peer] of [
      [c1, '192.168.85.1'],
      [c2, '192.168.85.1'],
      [s, a.address],
      [s, b.address],
    ] as const) {
      run('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', peer], 20_000);
    }
    assert.equal(await l2tp.stop('SIGINT'), 0);
    await server.waitFor(/Tunnel \d+ to 10\.205\.2\.2:\d+ closed: peer sent StopCCN/);
    // The PPTP client is unaffected by the L2TP client leaving.
    run('ip', ['netns', 'exec', c1, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.85.1'], 20_000);
    assert.equal(await pptp.stop('SIGINT'), 0);
    assert.match(pptp.err, /disconnected: user request/);
    assert.match(l2tp.err, /disconnected: user request/);
  });
});
