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
import { join } from 'node:path';
import { apiRequest } from '../../src/api/client.js';
import { readToken } from '../../src/api/token.js';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, writeServerConfig } from './harness.js';

const skip = netnsSkipReason();

test('pptp session: server TUN down → client packets refused, counted as tun tx-failed, session stays up; TUN up → pings both ways', { skip, timeout: 90_000 }, async () => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({ listen: '10.201.0.1', local: '192.168.78.1', ranges: ['192.168.78.10-192.168.78.20'], users: [['alice', 'correct horse']] });
  const procs: Proc[] = [];
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.201.0.1/24', c, 'veth-c', '10.201.0.2/24');
    const sock = join(cfg.dir, 'api.sock');
    const tokenFile = join(cfg.dir, 'api-token');
    const server = new Proc(s, ['serve', '--config', cfg.config, '--api-listen', sock, '--api-token-file', tokenFile]);
    procs.push(server);
    const tunName = (await server.waitFor(/; TUN (\S+) 192\.168\.78\.1\//))[1]!;
    await server.waitFor(/API listening on /);
    const client = new Proc(c, ['connect', 'pptp://alice@10.201.0.1', '--tun', 'tpc1'], { TUNPPP_PASSWORD: 'correct horse' });
    procs.push(client);
    await client.waitFor(/connected: address 192\.168\.78\.10 /);
    const metrics = async (): Promise<string> => (await apiRequest({ listen: { kind: 'unix', path: sock }, token: await readToken(tokenFile) }, 'GET', '/metrics')).body;
    const txFailed = (m: string): number => Number(/^tunppp_drops_total\{source="tun",reason="tx-failed"\} (\d+)$/m.exec(m)?.[1]);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);
    assert.equal(txFailed(await metrics()), 0);

    lab.ip(s, 'link', 'set', 'dev', tunName, 'down');
    const down = spawnSync('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '192.168.78.1'], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(down.status, 0, `ping through a down TUN must fail:\n${down.stdout}`);
    const during = await metrics();
    assert.ok(txFailed(during) >= 3, `tx-failed while down: ${txFailed(during)}`);
    assert.match(during, /^tunppp_sessions\{protocol="pptp",state="up"\} 1$/m);

    lab.ip(s, 'link', 'set', 'dev', tunName, 'up');
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.78.10'], 20_000);
    const after = await metrics();
    assert.equal(txFailed(after), txFailed(during), 'no refusals once the device is up');
    assert.match(after, /^tunppp_sessions\{protocol="pptp",state="up"\} 1$/m);
    assert.doesNotMatch(server.err + client.err, /link down/);
    assert.equal(await client.stop('SIGINT'), 0);
  } catch (err) {
    appendProcLogs(err, procs);
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    lab.cleanup();
    cfg.cleanup();
  }
});
