import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coveringPrefix, parseIpv4 } from '../config/ipv4.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { FIXTURES_DIR } from '../../test/helpers/fixtures.js';
import { lanPoolProblem, localSubnets, poolOverlaps, subnetHolding } from './lan-subnets.js';

const v4 = (address: string, cidr: string, internal = false): NetworkInterfaceInfo => ({ address, cidr, netmask: '', family: 'IPv4', mac: '00:00:00:00:00:00', internal });
const IFACES = {
  lo: [v4('127.0.0.1', '127.0.0.1/8', true)],
  eth0: [v4('192.168.0.10', '192.168.0.10/24')],
  eth1: [v4('10.1.0.1', '10.1.0.1/16'), v4('10.1.2.1', '10.1.2.1/24')],
  wg0: [v4('10.9.0.1', '10.9.0.1/32')],
  tunppp0: [v4('192.168.99.1', '192.168.99.1/24')],
};

test('localSubnets: loopback, /32 and the excluded TUN are no LAN', () => {
  const s = localSubnets(IFACES, 'tunppp0');
  assert.deepEqual(s.map((x) => `${x.iface}/${x.prefix}`), ['eth0/24', 'eth1/16', 'eth1/24']);
});

test('subnetHolding: the most specific subnet wins', () => {
  const s = localSubnets(IFACES);
  assert.equal(subnetHolding(parseIpv4('10.1.2.9')!, s)?.prefix, 24);
  assert.equal(subnetHolding(parseIpv4('10.1.3.9')!, s)?.prefix, 16);
  assert.equal(subnetHolding(parseIpv4('172.16.0.1')!, s), undefined);
});

test('poolOverlaps + lanPoolProblem: the PoPToP sample pool on the LAN without proxyarp → error naming the fix; with proxyarp → fine', () => {
  const s = localSubnets(IFACES, 'tunppp0');
  const pools = [{ name: 'pptpd', ranges: ['192.168.0.234-192.168.0.238', '192.168.0.245'] }];
  const o = poolOverlaps(pools, s);
  assert.deepEqual(o.map((x) => `${x.range}@${x.subnet.iface}`), ['192.168.0.234-192.168.0.238@eth0', '192.168.0.245@eth0']);
  const p = lanPoolProblem(o, false);
  assert.match(p!.message, /192\.168\.0\.234-192\.168\.0\.238 \(pool 'pptpd'\) are inside the subnet of eth0 \(192\.168\.0\.10\/24\), and proxyarp is off/);
  assert.match(p!.fix, /proxyarp/);
  assert.equal(lanPoolProblem(o, true), undefined);
  assert.deepEqual(poolOverlaps([{ name: 'own', ranges: ['192.168.99.10-192.168.99.250'] }], s), []);
});

/**
 * The real Debian pptpd set with its example LAN lines (test/fixtures/configs/
 * debian-pptpd-lan: localip 192.168.0.1, remoteip 192.168.0.234-238,192.168.0.245,
 * proxyarp) on a host whose eth0 is 192.168.0.10/24.
 */
async function loadDebianLan(proxyarp: boolean): Promise<Config> {
  const set = join(FIXTURES_DIR, 'configs', 'debian-pptpd-lan', 'etc');
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-lan-'));
  try {
    const options = readFileSync(join(set, 'ppp', 'pptpd-options'), 'utf8');
    writeFileSync(join(dir, 'pptpd-options'), proxyarp ? options : options.replace(/^proxyarp$/m, ''));
    writeFileSync(join(dir, 'pptpd.conf'), readFileSync(join(set, 'pptpd.conf'), 'utf8').replace(/^option \/etc\/ppp\/pptpd-options$/m, `option ${join(dir, 'pptpd-options')}`));
    writeFileSync(join(dir, 'chap-secrets'), 'alice pptpd "alice password" *\n', { mode: 0o600 });
    return (await loadConfig({ pptpdConf: join(dir, 'pptpd.conf'), chapSecrets: join(dir, 'chap-secrets'), cwd: dir })).config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('real Debian LAN set: the old covering prefix took the whole LAN; now proxyarp publishes each client on eth0', async () => {
  const lan = localSubnets({ eth0: [v4('192.168.0.10', '192.168.0.10/24')] });
  const config = await loadDebianLan(true);
  assert.equal(config.ppp.proxyArp, true);
  const pool = config.pools[0]!;
  // What the TUN got before: 192.168.0.1/24 over the LAN's own /24.
  assert.equal(coveringPrefix(parseIpv4(pool.local)!, pool.ranges), 24);
  const o = poolOverlaps(config.pools, lan);
  assert.deepEqual([...new Set(o.map((x) => x.subnet.iface))], ['eth0']);
  assert.equal(lanPoolProblem(o, config.ppp.proxyArp), undefined);
  assert.equal(subnetHolding(parseIpv4('192.168.0.245')!, lan)?.iface, 'eth0');
});

test('real Debian LAN set without its proxyarp line → refused naming eth0 and the fix', async () => {
  const lan = localSubnets({ eth0: [v4('192.168.0.10', '192.168.0.10/24')] });
  const config = await loadDebianLan(false);
  const p = lanPoolProblem(poolOverlaps(config.pools, lan), config.ppp.proxyArp);
  assert.match(p!.message, /192\.168\.0\.234-192\.168\.0\.238 \(pool 'pptp'\) are inside the subnet of eth0 \(192\.168\.0\.10\/24\)/);
  assert.match(p!.fix, /add `proxyarp`/);
});
