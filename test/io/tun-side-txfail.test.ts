/**
 * TUN writes the kernel refuses, through the server's TunSide on a real TUN
 * in a network namespace: a packet that is neither IPv4 nor IPv6 (EINVAL)
 * and a valid packet while the device is down (EIO). Each one counts in
 * TunSide's txFailed and in /metrics as tunppp_drops_total{source="tun",
 * reason="tx-failed"}; the packets around it in the same batch go through,
 * and after the device is up again the path works both ways (an echo
 * request written to the kernel, its reply read and routed to the link).
 * Runs with the data plane's TUN (virtio-net header, offloads) and without.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internetChecksum } from '../../src/wire/checksum.js';
import { openDataPlaneTun, openTun, type Tun } from '../../src/io/tun.js';
import { TunSide, type TunRoute } from '../../src/server/tun-side.js';
import { createServerMetrics } from '../../src/metrics/metrics.js';
import { newServerStats } from '../../src/server/stats.js';
import { netnsSkipReason, withLab } from './netns.js';

const skip = netnsSkipReason();
const LOCAL = [10, 79, 9, 1];
const PEER = [10, 79, 9, 2];
const PEER_U32 = ((PEER[0]! << 24) | (PEER[1]! << 16) | (PEER[2]! << 8) | PEER[3]!) >>> 0;

/** An IPv4 ICMP echo request from the link's peer to the TUN's own address. */
function echoRequest(seq: number): Uint8Array {
  const p = new Uint8Array(20 + 8 + 16);
  p.set([0x45, 0, 0, p.length, 0, seq, 0x40, 0, 64, 1, 0, 0, ...PEER, ...LOCAL]);
  const ipSum = internetChecksum(p, 0, 20);
  p[10] = ipSum >> 8;
  p[11] = ipSum & 0xff;
  p.set([8, 0, 0, 0, 0x12, 0x34, 0, seq], 20);
  p.fill(0xab, 28);
  const icmpSum = internetChecksum(p, 20, p.length);
  p[22] = icmpSum >> 8;
  p[23] = icmpSum & 0xff;
  return p;
}

/** Not an IP packet: the version nibble is 5, so the kernel has no protocol for it (EINVAL). */
const NOT_IP = new Uint8Array(40).fill(0x55);

function value(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

/** Echo-reply sequence numbers the link received from the TUN. */
function recorder(): TunRoute & { replies: number[] } {
  const replies: number[] = [];
  return {
    replies,
    mtu: 1400,
    fromTun(packet: Uint8Array) {
      if (packet.length >= 28 && packet[9] === 1 && packet[20] === 0) replies.push(packet[27]!);
    },
  };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return cond();
}

for (const mode of ['data-plane (virtio-net header)', 'plain'] as const) {
  test(`TunSide ${mode}: kernel refuses a non-IP packet and a write while down → txFailed and /metrics tx-failed count each; later packets flow both ways`, { skip, timeout: 30_000 }, async () => {
    await withLab(async (lab) => {
      const ns = lab.ns();
      const opts = { netns: ns, name: 'tptxf0', mtu: 1400, address: LOCAL.join('.'), prefix: 24 };
      const tun: Tun = mode === 'plain' ? openTun(opts) : openDataPlaneTun(opts);
      try {
        if (mode !== 'plain') assert.equal(tun.vnetHdr, true, 'the data-plane TUN opened with offloads here');
        const link = recorder();
        const side = new TunSide({ ownerOf: (a) => (a === PEER_U32 ? link : undefined) }, { now: () => 0 });
        side.attach(tun);
        const metrics = createServerMetrics({ links: () => [], stats: newServerStats(), gre: () => undefined, tun: () => side.stats }, { processMetrics: false });
        const drops = async (): Promise<number | undefined> => value((await metrics.scrape()).body, 'tunppp_drops_total{source="tun",reason="tx-failed"}');
        assert.equal(await drops(), 0);

        // One batch: refused, accepted, refused.
        side.write(NOT_IP);
        side.write(echoRequest(1));
        side.write(NOT_IP);
        side.flush();
        assert.equal(side.stats.txFailed, 2);
        assert.equal(side.stats.txPackets, 1);
        assert.equal(tun.stats.txFailed, 2);
        assert.ok(await waitFor(() => link.replies.includes(1), 3000), 'the echo reply to the accepted packet came back through the TUN');
        assert.equal(await drops(), 2);

        // Device down: the kernel refuses even a valid packet.
        lab.ip(ns, 'link', 'set', 'dev', tun.name, 'down');
        side.write(echoRequest(2));
        side.flush();
        assert.equal(side.stats.txFailed, 3);
        assert.equal(side.stats.txPackets, 1);

        // Up again: the same path works.
        lab.ip(ns, 'link', 'set', 'dev', tun.name, 'up');
        side.write(echoRequest(3));
        side.flush();
        assert.equal(side.stats.txPackets, 2);
        assert.ok(await waitFor(() => link.replies.includes(3), 3000), 'echo reply after the device came back');
        assert.deepEqual(link.replies.filter((s) => s === 2), [], 'the refused packet never reached the kernel');
        const body = (await metrics.scrape()).body;
        assert.equal(value(body, 'tunppp_drops_total{source="tun",reason="tx-failed"}'), 3);
        assert.equal(value(body, 'tunppp_tun_packets_total{direction="tx"}'), 2);
        assert.ok((value(body, 'tunppp_tun_packets_total{direction="rx"}') ?? 0) >= 2);
      } finally {
        tun.close();
      }
    });
  });
}
