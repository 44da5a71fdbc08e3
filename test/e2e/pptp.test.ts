/**
 * PPTP end to end: `tunppp serve` and `tunppp connect` as real processes in
 * two network namespaces, MS-CHAPv2 + MPPE-128 (the default policy), ping and
 * TCP through the tunnel both ways, then a clean disconnect. The server's
 * TUN runs with offloads (TSO super-packets cut to the link, segments merged
 * before the write): /metrics shows both happened on the TCP transfers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiRequest } from '../../src/api/client.js';
import { readToken } from '../../src/api/token.js';
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
    const sock = join(cfg.dir, 'api.sock');
    const tokenFile = join(cfg.dir, 'api-token');
    const server = new Proc(s, ['serve', '--config', cfg.config, '--api-listen', sock, '--api-token-file', tokenFile]);
    procs.push(server);
    await server.waitFor(/serving on pptp 10\.200\.0\.1:1723/);
    await server.waitFor(/API listening on /);
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
    // TUN offloads were used both ways (TUNPPP_TUN_OFFLOADS=0 would turn them off).
    if (process.env['TUNPPP_TUN_OFFLOADS'] !== '0') {
      const metrics = (await apiRequest({ listen: { kind: 'unix', path: sock }, token: await readToken(tokenFile) }, 'GET', '/metrics')).body;
      const count = (kind: string): number => Number(new RegExp(`^tunppp_tun_offload_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
      assert.ok(count('gso-read') > 0 && count('gso-segments') > count('gso-read'), `TSO reads: ${count('gso-read')}, segments ${count('gso-segments')}`);
      assert.ok(count('gro-merged') > 0, `GRO merges: ${count('gro-merged')}`);
      assert.match(metrics, /^tunppp_drops_total\{source="tun",reason="offload-malformed"\} 0$/m);
    }
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
