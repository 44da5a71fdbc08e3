/**
 * Raw IPv4 for attack scripts: whole packets with any source address
 * (IP_HDRINCL), so an attacker namespace can forge ICMP errors or spoof
 * another host's GRE. Node has no raw sockets and the native addon opens
 * GRE sockets only, so python3's socket module sends them; the packets are
 * built here, with our own codecs.
 */
import { spawnSync } from 'node:child_process';
import { parseIpv4 } from '../../../src/config/ipv4.js';

/** An IPv4 header (no options) followed by `payload`; the kernel fills in the checksum. */
export function ipv4Packet(src: string, dst: string, proto: number, payload: Uint8Array, opts: { dontFragment?: boolean; totalLength?: number } = {}): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  const total = opts.totalLength ?? out.length;
  out[0] = 0x45;
  out[2] = total >>> 8;
  out[3] = total & 0xff;
  if (opts.dontFragment) out[6] = 0x40;
  out[8] = 64;
  out[9] = proto;
  const put = (at: number, addr: string): void => {
    const a = parseIpv4(addr);
    if (a === undefined) throw new Error(`not an IPv4 address: ${addr}`);
    out[at] = a >>> 24;
    out[at + 1] = (a >>> 16) & 0xff;
    out[at + 2] = (a >>> 8) & 0xff;
    out[at + 3] = a & 0xff;
  };
  put(12, src);
  put(16, dst);
  out.set(payload, 20);
  return out;
}

const SENDER = `
import socket, sys, time
pkt = bytearray.fromhex(sys.argv[1])
dst = sys.argv[2]
off, lo, hi, pps = (int(x) for x in sys.argv[3:7])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sent = 0
t0 = time.monotonic()
for v in range(lo, hi + 1):
    if off >= 0:
        pkt[off] = v >> 8
        pkt[off + 1] = v & 255
    try:
        s.sendto(pkt, (dst, 0))
        sent += 1
    except OSError:
        pass
    if pps > 0 and sent % 100 == 0:
        ahead = sent / pps - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
print(sent)
`;

/**
 * Sends `packet` to `dst` once, or once per value of a 16-bit field at
 * `sweep.offset` from `sweep.from` to `sweep.to` (e.g. a GRE Call ID), at
 * most `pps` packets a second (0: as fast as the socket takes them).
 * Returns how many were sent.
 */
export function sendRawIpv4(packet: Uint8Array, dst: string, sweep?: { offset: number; from: number; to: number }, pps = 0): number {
  const args = sweep ? [sweep.offset, sweep.from, sweep.to, pps] : [-1, 0, 0, pps];
  const r = spawnSync('python3', ['-c', SENDER, Buffer.from(packet).toString('hex'), dst, ...args.map(String)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python3 raw sender failed (${r.status ?? r.signal}): ${r.stderr}`);
  return Number(r.stdout.trim());
}
