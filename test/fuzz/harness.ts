/**
 * Shared pieces of the fuzz targets: seed corpora cut from the real captures
 * in test/fixtures/pcaps (a missing capture fails the run),
 * a fast-check arbitrary that feeds random and mutated-real packets, and the
 * target registry that both the short test runs and scripts/fuzz.mjs use.
 *
 * A target takes a sequence of byte strings (one packet, datagram, TCP chunk
 * or text file each) and throws only when a property fails: an exception out
 * of the code under test, an output larger than its bound, or a rejection that
 * was not counted.
 */
import fc from 'fast-check';
import { frameIp, grePackets, loadCapture, tcpSegments } from '../pptp/capture-util.js';
import { itemPool, mutateStructure, STRUCTURE_OPS, type Layout } from './structure.js';

/** One fuzz target. */
export interface FuzzTarget {
  /** "family/name", e.g. "pptp/control-codec". */
  name: string;
  /** Real inputs to mutate (may be empty). */
  seeds: () => Uint8Array[];
  /** Largest packet the generator builds (default 600). */
  maxBytes?: number;
  /** Packets per input (default 1..8). */
  maxPackets?: number;
  /** How the seeds are built (structure.ts): when set, a third of the inputs are structural edits of a seed. */
  layout?: Layout;
  /** Share of a `--budget` run's time (default 1): deep, slow targets get more. */
  weight?: number;
  /** Runs one input; throws when a property fails. */
  run: (packets: Uint8Array[]) => void;
}

/** Fails a property with a message (the fuzz targets' assert). */
export function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`property failed: ${msg}`);
}

const PPTP_CAPTURES = ['tcpdump-pptp.pcap', 'ndpi-pptp.pcap', 'jamesmackerel-pptp-windows-session.pcapng', 'chapcrack-pptp-mschapv2.cap', 'zeek-gre-pptp.pcap', 'flowcontainer-pptp-gre-mppe-data.pcap'];
const GRE_CAPTURES = [...PPTP_CAPTURES, 'tcpdump-various_gre.pcap', 'zeek-gre-sample.pcap', 'tcpdump-ppp-invalid-lengths.pcap'];
const L2TP_CAPTURES = ['packetnet-l2tp.pcap', 'tcpdump-l2tp-avp-overflow.pcap', 'flowcontainer-l2tp-ipsec-natt-first600.pcap'];
const IKE_CAPTURES = ['tcpdump-ISAKMP_sa_setup.pcap', 'tcpdump-isakmp4500.pcap', 'flowcontainer-l2tp-ipsec-natt-first600.pcap'];

const cache = new Map<string, Uint8Array[]>();
function cached(key: string, make: () => Uint8Array[]): Uint8Array[] {
  let v = cache.get(key);
  if (!v) {
    v = make();
    cache.set(key, v);
  }
  return v;
}

/** PPTP control-stream chunks (TCP 1723 payloads) from the real captures. */
export function pptpControlSeeds(): Uint8Array[] {
  return cached('pptp', () =>
    PPTP_CAPTURES.flatMap((f) => tcpSegments(loadCapture(f)).map((s) => s.data)).slice(0, 400),
  );
}

/** GRE packets (IP protocol 47 payloads) from the real captures. */
export function greSeeds(): Uint8Array[] {
  return cached('gre', () => GRE_CAPTURES.flatMap((f) => grePackets(loadCapture(f)).map((g) => g.ip.payload)).slice(0, 2000));
}

/** PPP frames: the payloads of enhanced-GRE packets that carry one. */
export function pppSeeds(): Uint8Array[] {
  return cached('ppp', () =>
    greSeeds()
      .map((g) => {
        if (g.length < 8 || (g[1]! & 7) !== 1) return undefined;
        let off = 8;
        if (g[0]! & 0x10) off += 4;
        if (g[1]! & 0x80) off += 4;
        return off < g.length ? g.subarray(off) : undefined;
      })
      .filter((x): x is Uint8Array => x !== undefined),
  );
}

/** L2TP datagrams (UDP 1701 payloads, also inside ESP-in-UDP-less captures). */
export function l2tpSeeds(): Uint8Array[] {
  return cached('l2tp', () =>
    L2TP_CAPTURES.flatMap((f) =>
      loadCapture(f).flatMap((p) => {
        const ip = frameIp(p);
        if (!ip || ip.protocol !== 17 || ip.payload.length < 8) return [];
        const u = ip.payload;
        const sport = (u[0]! << 8) | u[1]!;
        const dport = (u[2]! << 8) | u[3]!;
        return sport === 1701 || dport === 1701 ? [u.subarray(8)] : [];
      }),
    ),
  );
}

/**
 * UDP 500/4500 payloads (ISAKMP, NAT-T, ESP-in-UDP) from the IKE captures: what
 * an L2TP/IPsec client sends before and around L2TP, as foreign datagrams for
 * the L2TP port (tunppp has no IKE parser of its own).
 */
export function ikeSeeds(): Uint8Array[] {
  return cached('ike', () =>
    IKE_CAPTURES.flatMap((f) =>
      loadCapture(f).flatMap((p) => {
        const ip = frameIp(p);
        if (!ip || ip.protocol !== 17 || ip.payload.length < 8) return [];
        const u = ip.payload;
        const ports = [(u[0]! << 8) | u[1]!, (u[2]! << 8) | u[3]!];
        return ports.some((x) => x === 500 || x === 4500) ? [u.subarray(8)] : [];
      }),
    ).slice(0, 200),
  );
}

function concat(parts: readonly Uint8Array[], max: number): Uint8Array {
  const n = new Uint8Array(Math.min(max, parts.reduce((a, p) => a + p.length, 0)));
  let off = 0;
  for (const p of parts) {
    const take = Math.min(p.length, n.length - off);
    n.set(p.subarray(0, take), off);
    off += take;
  }
  return n;
}

/** Applies one mutation program to a copy of `seed`. */
export function mutate(seed: Uint8Array, ops: readonly (readonly [number, number, number])[], maxBytes: number): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  for (const [where, value, kind] of ops) {
    const pos = b.length ? where % b.length : 0;
    switch (kind) {
      case 0: // flip a bit
        if (b.length) b[pos] = b[pos]! ^ (1 << (value & 7));
        break;
      case 1: // set a byte
        if (b.length) b[pos] = value;
        break;
      case 2: // truncate
        b = b.subarray(0, pos);
        break;
      case 3: {
        // a length-field classic: 0x0000, 0xffff or just past the end at pos
        if (b.length >= 2) {
          const v = value % 3 === 0 ? 0 : value % 3 === 1 ? 0xffff : Math.min(0xffff, b.length + 1);
          b[pos] = v >> 8;
          if (pos + 1 < b.length) b[pos + 1] = v & 0xff;
        }
        break;
      }
      case 4: {
        // insert bytes
        const ins = new Uint8Array((value % 16) + 1).fill(value);
        b = concat([b.subarray(0, pos), ins, b.subarray(pos)], maxBytes);
        break;
      }
      default: // duplicate the tail
        b = concat([b, b.subarray(pos)], maxBytes);
    }
  }
  return b;
}

/** One packet: random bytes, or a real seed with a few byte mutations or (with a layout) structural edits. */
export function packetArb(seeds: readonly Uint8Array[], maxBytes = 600, layout?: Layout): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: maxBytes });
  if (seeds.length === 0) return random;
  const op = fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 5 }));
  const mutated = fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(op, { maxLength: 6 }))
    .map(([i, ops]) => mutate(seeds[i]!, ops, maxBytes));
  if (!layout) return fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: random, weight: 1 });
  const pool = itemPool(seeds, layout);
  const edit = fc.record({ op: fc.nat({ max: STRUCTURE_OPS - 1 }), x: fc.nat({ max: 255 }), y: fc.nat({ max: 255 }) });
  const structural = fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([i, edits]) => edits.reduce((b, e) => mutateStructure(b, layout, e, pool), seeds[i]!).slice(0, maxBytes));
  return fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: structural, weight: 3 }, { arbitrary: random, weight: 1 });
}

/** The input of a target: a sequence of packets. */
export function inputArb(t: FuzzTarget): fc.Arbitrary<Uint8Array[]> {
  return fc.array(packetArb(t.seeds(), t.maxBytes ?? 600, t.layout), { minLength: 1, maxLength: t.maxPackets ?? 8 });
}

/** Runs `t` for `numRuns` inputs from `seed`; throws fast-check's report on failure. */
export function fuzzOnce(t: FuzzTarget, numRuns: number, seed = 42): void {
  fc.assert(
    fc.property(inputArb(t), (packets) => {
      t.run(packets);
    }),
    { numRuns, seed },
  );
}

/** Bytes of a text file for the text targets. */
export const utf8 = new TextDecoder('utf-8', { fatal: false });
