/**
 * TUN offload fuzz targets (src/wire/tcp-offload.ts). The Coalescer sees
 * whatever a PPP peer sends once it is decrypted, so it must survive any
 * bytes; and whatever it merges must cut back into exactly the segments that
 * went in — otherwise a hostile or broken peer could make the kernel accept
 * data it never sent. forEachSegment sees the kernel's TUN reads; it must not
 * throw or emit past the read on any header values.
 */
import { onesSum } from '../../src/wire/checksum.js';
import { Coalescer, VNET_HDR_LEN, forEachSegment, type CoalesceArena } from '../../src/wire/tcp-offload.js';
import { check, type FuzzTarget } from './harness.js';
import { tcpSegment } from '../helpers/tcp-segment.js';

/** An IPv4/TCP segment with valid checksums (DF, ACK, 12 octets of options), `payload` octets long. */
function segment(seq: number, payload: number, flags = 0x10, id = 1): Uint8Array {
  return tcpSegment({ seq, payload: Uint8Array.from({ length: payload }, (_, i) => ((i + 52) * 7 + seq) & 0xff), flags, id, ack: 77, window: 1000, opts: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] });
}

/** Recomputes the IPv4 and TCP checksums of a segment (after a mutation), when its lengths allow. */
function fixChecksums(p: Uint8Array): void {
  if (p.length < 40) return;
  const d = new DataView(p.buffer, p.byteOffset, p.length);
  const ihl = (p[0]! & 0x0f) * 4;
  if (ihl < 20 || ihl + 20 > p.length) return;
  d.setUint16(10, 0);
  d.setUint16(10, ~onesSum(p, 0, ihl) & 0xffff);
  d.setUint16(ihl + 16, 0);
  d.setUint16(ihl + 16, ~onesSum(p, ihl, p.length, onesSum(p, 12, 20, 6 + p.length - ihl)) & 0xffff);
}

/**
 * The segments one input feeds the Coalescer: the in-order flow, each
 * segment possibly mutated (one octet XORed) and then possibly given valid
 * checksums again — so the merge rules, not only the checksum check, meet
 * odd headers — or replaced by the raw fuzz bytes.
 */
function segmentsFor(packets: Uint8Array[]): Uint8Array[] {
  const flow = flowSeeds();
  return packets.map((f, i) => {
    if (f.length < 4 || (f[0]! & 7) === 7) return f;
    const p = flow[i % flow.length]!.slice();
    if ((f[0]! & 1) !== 0) {
      const at = ((f[1]! << 8) | f[2]!) % p.length;
      p[at] = p[at]! ^ (f[3]! | 1);
    }
    if ((f[0]! & 2) !== 0) fixChecksums(p);
    return p;
  });
}

/** A flow of in-order full-size segments, the material merges are made of. */
function flowSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seq = 1000;
  for (let k = 0; k < 6; k++) {
    const len = k === 5 ? 300 : 500;
    out.push(segment(seq, len, k === 5 ? 0x18 : 0x10, 10 + k));
    seq += len;
  }
  return out;
}

class Arena implements CoalesceArena {
  readonly data = new Uint8Array(80_000);
  count = 0;
  used = 0;
  readonly packets: { at: number; len: number; inputs: Uint8Array[] }[] = [];
  extendLast(extra: number): boolean {
    if (this.used + extra > this.data.length) return false;
    this.packets[this.packets.length - 1]!.len += extra;
    this.used += extra;
    return true;
  }
}

/** Every offload target. */
export const offloadTargets: FuzzTarget[] = [
  {
    name: 'offload/coalesce',
    seeds: flowSeeds,
    maxBytes: 700,
    maxPackets: 12,
    run(packets) {
      const arena = new Arena();
      const c = new Coalescer();
      for (const p of segmentsFor(packets)) {
        if (c.append(arena, p)) {
          arena.packets[arena.packets.length - 1]!.inputs.push(p.slice());
          continue;
        }
        if (arena.used + p.length + VNET_HDR_LEN > arena.data.length) break;
        const at = arena.used;
        arena.data.fill(0, at, at + VNET_HDR_LEN);
        arena.data.set(p, at + VNET_HDR_LEN);
        arena.packets.push({ at, len: p.length + VNET_HDR_LEN, inputs: [p.slice()] });
        arena.count++;
        arena.used += p.length + VNET_HDR_LEN;
        c.started(arena, at, p.length);
      }
      // Each arena packet, cut as the kernel would, is exactly what went into it.
      for (const a of arena.packets) {
        check(a.at + a.len <= arena.used, 'packet past the arena');
        if (a.inputs.length === 1) {
          check(arena.data[a.at] === 0 && arena.data[a.at + 1] === 0, 'unmerged packet with a GSO header');
          continue;
        }
        const out: Uint8Array[] = [];
        const copy = arena.data.slice(a.at, a.at + a.len);
        forEachSegment(copy, 0, copy.length, 65535, (s) => out.push(s.slice()));
        check(out.length === a.inputs.length, `merged ${a.inputs.length} segments, cut back into ${out.length}`);
        for (let i = 0; i < out.length; i++) {
          const x = out[i]!;
          const y = a.inputs[i]!;
          // The IP ID of later segments is the head's + i (DF set, so IDs are free) and the window is
          // the newest one (checked below); everything else is identical.
          check(x.length === y.length, `segment ${i}: length ${x.length} vs ${y.length}`);
          const ihl = (y[0]! & 0x0f) * 4;
          const skip = new Set([4, 5, 10, 11, ihl + 14, ihl + 15, ihl + 16, ihl + 17]);
          for (let k = 0; k < x.length; k++) if (!skip.has(k)) check(x[k] === y[k], `segment ${i} differs at octet ${k}`);
          check(x[ihl + 14] === a.inputs[a.inputs.length - 1]![ihl + 14] && x[ihl + 15] === a.inputs[a.inputs.length - 1]![ihl + 15], `segment ${i}: not the newest window`);
          check(onesSum(x, 0, ihl) === 0xffff, `segment ${i}: IP checksum`);
          check(onesSum(x, ihl, x.length, onesSum(x, 12, 20, 6 + x.length - ihl)) === 0xffff, `segment ${i}: TCP checksum`);
        }
      }
    },
  },
  {
    name: 'offload/segment',
    seeds: () => {
      const s = segment(5, 3000, 0x19);
      const read = new Uint8Array(VNET_HDR_LEN + s.length);
      read.set([1, 1, 52, 0, 0xdc, 0x05, 20, 0, 16, 0]);
      read.set(s, VNET_HDR_LEN);
      return [read];
    },
    maxBytes: 3100,
    maxPackets: 1,
    run([b]) {
      const read = b!;
      let emitted = 0;
      let bytes = 0;
      forEachSegment(read, 0, read.length, 1 + (read.length % 1600), (p) => {
        emitted++;
        bytes += p.length;
        check(p.byteOffset >= read.byteOffset && p.byteOffset + p.length <= read.byteOffset + read.length, 'segment outside the read');
      });
      check(emitted <= read.length, `${emitted} segments from ${read.length} octets`);
      check(bytes <= read.length * 60, 'runaway output');
    },
  },
];
