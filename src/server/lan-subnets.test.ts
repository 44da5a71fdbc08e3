import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseIpv4 } from '../config/ipv4.js';
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
