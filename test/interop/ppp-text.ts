/**
 * PPP frames rendered the way pppd's debug log prints them ("LCP ConfReq
 * id=0x1 <asyncmap 0x0> <magic 0x…> <pcomp> <accomp>"), decoded with our own
 * parsers, so an interop test can compare what a real pppd says it sent with
 * what we read off the wire.
 */
import { parsePppFrame } from '../../src/ppp/frame.js';
import { parseCpPacket } from '../../src/ppp/fsm/packet.js';
import { parseLcpOptions, type LcpOption } from '../../src/ppp/lcp/options.js';
import { PPP_PROTO } from '../../src/ppp/protocols.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** An LCP option as pppd prints it (pppd/lcp.c, lcp_printpkt). */
export function pppdOption(o: LcpOption): string {
  switch (o.kind) {
    case 'mru':
      return `<mru ${o.mru}>`;
    case 'accm':
      return `<asyncmap ${hex(o.accm)}>`;
    case 'auth':
      if (o.protocol === PPP_PROTO.PAP) return '<auth pap>';
      if (o.protocol === PPP_PROTO.CHAP) return `<auth chap ${o.data[0] === 5 ? 'MD5' : o.data[0] === 0x80 ? 'MS' : o.data[0] === 0x81 ? 'MS-v2' : hex(o.data[0] ?? 0)}>`;
      return `<auth ${hex(o.protocol)}>`;
    case 'magic':
      return `<magic ${hex(o.magicNumber)}>`;
    case 'pfc':
      return '<pcomp>';
    case 'acfc':
      return '<accomp>';
    case 'mrru':
      return `<mrru ${o.mrru}>`;
    case 'callback':
      return `<callback ${o.operation}>`;
    case 'raw':
      return `<raw ${o.type}>`;
  }
}

const LCP_CODE_NAMES: Record<number, string> = { 1: 'ConfReq', 2: 'ConfAck', 3: 'ConfNak', 4: 'ConfRej', 5: 'TermReq', 6: 'TermAck', 9: 'EchoReq', 10: 'EchoRep' };

/** A PPP frame (address/control optional) as { ppp: text } or { error } where our parsers stopped. */
export function describePpp(frame: Uint8Array): { ppp?: string; error?: string } {
  const f = parsePppFrame(frame);
  if (!f.ok) return { error: `PPP: ${f.error.code}` };
  if (f.value.protocol !== PPP_PROTO.LCP) return { ppp: `protocol ${hex(f.value.protocol)}` };
  const cp = parseCpPacket(f.value.information);
  if (!cp.ok) return { error: `LCP: ${cp.error.code}` };
  let text = `LCP ${LCP_CODE_NAMES[cp.value.code] ?? `code=${cp.value.code}`} id=${hex(cp.value.identifier)}`;
  if (cp.value.code >= 1 && cp.value.code <= 4) {
    const opts = parseLcpOptions(cp.value.data);
    if (!opts.ok) return { error: `LCP options: ${opts.error.code}` };
    for (const o of opts.value) text += ` ${pppdOption(o)}`;
  }
  return { ppp: text };
}
