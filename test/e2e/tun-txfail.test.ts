/**
 * A PPTP session while the server's TUN refuses writes: `tunppp serve --api`
 * and `tunppp connect` in two namespaces; the server's TUN is set down, so
 * the kernel refuses what the client sends (EIO) and /metrics counts it as
 * tunppp_drops_total{source="tun",reason="tx-failed"}; the session stays up,
 * and once the device is up again pings go through both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { netnsSkipReason, run } from '../io/netns.js';
import { e2eRun, fetchMetrics, metricValue } from './harness.js';

const skip = netnsSkipReason();

const txFailed = (m: string): number => metricValue(m, 'tunppp_drops_total{source="tun",reason="tx-failed"}');

test('pptp session: server TUN down → client packets refused, counted as tun tx-failed, session stays up; TUN up → pings both ways', { skip, timeout: 90_000 }, async () => {
  await e2eRun({ listen: '10.201.0.1', local: '192.168.78.1', ranges: ['192.168.78.10-192.168.78.20'], users: [['alice', 'correct horse']] }, async (e2e) => {
    const s = e2e.lab.ns();
    const c = e2e.lab.ns();
    e2e.lab.link(s, 'veth-s', '10.201.0.1/24', c, 'veth-c', '10.201.0.2/24');
    const { server, api } = await e2e.serveWithApi(s);
    const tunName = (await server.waitFor(/; TUN (\S+) 192\.168\.78\.1\//))[1]!;
    const { client, address } = await e2e.connect(c, 'pptp://alice@10.201.0.1', 'tpc1', 'correct horse');
    assert.equal(address, '192.168.78.10');
    run('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);
    assert.equal(txFailed(await fetchMetrics(api)), 0);

    e2e.lab.ip(s, 'link', 'set', 'dev', tunName, 'down');
    const down = spawnSync('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '192.168.78.1'], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(down.status, 0, `ping through a down TUN must fail:\n${down.stdout}`);
    const during = await fetchMetrics(api);
    assert.ok(txFailed(during) >= 3, `tx-failed while down: ${txFailed(during)}`);
    assert.match(during, /^tunppp_sessions\{protocol="pptp",state="up"\} 1$/m);

    e2e.lab.ip(s, 'link', 'set', 'dev', tunName, 'up');
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.78.10'], 20_000);
    const after = await fetchMetrics(api);
    assert.equal(txFailed(after), txFailed(during), 'no refusals once the device is up');
    assert.match(after, /^tunppp_sessions\{protocol="pptp",state="up"\} 1$/m);
    assert.doesNotMatch(server.err + client.err, /link down/);
    assert.equal(await client.stop('SIGINT'), 0);
  });
});
