/**
 * `tunppp connect --reconnect` end to end: the server is killed (SIGKILL, no
 * goodbye) under a connected client and started again; the client notices,
 * prints a retry line per attempt, connects again with a fresh TUN, and
 * traffic flows through the tunnel again. Ctrl-C then ends it with exit 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason, run } from '../io/netns.js';
import { countMatches as count, e2eRun } from './harness.js';

const skip = netnsSkipReason();

test('pptp --reconnect: server killed and restarted → client retries, connects again, ping works; SIGINT → exit 0', { skip, timeout: 120_000 }, async () => {
  await e2eRun({ listen: '10.201.0.1', local: '192.168.78.1', ranges: ['192.168.78.10-192.168.78.20'], users: [['alice', 'correct horse']] }, async (e2e) => {
    const s = e2e.lab.ns();
    const c = e2e.lab.ns();
    e2e.lab.link(s, 'veth-s', '10.201.0.1/24', c, 'veth-c', '10.201.0.2/24');
    const server1 = e2e.serve(s);
    await server1.waitFor(/serving on pptp 10\.201\.0\.1:1723/);
    // a short keepalive is not needed: the kernel closes the dead server's TCP connection
    const { client, address, serverAddress, tun } = await e2e.connect(c, 'pptp://alice@10.201.0.1', 'tpr0', 'correct horse', ['--reconnect', '--max-retries', '20']);
    assert.deepEqual([address, serverAddress, tun], ['192.168.78.10', '192.168.78.1', 'tpr0']);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);

    // the server dies without a word
    assert.equal(await server1.stop('SIGKILL'), null);
    await client.waitFor(/disconnected: (control connection closed|call cleared by the server)/);
    await client.waitFor(/reconnecting in \d+\.\d s \(attempt 1 of 20\)/);
    // while the server is down the attempts fail and back off; the TUN of the dead link is gone
    assert.doesNotMatch(run('ip', ['netns', 'exec', c, 'ip', '-o', 'link'], 5000), /tpr0/);

    const server2 = e2e.serve(s);
    await server2.waitFor(/serving on pptp 10\.201\.0\.1:1723/);
    const t0 = Date.now();
    for (;;) {
      if (count(/connected: address /, client.out) >= 2) break;
      if (client.exitCode !== undefined) throw new Error(`client exited (${client.exitCode})`);
      if (Date.now() - t0 > 45_000) throw new Error('client did not reconnect within 45 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(client.out, /connected: address 192\.168\.78\.\d+ \(server 192\.168\.78\.1\) on tpr0[^\n]*\n[^]*connected: address 192\.168\.78\.\d+ \(server 192\.168\.78\.1\) on tpr0/);
    assert.ok(count(/reconnecting in /, client.err) >= 1);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);

    // Ctrl-C while connected: tells the server, exits 0
    assert.equal(await client.stop('SIGINT'), 0);
    assert.match(client.err, /disconnected: user request/);
    await server2.waitFor(/link down: /);
  });
});

test('--reconnect: wrong password → not retried, exit 1', { skip, timeout: 60_000 }, async () => {
  await e2eRun({ listen: '10.202.0.1', local: '192.168.79.1', ranges: ['192.168.79.10-192.168.79.20'], users: [['alice', 'correct horse']] }, async (e2e) => {
    const s = e2e.lab.ns();
    const c = e2e.lab.ns();
    e2e.lab.link(s, 'veth-s', '10.202.0.1/24', c, 'veth-c', '10.202.0.2/24');
    const server = e2e.serve(s);
    await server.waitFor(/serving on pptp 10\.202\.0\.1:1723/);
    const client = e2e.start(c, ['connect', 'pptp://alice@10.202.0.1', '--tun', 'tpr1', '--reconnect'], { TUNPPP_PASSWORD: 'battery staple' });
    const t0 = Date.now();
    while (client.exitCode === undefined && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.exitCode, 1);
    assert.match(client.err, /authentication failed/);
    assert.match(client.err, /not reconnecting/);
    assert.doesNotMatch(client.err, /reconnecting in/);
  });
});
