/**
 * Packets per second through the native I/O edge, inside network namespaces
 * this case creates (and removes): the raw GRE socket with batch size 1 vs 64
 * (what recvmmsg/sendmmsg buy), and a TUN device read/write loop. Needs root;
 * otherwise one 'skipped' row says why.
 */
import { performance } from 'node:perf_hooks';
import { openGreSocket } from '../../src/io/gre-socket.js';
import { parseIpv4 } from '../../src/config/ipv4.js';
import { TxBatch } from '../../src/io/packet-batch.js';
import { openTun } from '../../src/io/tun.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { NetnsLab, netnsSkipReason, pptpGre } from '../../test/io/netns.js';
import type { BenchCase, BenchRow } from '../types.js';

const RUN_MS = 1000;
const PAYLOAD_BYTES = 1400; // a full-size tunnelled frame

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Flow {
  sendPps: number;
  deliveredPps: number;
  lossPct: number;
}

/** Sends bursts of `burst` packets, `batch` per call, for RUN_MS; counts what arrives. */
async function greFlow(lab: NetnsLab, a: string, b: string, batch: number, payloadBytes = PAYLOAD_BYTES): Promise<Flow> {
  const tx = openGreSocket({ netns: a, batchSize: batch, sndbufBytes: 4 << 20 });
  const rx = openGreSocket({ netns: b, batchSize: batch, rcvbufBytes: 8 << 20 });
  void lab;
  try {
    let received = 0;
    rx.onPackets((p) => (received += p.count));
    const dst = parseIpv4('10.82.0.2')!;
    const frame = pptpGre(1, 0, new Uint8Array(payloadBytes));
    const tb = new TxBatch(batch, batch * (frame.length + 4));
    for (let i = 0; i < batch; i++) tb.push(dst, frame);
    const burst = 256;
    let sent = 0;
    let sendMs = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_MS) {
      const s0 = performance.now();
      for (let n = 0; n < burst; n += batch) sent += tx.send(tb);
      sendMs += performance.now() - s0;
      await turn();
    }
    for (let i = 0; i < 20 && received < sent; i++) await turn();
    const elapsed = performance.now() - t0;
    return { sendPps: (sent * 1000) / sendMs, deliveredPps: (received * 1000) / elapsed, lossPct: sent ? (100 * (sent - received)) / sent : 0 };
  } finally {
    tx.close();
    rx.close();
  }
}

/** A UDP/IPv4 packet from 10.82.1.9 to 10.82.1.10 (both on the TUN's /24). */
function udpPacket(bytes: number): Uint8Array {
  const p = new Uint8Array(bytes);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, bytes);
  p[8] = 64;
  p[9] = 17;
  p.set([10, 82, 1, 9], 12);
  p.set([10, 82, 1, 10], 16);
  v.setUint16(10, internetChecksum(p, 0, 20));
  v.setUint16(20, 4000);
  v.setUint16(22, 4001);
  v.setUint16(24, bytes - 20);
  return p;
}

/** Writes packets the kernel forwards straight back out of the same TUN; counts writes and reads. */
async function tunFlow(lab: NetnsLab, ns: string): Promise<{ writePps: number; readPps: number }> {
  for (const k of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.default.send_redirects=0'])
    lab.exec(ns, 'sysctl', '-q', '-w', k);
  const tun = openTun({ netns: ns, name: 'tpbench0', mtu: 1500, address: '10.82.1.1', prefix: 24 });
  try {
    lab.exec(ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.tpbench0.send_redirects=0');
    lab.exec(ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.tpbench0.rp_filter=0');
    let read = 0;
    tun.onPackets((b) => (read += b.count));
    const pkt = udpPacket(PAYLOAD_BYTES);
    const tb = new TxBatch(64, 64 * (pkt.length + 4));
    for (let i = 0; i < 64; i++) tb.push(0, pkt);
    let written = 0;
    let writeMs = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_MS) {
      const s0 = performance.now();
      for (let n = 0; n < 4; n++) written += tun.write(tb);
      writeMs += performance.now() - s0;
      await turn();
    }
    for (let i = 0; i < 20 && read < written; i++) await turn();
    const elapsed = performance.now() - t0;
    return { writePps: (written * 1000) / writeMs, readPps: (read * 1000) / elapsed };
  } finally {
    tun.close();
  }
}

export const benchmarks: BenchCase[] = [
  {
    name: 'io',
    async run(): Promise<BenchRow[]> {
      const skip = netnsSkipReason();
      if (skip) return [{ bench: 'io', metric: 'GRE/TUN packets/s', value: 'skipped', unit: '', note: skip }];
      const lab = new NetnsLab();
      try {
        const a = lab.ns();
        const b = lab.ns();
        lab.link(a, 'va', '10.82.0.1/24', b, 'vb', '10.82.0.2/24');
        const one = await greFlow(lab, a, b, 1);
        const many = await greFlow(lab, a, b, 64);
        const oneSmall = await greFlow(lab, a, b, 1, 64);
        const manySmall = await greFlow(lab, a, b, 64, 64);
        const t = await tunFlow(lab, lab.ns());
        const k = (n: number): number => n / 1000;
        return [
          { bench: 'io', metric: `GRE send, batch 1 (${PAYLOAD_BYTES} B payload)`, value: k(one.sendPps), unit: 'kpps', note: 'time inside send() only' },
          { bench: 'io', metric: 'GRE send, batch 64 (sendmmsg)', value: k(many.sendPps), unit: 'kpps', note: `${(many.sendPps / one.sendPps).toFixed(1)}x batch 1` },
          { bench: 'io', metric: 'GRE delivered, batch 1 both ends', value: k(one.deliveredPps), unit: 'kpps', note: `veth between netns; loss ${one.lossPct.toFixed(1)}%` },
          { bench: 'io', metric: 'GRE delivered, batch 64 both ends', value: k(many.deliveredPps), unit: 'kpps', note: `${(many.deliveredPps / one.deliveredPps).toFixed(1)}x batch 1; loss ${many.lossPct.toFixed(1)}%` },
          { bench: 'io', metric: 'GRE delivered, 64 B payload, batch 1', value: k(oneSmall.deliveredPps), unit: 'kpps', note: `send ${k(oneSmall.sendPps).toFixed(0)} kpps; loss ${oneSmall.lossPct.toFixed(1)}%` },
          { bench: 'io', metric: 'GRE delivered, 64 B payload, batch 64', value: k(manySmall.deliveredPps), unit: 'kpps', note: `${(manySmall.deliveredPps / oneSmall.deliveredPps).toFixed(1)}x batch 1; send ${k(manySmall.sendPps).toFixed(0)} kpps (${(manySmall.sendPps / oneSmall.sendPps).toFixed(1)}x); loss ${manySmall.lossPct.toFixed(1)}%` },
          { bench: 'io', metric: `TUN write (${PAYLOAD_BYTES} B)`, value: k(t.writePps), unit: 'kpps', note: 'time inside write() only' },
          { bench: 'io', metric: 'TUN write → kernel forward → read', value: k(t.readPps), unit: 'kpps', note: 'packets read back per second, 64 per event' },
        ];
      } finally {
        lab.cleanup();
      }
    },
  },
];
