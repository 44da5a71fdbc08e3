/**
 * One `tunppp serve` with PPTP and L2TP on at once: a PPTP client and an L2TP
 * client in their own namespaces get distinct addresses from the one pool,
 * share the one TUN device, and both reach the server (and the server them)
 * until each disconnects cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, writeServerConfig } from './harness.js';

const skip = netnsSkipReason();

test('pptp + l2tp on one server: one pool, one TUN, both clients up, pings both ways, clean disconnects', { skip, timeout: 120_000 }, async () => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({
    listen: '0.0.0.0',
    local: '192.168.85.1',
    ranges: ['192.168.85.10-192.168.85.20'],
    users: [
      ['gus', 'pw gus'],
      ['hal', 'pw hal'],
    ],
    extra: { listen: { pptp: { addresses: ['0.0.0.0'] }, l2tp: { addresses: ['0.0.0.0'] } } },
  });
  const procs: Proc[] = [];
  try {
    const s = lab.ns();
    const c1 = lab.ns();
    const c2 = lab.ns();
    lab.link(s, 'veth-s1', '10.205.1.1/24', c1, 'veth-c1', '10.205.1.2/24');
    lab.link(s, 'veth-s2', '10.205.2.1/24', c2, 'veth-c2', '10.205.2.2/24');
    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on pptp 0\.0\.0\.0:1723, l2tp 0\.0\.0\.0:1701/);
    const pptp = new Proc(c1, ['connect', 'pptp://gus@10.205.1.1', '--tun', 'tmc1'], { TUNPPP_PASSWORD: 'pw gus' });
    procs.push(pptp);
    const l2tp = new Proc(c2, ['connect', 'l2tp://hal@10.205.2.1', '--tun', 'tmc2', '--mppe', 'require'], { TUNPPP_PASSWORD: 'pw hal' });
    procs.push(l2tp);
    const a = await pptp.waitFor(/connected: address (\S+) \(server (\S+)\) on \S+, MTU \d+, MPPE 128-bit/);
    const b = await l2tp.waitFor(/connected: address (\S+) \(server (\S+)\) on \S+, MTU \d+, MPPE 128-bit/);
    assert.notEqual(a[1], b[1], 'distinct addresses from the one pool');
    assert.equal(a[2], '192.168.85.1');
    assert.equal(b[2], '192.168.85.1');
    for (const [ns, peer] of [
      [c1, '192.168.85.1'],
      [c2, '192.168.85.1'],
      [s, a[1]!],
      [s, b[1]!],
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
  } catch (err) {
    appendProcLogs(err, procs);
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    lab.cleanup();
    cfg.cleanup();
  }
});
