/**
 * The classic pptpd layout: clients get addresses from the LAN (`localip`,
 * `remoteip` inside the LAN subnet) and `proxyarp` makes them appear on it.
 * Layout modelled on the Debian Administrator's Handbook's pptpd example
 * (localip .199, remoteip above it, proxyarp in pptpd-options), moved into
 * the test's LAN 192.168.77.0/24; the Handbook's numbers made a
 * 192.168.0.192/26 route on the TUN that took LAN hosts away.
 *
 * Namespaces: server (underlay 10.200.0.1, "LAN" veth 192.168.77.1/24),
 * client (10.200.0.2), LAN host (192.168.77.250). As with pppd: the TUN holds
 * the server address alone, the client gets a /32 route and a proxy ARP entry
 * on the LAN interface while connected, the LAN host reaches the client by
 * ARP, its own route is not taken, and after the disconnect both are gone.
 * Without proxyarp the same files are refused with the fix (serve and check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsSkipReason, run } from '../io/netns.js';
import { e2eRun, type E2eRun } from './harness.js';

const skip = netnsSkipReason();

/** pptpd.conf and its pppd options file in the run's directory; returns the pptpd.conf path. */
function writePptpd(e2e: E2eRun, proxyarp: boolean): string {
  const options = join(e2e.cfg.dir, 'pptpd-options');
  writeFileSync(options, ['name pptpd', 'refuse-pap', 'refuse-chap', 'refuse-mschap', 'require-mschap-v2', 'require-mppe-128', 'ms-dns 192.168.77.1', ...(proxyarp ? ['proxyarp'] : []), 'nodefaultroute', ''].join('\n'));
  const conf = join(e2e.cfg.dir, 'pptpd.conf');
  writeFileSync(conf, [`option ${options}`, 'listen 10.200.0.1', 'localip 192.168.77.199', 'remoteip 192.168.77.234-238', ''].join('\n'));
  return conf;
}

/** Server, client and LAN host namespaces, linked; forwarding on in the server (pppd's proxy ARP needs it too). */
function lab(e2e: E2eRun): { s: string; c: string; h: string } {
  const s = e2e.lab.ns();
  const c = e2e.lab.ns();
  const h = e2e.lab.ns();
  e2e.lab.link(s, 'veth-s', '10.200.0.1/24', c, 'veth-c', '10.200.0.2/24');
  e2e.lab.link(s, 'veth-lan', '192.168.77.1/24', h, 'veth-h', '192.168.77.250/24');
  e2e.lab.exec(s, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  return { s, c, h };
}

async function until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('proxyarp: LAN pool from pptpd.conf → /32 on the TUN, per-client route and proxy ARP, LAN host pings the client, all gone after', { skip, timeout: 120_000 }, async () => {
  await e2eRun({ listen: '10.200.0.1', local: '192.168.77.199', ranges: ['192.168.77.234-192.168.77.238'], users: [['alice', 'pw-alice']] }, async (e2e) => {
    const { s, c, h } = lab(e2e);
    // Left by a killed earlier run: a pool address (ours, removed at start) and another one (not ours, kept).
    e2e.lab.ip(s, 'neigh', 'add', 'proxy', '192.168.77.236', 'dev', 'veth-lan');
    e2e.lab.ip(s, 'neigh', 'add', 'proxy', '192.168.77.100', 'dev', 'veth-lan');
    const server = e2e.start(s, ['serve', '--pptpd-conf', writePptpd(e2e, true), '--chap-secrets', join(e2e.cfg.dir, 'chap-secrets')]);
    await server.waitFor(/serving on pptp 10\.200\.0\.1:1723; TUN (\S+) 192\.168\.77\.199\/32 .*proxy ARP on veth-lan/);
    const tun = /TUN (\S+) /.exec(server.err)![1]!;
    await until('the stale pool entry to go', () => !e2e.lab.ip(s, 'neigh', 'show', 'proxy').includes('192.168.77.236'));
    assert.match(server.err, /removed 1 proxy ARP entry for pool addresses left by an earlier run/);
    // The TUN holds the server address alone; the LAN host keeps its route.
    assert.match(e2e.lab.ip(s, '-4', 'addr', 'show', 'dev', tun), /inet 192\.168\.77\.199\/32 /);
    assert.match(e2e.lab.ip(s, 'route', 'get', '192.168.77.250'), /dev veth-lan/);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '1', '-W', '2', '192.168.77.250']);

    const { client, address } = await e2e.connect(c, 'pptp://alice@10.200.0.1', 'tpc0', 'pw-alice', ['--route', '192.168.77.0/24']);
    assert.equal(address, '192.168.77.234');
    await until('the client route and proxy entry', () => /192\.168\.77\.234 dev veth-lan/.test(e2e.lab.ip(s, 'neigh', 'show', 'proxy')) && e2e.lab.ip(s, 'route', 'show', '192.168.77.234').includes(`dev ${tun}`));
    // The LAN host reaches the client: the server answers ARP for it and forwards.
    run('ip', ['netns', 'exec', h, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.77.234'], 20_000);
    assert.match(e2e.lab.ip(h, 'neigh', 'show', '192.168.77.234'), /lladdr/);
    assert.match(e2e.lab.ip(s, 'route', 'get', '192.168.77.250'), /dev veth-lan/);

    assert.equal(await client.stop('SIGINT'), 0);
    await server.waitFor(/link down: .*Connect time/);
    await until('the proxy entry and route to go', () => !e2e.lab.ip(s, 'neigh', 'show', 'proxy').includes('192.168.77.234') && e2e.lab.ip(s, 'route', 'show', '192.168.77.234').trim() === '');
    // A client still connected when the server stops: its proxy entry goes with the server.
    const again = await e2e.connect(c, 'pptp://alice@10.200.0.1', 'tpc0', 'pw-alice', ['--route', '192.168.77.0/24']);
    await until('the second proxy entry', () => e2e.lab.ip(s, 'neigh', 'show', 'proxy').includes(`${again.address} dev veth-lan`));
    assert.equal(await server.stop('SIGTERM'), 0);
    assert.equal(e2e.lab.ip(s, 'neigh', 'show', 'proxy').trim(), '192.168.77.100 dev veth-lan proxy');
  });
});

test('proxyarp: the same LAN pool without proxyarp → refused at start naming the subnet and the fix, exit 2', { skip, timeout: 60_000 }, async () => {
  await e2eRun({ listen: '10.200.0.1', local: '192.168.77.199', ranges: ['192.168.77.234-192.168.77.238'], users: [['alice', 'pw-alice']] }, async (e2e) => {
    const { s } = lab(e2e);
    const server = e2e.start(s, ['serve', '--pptpd-conf', writePptpd(e2e, false), '--chap-secrets', join(e2e.cfg.dir, 'chap-secrets')]);
    const t0 = Date.now();
    while (server.exitCode === undefined && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.exitCode, 2, server.describe());
    assert.match(server.err, /192\.168\.77\.234-192\.168\.77\.238 .* inside the subnet of veth-lan \(192\.168\.77\.1\/24\), and proxyarp is off/);
    assert.match(server.err, /fix: add `proxyarp`/);
    // tunppp check says so too, on this host.
    const check = e2e.start(s, ['check', '--pptpd-conf', join(e2e.cfg.dir, 'pptpd.conf'), '--chap-secrets', join(e2e.cfg.dir, 'chap-secrets')]);
    const t1 = Date.now();
    while (check.exitCode === undefined && Date.now() - t1 < 20_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(check.exitCode, 2, check.describe());
    assert.match(check.out, /On this host serve would refuse to start: client addresses 192\.168\.77\.234-192\.168\.77\.238/);
  });
});
