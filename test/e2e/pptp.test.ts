/**
 * PPTP end to end: `tunppp serve` and `tunppp connect` as real processes in
 * two network namespaces, MS-CHAPv2 + MPPE-128 (the default policy), ping and
 * TCP through the tunnel both ways, then a clean disconnect. The server's
 * TUN runs with offloads (TSO super-packets cut to the link, segments merged
 * before the write): /metrics shows both happened on the TCP transfers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason, run } from '../io/netns.js';
import { e2eRun, fetchMetrics, metricValue, tcpBothWays } from './harness.js';

const skip = netnsSkipReason();

test('pptp e2e: our client and server, MS-CHAPv2 + MPPE-128, ping and TCP both ways, clean disconnect', { skip, timeout: 120_000 }, async () => {
  await e2eRun({ listen: '10.200.0.1', local: '192.168.77.1', ranges: ['192.168.77.10-192.168.77.20'], users: [['alice', 'correct horse']] }, async (e2e) => {
    const s = e2e.lab.ns();
    const c = e2e.lab.ns();
    e2e.lab.link(s, 'veth-s', '10.200.0.1/24', c, 'veth-c', '10.200.0.2/24');
    const { server, api } = await e2e.serveWithApi(s);
    await server.waitFor(/serving on pptp 10\.200\.0\.1:1723/);
    const { client, address, serverAddress, mppe } = await e2e.connect(c, 'pptp://alice@10.200.0.1', 'tpc0', 'correct horse');
    assert.equal(address, '192.168.77.10');
    assert.equal(serverAddress, '192.168.77.1');
    assert.match(mppe ?? '', /^128-bit \w+/);
    assert.match(server.err, /MS-CHAP-v2 peer alice authenticated/);
    // ping both ways through the tunnel
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.77.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.77.10'], 20_000);
    // a TCP transfer each way
    await tcpBothWays(s, c, '192.168.77.1', '192.168.77.10', 5001, 5_000_000);
    // TUN offloads were used both ways (TUNPPP_TUN_OFFLOADS=0 would turn them off).
    if (process.env['TUNPPP_TUN_OFFLOADS'] !== '0') {
      const metrics = await fetchMetrics(api);
      const count = (kind: string): number => metricValue(metrics, `tunppp_tun_offload_total{kind="${kind}"}`);
      assert.ok(count('gso-read') > 0 && count('gso-segments') > count('gso-read'), `TSO reads: ${count('gso-read')}, segments ${count('gso-segments')}`);
      assert.ok(count('gro-merged') > 0, `GRO merges: ${count('gro-merged')}`);
      assert.match(metrics, /^tunppp_drops_total\{source="tun",reason="offload-malformed"\} 0$/m);
    }
    // Ctrl-C on the client tells the server
    assert.equal(await client.stop('SIGINT'), 0);
    await server.waitFor(/link down: .*Connect time/);
    assert.match(client.err, /disconnected: user request/);
  });
});
