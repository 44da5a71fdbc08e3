/**
 * PPTP end to end: `tunppp serve` and `tunppp connect` as real processes in
 * two network namespaces, MS-CHAPv2 + MPPE-128 (the default policy), ping and
 * TCP through the tunnel both ways, then a clean disconnect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, tcpTransfer, writeServerConfig } from './harness.js';

const skip = netnsSkipReason();

test('pptp e2e: our client and server, MS-CHAPv2 + MPPE-128, ping and TCP both ways, clean disconnect', { skip, timeout: 120_000 }, async () => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({ listen: '10.200.0.1', local: '192.168.77.1', ranges: ['192.168.77.10-192.168.77.20'], users: [['alice', 'correct horse']] });
  const procs: Proc[] = [];
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.200.0.1/24', c, 'veth-c', '10.200.0.2/24');
    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on pptp 10\.200\.0\.1:1723/);
    const client = new Proc(c, ['connect', 'pptp://alice@10.200.0.1', '--tun', 'tpc0'], { TUNPPP_PASSWORD: 'correct horse' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+), MPPE (128-bit \w+)/);
    assert.equal(m[1], '192.168.77.10');
    assert.equal(m[2], '192.168.77.1');
    assert.match(server.err, /MS-CHAP-v2 peer alice authenticated/);
    // ping both ways through the tunnel
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.77.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.77.10'], 20_000);
    // a TCP transfer each way
    const up = await tcpTransfer(s, c, '192.168.77.1', 5001, 5_000_000);
    assert.equal(up.received, 5_000_000);
    const down = await tcpTransfer(c, s, '192.168.77.10', 5002, 5_000_000);
    assert.equal(down.received, 5_000_000);
    // Ctrl-C on the client tells the server
    assert.equal(await client.stop('SIGINT'), 0);
    await server.waitFor(/link down: .*Connect time/);
    assert.match(client.err, /disconnected: user request/);
  } catch (err) {
    appendProcLogs(err, procs);
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    lab.cleanup();
    cfg.cleanup();
  }
});
