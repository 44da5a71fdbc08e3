/**
 * `serve --masquerade IFACE --user NAME` end to end: a client namespace, the
 * server namespace, and an "internet" namespace that has no route back to
 * the pool. The client reaches the internet host only through the NAT rule;
 * the server runs as NAME after start; the nftables table goes at exit, and
 * also when the server is killed (the table is owned by the nft child).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { e2eRun } from './harness.js';

function nftSkipReason(): string | undefined {
  const r = spawnSync('nft', ['--version'], { encoding: 'utf8', timeout: 5000 });
  return r.error || r.status !== 0 ? "needs the 'nft' command (Debian package nftables)" : undefined;
}

const skip = netnsSkipReason() ?? nftSkipReason();

function nftTables(lab: NetnsLab, ns: string): string {
  return lab.exec(ns, 'nft', 'list', 'tables');
}

async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('nat e2e: --masquerade out of the server\'s uplink, --user nobody; table removed at exit and when killed', { skip, timeout: 120_000 }, async () => {
  await e2eRun({ listen: '10.203.0.1', local: '192.168.79.1', ranges: ['192.168.79.10-192.168.79.20'], users: [['alice', 'correct horse']] }, async (e2e) => {
    const lab = e2e.lab;
    const s = lab.ns();
    const c = lab.ns();
    const x = lab.ns();
    lab.link(s, 'veth-s', '10.203.0.1/24', c, 'veth-c', '10.203.0.2/24');
    lab.link(s, 'up-s', '10.204.0.1/24', x, 'up-x', '10.204.0.2/24');
    assert.equal(lab.exec(s, 'cat', '/proc/sys/net/ipv4/ip_forward').trim(), '0');
    const nobody = run('getent', ['passwd', 'nobody']).split(':');
    const server = e2e.serve(s, ['--masquerade', 'up-s', '--user', 'nobody']);
    await server.waitFor(/serving on pptp 10\.203\.0\.1:1723/);
    await server.waitFor(/running as nobody/);
    assert.match(server.err, /NAT: 192\.168\.79\.0\/2\d masqueraded out of up-s/);
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${nobody[2]}\\s+${nobody[2]}\\s+${nobody[2]}\\s+${nobody[2]}$`, 'm'));
    assert.match(status, new RegExp(`^Gid:\\s+${nobody[3]}\\s`, 'm'));
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.equal(lab.exec(s, 'cat', '/proc/sys/net/ipv4/ip_forward').trim(), '1');
    const table = lab.exec(s, 'nft', 'list', 'table', 'ip', 'tunppp');
    assert.match(table, /flags owner/);
    assert.match(table, /oifname "up-s" ip saddr 192\.168\.79\.0\/2\d counter packets \d+ bytes \d+ masquerade/);

    // A session after the privilege drop: the listener, GRE and TUN still work.
    const { client, address } = await e2e.connect(c, 'pptp://alice@10.203.0.1', 'tpn0', 'correct horse');
    assert.equal(address, '192.168.79.10');
    lab.ip(c, 'route', 'add', '10.204.0.0/24', 'dev', 'tpn0');
    // The internet host has no route to 192.168.79.0/24: replies come back only through the NAT.
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.204.0.2'], 20_000);
    const counted = /counter packets (\d+)/.exec(lab.exec(s, 'nft', 'list', 'table', 'ip', 'tunppp'));
    assert.ok(Number(counted?.[1]) >= 1, 'the masquerade rule matched');

    assert.equal(await server.stop('SIGTERM'), 0);
    assert.doesNotMatch(nftTables(lab, s), /tunppp/, 'table removed at exit');
    await client.stop('SIGTERM');

    // Killed: the kernel drops the owned table when the nft child's socket closes.
    const killed = e2e.serve(s, ['--masquerade', 'up-s']);
    await killed.waitFor(/NAT: /);
    assert.match(nftTables(lab, s), /table ip tunppp/);
    await killed.stop('SIGKILL');
    await until('the table to go after SIGKILL', () => !/tunppp/.test(nftTables(lab, s)));

    // A bad interface name is refused before anything is changed.
    const bad = e2e.serve(s, ['--masquerade', 'no such if']);
    await until('the bad --masquerade to exit', () => bad.exitCode !== undefined, 20_000);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.err, /not an interface name/);
  });
});
