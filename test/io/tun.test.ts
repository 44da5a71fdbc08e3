/**
 * The TUN device in a network namespace: name, MTU and addresses set as
 * asked, and a real ping through it answered from JavaScript (read the
 * kernel's echo request, write the echo reply).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { internetChecksum } from '../../src/wire/checksum.js';
import { openTun, VNET_GSO, VNET_HDR_BYTES, vnetGsoType, type Tun } from '../../src/io/tun.js';
import { TxBatch } from '../../src/io/packet-batch.js';
import { netnsSkipReason, withLab } from './netns.js';

const skip = netnsSkipReason() ?? (spawnSync('ping', ['-V']).error ? "needs 'ping' (Debian package iputils-ping)" : undefined);

/** Answers every IPv4 ICMP echo request read from `tun` with an echo reply; returns the requests seen. */
function echoResponder(tun: Tun, hdr = 0): { requests: string[]; vnetHeaders: number[][] } {
  const seen = { requests: [] as string[], vnetHeaders: [] as number[][] };
  const tx = new TxBatch(64, 64 * 2048);
  tun.onPackets((b) => {
    tx.clear();
    for (let i = 0; i < b.count; i++) {
      if (hdr) seen.vnetHeaders.push([...b.data.subarray(b.offset(i), b.offset(i) + hdr)]);
      const o = b.offset(i) + hdr;
      const len = b.length(i) - hdr;
      const d = b.data;
      if (len < 28 || d[o]! >> 4 !== 4 || d[o + 9] !== 1) continue;
      const ihl = (d[o]! & 0x0f) * 4;
      if (d[o + ihl] !== 8) continue; // echo request only
      seen.requests.push(`${d[o + 16]}.${d[o + 17]}.${d[o + 18]}.${d[o + 19]}`);
      const at0 = tx.reserve(0, hdr + len);
      if (at0 < 0) break;
      const r = tx.data;
      r.fill(0, at0, at0 + hdr); // virtio_net_hdr: no checksum offload, no GSO
      const at = at0 + hdr;
      r.set(d.subarray(o, o + len), at);
      // swap source and destination, echo reply, fresh checksums
      r.set(d.subarray(o + 16, o + 20), at + 12);
      r.set(d.subarray(o + 12, o + 16), at + 16);
      r[at + 8] = 64;
      r[at + 10] = r[at + 11] = 0;
      const ipSum = internetChecksum(r, at, at + ihl);
      r[at + 10] = ipSum >> 8;
      r[at + 11] = ipSum & 0xff;
      r[at + ihl] = 0;
      r[at + ihl + 2] = r[at + ihl + 3] = 0;
      const icmpSum = internetChecksum(r, at + ihl, at + len);
      r[at + ihl + 2] = icmpSum >> 8;
      r[at + ihl + 3] = icmpSum & 0xff;
    }
    if (tx.count > 0) tun.write(tx);
  });
  return seen;
}

/** Runs ping inside ns without blocking the event loop; resolves with its exit code. */
function ping(ns: string, dst: string, count: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', ns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '2', dst], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
}
interface IpAddr {
  addr_info: { family: string; local: string; address?: string; prefixlen: number }[];
}

test('TUN with a peer address: name, MTU and addresses as asked; ping through it answered from JS', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const ns = lab.ns();
    const tun = openTun({ netns: ns, name: 'tptest0', mtu: 1420, address: '10.79.0.1', peer: '10.79.0.2' });
    try {
      assert.equal(tun.name, 'tptest0');
      const link = (JSON.parse(lab.ip(ns, '-j', 'link', 'show', 'dev', 'tptest0')) as IpLink[])[0]!;
      assert.equal(link.mtu, 1420);
      assert.ok(link.flags.includes('UP'), `flags ${link.flags.join(',')}`);
      assert.ok(link.flags.includes('POINTOPOINT'));
      const addr = (JSON.parse(lab.ip(ns, '-j', 'addr', 'show', 'dev', 'tptest0')) as IpAddr[])[0]!;
      const v4 = addr.addr_info.find((a) => a.family === 'inet')!;
      assert.equal(v4.local, '10.79.0.1');
      assert.equal(v4.address, '10.79.0.2');
      assert.equal(v4.prefixlen, 32);

      const seen = echoResponder(tun);
      const r = await ping(ns, '10.79.0.2', 3);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /3 received/);
      assert.deepEqual(seen.requests, ['10.79.0.2', '10.79.0.2', '10.79.0.2']);
      assert.ok(tun.stats.txPackets >= 3);
      tun.setMtu(1280);
      assert.equal((JSON.parse(lab.ip(ns, '-j', 'link', 'show', 'dev', 'tptest0')) as IpLink[])[0]!.mtu, 1280);
      assert.throws(() => tun.setMtu(40), { code: 'LOCAL_USAGE' });
    } finally {
      tun.close();
    }
  });
});

test('TUN with a prefix and a kernel-chosen name: /24 route through the device, ping answered', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const ns = lab.ns();
    const tun = openTun({ netns: ns, name: 'tpq%d', address: '10.79.1.1', prefix: 24 });
    try {
      assert.match(tun.name, /^tpq\d+$/);
      const addr = (JSON.parse(lab.ip(ns, '-j', 'addr', 'show', 'dev', tun.name)) as IpAddr[])[0]!;
      const v4 = addr.addr_info.find((a) => a.family === 'inet')!;
      assert.equal(v4.local, '10.79.1.1');
      assert.equal(v4.prefixlen, 24);
      const seen = echoResponder(tun);
      const r = await ping(ns, '10.79.1.77', 1);
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(seen.requests, ['10.79.1.77']);
    } finally {
      tun.close();
    }
  });
});

test('TUN close: the device is gone when close() returns', { skip, timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const ns = lab.ns();
    const tun = openTun({ netns: ns, name: 'tpgone0', mtu: 1400 });
    assert.match(lab.ip(ns, 'link', 'show'), /tpgone0/);
    tun.close();
    tun.close();
    assert.doesNotMatch(lab.ip(ns, 'link', 'show'), /tpgone0/);
    assert.throws(() => tun.writePacket(new Uint8Array(20)), { code: 'LOCAL_USAGE' });
  });
});

test('TUN multi-queue and offloads: two queues share one device, virtio header on', { skip, timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const ns = lab.ns();
    const q1 = openTun({ netns: ns, name: 'tpmq0', multiQueue: true, offloads: { csum: true, tso4: true, tso6: true }, address: '10.79.2.1', prefix: 24 });
    const q2 = openTun({ netns: ns, name: 'tpmq0', multiQueue: true, offloads: { csum: true, tso4: true, tso6: true } });
    try {
      assert.equal(q1.vnetHdr, true);
      const details = lab.ip(ns, '-d', 'link', 'show', 'dev', 'tpmq0');
      assert.match(details, /multi_queue/);
      assert.match(details, /vnet_hdr/);
      const features = lab.exec(ns, 'cat', '/sys/class/net/tpmq0/tun_flags');
      assert.ok((parseInt(features, 16) & 0x0100) !== 0, 'IFF_MULTI_QUEUE in tun_flags');
    } finally {
      q1.close();
      q2.close();
    }
  });
});

test('TUN with offloads: every packet carries a virtio-net header; ping answered with one', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const ns = lab.ns();
    const tun = openTun({ netns: ns, name: 'tpvh0', offloads: { csum: true, tso4: true }, address: '10.79.3.1', peer: '10.79.3.2' });
    try {
      assert.equal(tun.vnetHdr, true);
      const seen = echoResponder(tun, VNET_HDR_BYTES);
      const r = await ping(ns, '10.79.3.2', 2);
      assert.equal(r.code, 0, r.out);
      assert.equal(seen.requests.length, 2);
      // ICMP from the kernel: no GSO (gso_type 0 at byte 1)
      assert.ok(seen.vnetHeaders.every((h) => h.length === 10 && vnetGsoType(Uint8Array.from(h), 0) === VNET_GSO.NONE), JSON.stringify(seen.vnetHeaders));
    } finally {
      tun.close();
    }
  });
});

test('TUN open/close 100 times → no file descriptor left behind', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const ns = lab.ns();
    const fds = (): number => readdirSync('/proc/self/fd').length;
    await new Promise((r) => setTimeout(r, 20)); // let earlier tests' closes finish
    const before = fds();
    for (let i = 0; i < 100; i++) openTun({ netns: ns, name: 'tpleak0', mtu: 1400 }).close();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fds(), before);
  });
});
