/**
 * Tunnel overhead arithmetic for PPTP, L2TP and L2TP/IPsec: which headers sit
 * between the path and the inner IP packet, how many bytes each takes, and
 * from that the PPP MRU/MTU, the inner IP MTU and the TCP MSS to clamp to.
 *
 * Pure and allocation-light: the server calls `bestTunnelMtu` to pick its
 * default MRU from the path MTU and again when a PMTU event lowers it, and
 * `mssFor` for the MSS clamp. `encapsulatedSize` is the independent forward
 * computation (IP packet → bytes on the path) the tests check the inverse with.
 *
 * Sources, read before editing:
 *  - RFC 2637 §4.1 enhanced GRE: 8 bytes (flags/version, protocol type, key =
 *    payload length + call ID), + 4 sequence number (S bit, on every data
 *    packet), + 4 acknowledgment number (A bit, optional, piggybacked).
 *  - RFC 2661 §3.1 L2TP header: flags/version 2, tunnel ID 2, session ID 2;
 *    Length 2 if L; Ns 2 + Nr 2 if S; Offset Size 2 + Offset Pad if O. UDP 8.
 *  - RFC 1661 §2/§6.5/§6.6, RFC 1662 §3.1: address/control 0xFF03 (2) unless
 *    ACFC; protocol 2, or 1 with PFC when the value is below 0x100 (0x0021,
 *    0x0057 and MPPE's 0x00FD all are).
 *  - RFC 3078 §3: MPPE adds a 2-byte header (A/B/C/D bits + coherency count),
 *    and the encrypted data begins with the inner protocol field (2 bytes).
 *    The MPPE datagram is bounded by the PPP MRU, so the IP MTU is MRU − 4;
 *    pppd does the same (MPPE_PAD).
 *  - RFC 4303 §2: ESP SPI 4 + sequence 4 + IV, then payload, padding, pad
 *    length 1, next header 1, ICV; transport mode for L2TP/IPsec (RFC 3193).
 *    Padding depends on the payload size, so `bestTunnelMtu` finds the largest
 *    payload that fits exactly instead of subtracting a constant.
 *  - RFC 3948 §2.1: NAT-T puts a UDP header (8) in front of ESP.
 *  - RFC 2516 §4: PPPoE session header 6 + PPP protocol 2 on the path.
 * Left out: IPv6 extension headers, IP options, GRE routing, L2TP over IPv6
 * without UDP (L2TPv3), compression (MPPC/Deflate) which can only shrink.
 */
import { LocalUsageError } from '../core/errors.js';
import type { EspSuite } from './esp.js';
import { DEFAULT_ESP_SUITE, parseEspSuite } from './esp.js';

/** The tunnel kinds tunppp speaks. */
export type TunnelProto = 'pptp' | 'l2tp' | 'l2tp-ipsec';

/** Every `TunnelProto`, for argument checking. */
export const TUNNEL_PROTOS: readonly TunnelProto[] = ['pptp', 'l2tp', 'l2tp-ipsec'];

/**
 * What is on the wire. Every flag defaults to the worst case (largest header),
 * which is the safe choice for an MRU that must hold for every packet.
 */
export interface TunnelOptions {
  proto: TunnelProto;
  /** Outer header is IPv6 (40) instead of IPv4 (20). */
  outerIpv6?: boolean;
  /** The path crosses PPPoE: 8 bytes come off the path MTU (1500 → 1492). */
  pppoe?: boolean;
  /** L2TP/IPsec behind NAT: ESP in UDP 4500 (RFC 3948), 8 more bytes. */
  natT?: boolean;
  /** ESP suite for l2tp-ipsec; default aes-cbc with HMAC-SHA1-96. */
  esp?: EspSuite;
  /**
   * l2tp-ipsec in ESP tunnel mode (RFC 4303 §3.1.2): an inner IP header of the
   * outer family inside ESP. Default false: transport mode (RFC 3193).
   */
  espTunnel?: boolean;
  /** PPTP: GRE acknowledgment number present (default true). */
  greAck?: boolean;
  /** L2TP: Length field present, L bit (default true). */
  l2tpLength?: boolean;
  /** L2TP: Ns/Nr present, S bit (default true). */
  l2tpSequence?: boolean;
  /** L2TP: O bit with this many offset pad bytes (default: no offset field). */
  l2tpOffsetPadBytes?: number;
  /** PPP address/control field compression negotiated (default false). */
  acfc?: boolean;
  /** PPP protocol field compression negotiated (default false). */
  pfc?: boolean;
  /** MPPE in use (default: true for PPTP, false for L2TP). */
  mppe?: boolean;
}

/** `TunnelOptions` with every default filled in. */
export interface ResolvedTunnelOptions {
  proto: TunnelProto;
  outerIpv6: boolean;
  pppoe: boolean;
  natT: boolean;
  esp: EspSuite | undefined;
  espTunnel: boolean;
  greAck: boolean;
  l2tpLength: boolean;
  l2tpSequence: boolean;
  l2tpOffsetPadBytes: number | undefined;
  acfc: boolean;
  pfc: boolean;
  mppe: boolean;
}

/** Where a header sits, outermost first. */
export type HeaderPlace = 'path' | 'outer' | 'tunnel' | 'ppp' | 'trailer';

/** One header (or part of one) and its size. */
export interface HeaderRow {
  place: HeaderPlace;
  /** Short name, e.g. "GRE sequence number". */
  name: string;
  bytes: number;
  /** Where the size comes from, e.g. "RFC 2637 §4.1". */
  ref: string;
  /** Why it is present, absent or this size. */
  note: string;
}

/** The result of `bestTunnelMtu`. */
export interface TunnelMtu {
  options: ResolvedTunnelOptions;
  /** The path MTU given (of the link under PPPoE when `pppoe`). */
  pathMtu: number;
  /** The MTU left for the outer IP packet (path MTU − PPPoE). */
  linkMtu: number;
  /** Every header, outermost first; trailer rows last. Sum + ipMtu = pathMtu. */
  rows: HeaderRow[];
  /** Largest PPP frame (address/control + protocol + information). */
  pppFrameBytes: number;
  /** LCP MRU/MTU: largest PPP Information field (pppd `mtu`/`mru`). */
  pppMru: number;
  /** Largest inner IP packet: the tun/ppp interface MTU. */
  ipMtu: number;
  /** TCP MSS for IPv4 inside the tunnel (ipMtu − 40). */
  mssIpv4: number;
  /** TCP MSS for IPv6 inside the tunnel (ipMtu − 60). */
  mssIpv6: number;
  /** pathMtu − ipMtu. */
  overheadBytes: number;
  /** Things the user should know about this result. */
  warnings: string[];
}

/** Smallest IPv4 MTU (RFC 791). */
export const MIN_IPV4_MTU = 68;
/** Smallest IPv6 link MTU (RFC 8200 §5). */
export const MIN_IPV6_MTU = 1280;

/** Fills in defaults. */
export function resolveTunnelOptions(o: TunnelOptions): ResolvedTunnelOptions {
  const ipsec = o.proto === 'l2tp-ipsec';
  if (!ipsec && o.natT) throw new LocalUsageError('NAT-T applies only to l2tp-ipsec');
  if (!ipsec && o.esp) throw new LocalUsageError('an ESP suite applies only to l2tp-ipsec');
  if (!ipsec && o.espTunnel) throw new LocalUsageError('ESP tunnel mode applies only to l2tp-ipsec');
  const pad = o.l2tpOffsetPadBytes;
  if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad > 65535)) {
    throw new LocalUsageError(`L2TP offset pad must be 0..65535 bytes, got ${pad}`);
  }
  return {
    proto: o.proto,
    outerIpv6: o.outerIpv6 ?? false,
    pppoe: o.pppoe ?? false,
    natT: ipsec && (o.natT ?? false),
    esp: ipsec ? (o.esp ?? parseEspSuite(DEFAULT_ESP_SUITE)!) : undefined,
    espTunnel: ipsec && (o.espTunnel ?? false),
    greAck: o.greAck ?? true,
    l2tpLength: o.l2tpLength ?? true,
    l2tpSequence: o.l2tpSequence ?? true,
    l2tpOffsetPadBytes: o.proto === 'pptp' ? undefined : pad,
    acfc: o.acfc ?? false,
    pfc: o.pfc ?? false,
    mppe: o.mppe ?? o.proto === 'pptp',
  };
}

/**
 * The usual case rather than the worst: ACFC and PFC negotiated (pppd and
 * Windows both ask for them by default), no GRE acknowledgment on the packet,
 * L2TP data without Length and Ns/Nr (Windows' data packets).
 */
export function typicalOptions(base: TunnelOptions): TunnelOptions {
  return { ...base, acfc: true, pfc: true, greAck: false, l2tpLength: false, l2tpSequence: false, l2tpOffsetPadBytes: undefined };
}

/** Bytes of the PPP header (address/control + protocol). */
function pppHeaderBytes(o: ResolvedTunnelOptions): number {
  return (o.acfc ? 0 : 2) + (o.pfc ? 1 : 2);
}

/** Bytes MPPE adds inside the PPP Information field. */
function mppeBytes(o: ResolvedTunnelOptions): number {
  return o.mppe ? 4 : 0;
}

/** Bytes of the inner IP header ESP tunnel mode adds (same family as the outer one). */
function espInnerIpBytes(o: ResolvedTunnelOptions): number {
  return o.espTunnel ? (o.outerIpv6 ? 40 : 20) : 0;
}

/** Bytes of the L2TP data header. */
function l2tpHeaderBytes(o: ResolvedTunnelOptions): number {
  let n = 6;
  if (o.l2tpLength) n += 2;
  if (o.l2tpSequence) n += 4;
  if (o.l2tpOffsetPadBytes !== undefined) n += 2 + o.l2tpOffsetPadBytes;
  return n;
}

/** Header rows that come before the PPP frame (no ESP trailer, no padding). */
function leadingRows(o: ResolvedTunnelOptions): HeaderRow[] {
  const rows: HeaderRow[] = [];
  if (o.pppoe) {
    rows.push({ place: 'path', name: 'PPPoE header + PPP protocol', bytes: 8, ref: 'RFC 2516 §4', note: 'ver/type, code, session ID, length (6) + protocol 0x0021 (2): Ethernet 1500 leaves 1492' });
  }
  rows.push(o.outerIpv6
    ? { place: 'outer', name: 'outer IPv6 header', bytes: 40, ref: 'RFC 8200 §3', note: 'fixed header, no extension headers' }
    : { place: 'outer', name: 'outer IPv4 header', bytes: 20, ref: 'RFC 791 §3.1', note: 'no IP options' });
  if (o.proto === 'l2tp-ipsec') {
    const esp = o.esp!;
    if (o.natT) rows.push({ place: 'outer', name: 'NAT-T UDP header', bytes: 8, ref: 'RFC 3948 §2.1', note: 'ESP inside UDP 4500 when a NAT is detected' });
    rows.push({ place: 'outer', name: 'ESP SPI + sequence number', bytes: 8, ref: 'RFC 4303 §2', note: o.espTunnel ? 'tunnel mode: an inner IP header follows the IV' : 'transport mode (RFC 3193): no inner IP header' });
    rows.push({ place: 'outer', name: `ESP IV (${esp.cipher.name})`, bytes: esp.cipher.ivBytes, ref: 'RFC 4303 §2.3', note: esp.cipher.ivBytes === 0 ? 'NULL encryption carries no IV' : 'explicit IV in every packet' });
    if (o.espTunnel) rows.push({ place: 'outer', name: `ESP tunnel-mode ${o.outerIpv6 ? 'IPv6' : 'IPv4'} header`, bytes: espInnerIpBytes(o), ref: 'RFC 4303 §3.1.2', note: 'host-to-host tunnel, e.g. strongSwan kernel-libipsec' });
  }
  if (o.proto === 'pptp') {
    rows.push({ place: 'tunnel', name: 'GRE flags/version + protocol type', bytes: 4, ref: 'RFC 2637 §4.1', note: 'version 1, protocol 0x880B' });
    rows.push({ place: 'tunnel', name: 'GRE key (payload length + call ID)', bytes: 4, ref: 'RFC 2637 §4.1', note: 'K bit always set' });
    rows.push({ place: 'tunnel', name: 'GRE sequence number', bytes: 4, ref: 'RFC 2637 §4.1', note: 'S bit: every packet with a payload' });
    rows.push({ place: 'tunnel', name: 'GRE acknowledgment number', bytes: o.greAck ? 4 : 0, ref: 'RFC 2637 §4.1', note: o.greAck ? 'A bit: ack piggybacked (worst case)' : 'no ack on this packet' });
  } else {
    rows.push({ place: 'tunnel', name: 'UDP header', bytes: 8, ref: 'RFC 768', note: 'L2TP on UDP 1701' });
    rows.push({ place: 'tunnel', name: 'L2TP flags/version, tunnel ID, session ID', bytes: 6, ref: 'RFC 2661 §3.1', note: 'always present' });
    rows.push({ place: 'tunnel', name: 'L2TP Length', bytes: o.l2tpLength ? 2 : 0, ref: 'RFC 2661 §3.1', note: o.l2tpLength ? 'L bit set (xl2tpd "length bit = yes")' : 'L bit clear' });
    rows.push({ place: 'tunnel', name: 'L2TP Ns/Nr', bytes: o.l2tpSequence ? 4 : 0, ref: 'RFC 2661 §3.1', note: o.l2tpSequence ? 'S bit set on data messages' : 'S bit clear (usual for data)' });
    if (o.l2tpOffsetPadBytes !== undefined) {
      rows.push({ place: 'tunnel', name: 'L2TP Offset Size + Offset Pad', bytes: 2 + o.l2tpOffsetPadBytes, ref: 'RFC 2661 §3.1', note: `O bit set, ${o.l2tpOffsetPadBytes} pad bytes` });
    }
  }
  rows.push({ place: 'ppp', name: 'PPP address/control (0xFF03)', bytes: o.acfc ? 0 : 2, ref: 'RFC 1662 §3.1, RFC 1661 §6.6', note: o.acfc ? 'omitted: ACFC negotiated' : 'no ACFC' });
  rows.push({ place: 'ppp', name: `PPP protocol (${o.mppe ? '0x00FD' : '0x0021'})`, bytes: o.pfc ? 1 : 2, ref: 'RFC 1661 §2, §6.5', note: o.pfc ? '1 byte: PFC negotiated, value below 0x100' : 'no PFC' });
  if (o.mppe) {
    rows.push({ place: 'ppp', name: 'MPPE header (A/B/C/D + coherency count)', bytes: 2, ref: 'RFC 3078 §3', note: 'counts against the PPP MRU' });
    rows.push({ place: 'ppp', name: 'MPPE inner protocol (encrypted)', bytes: 2, ref: 'RFC 3078 §3', note: 'encrypted data begins with the protocol field' });
  }
  return rows;
}

/**
 * Total overhead for an IP packet of `ipBytes` (exact, including ESP padding
 * for that size). The forward direction of `bestTunnelMtu`.
 */
export function encapsulatedSize(ipBytes: number, opts: TunnelOptions): number {
  const o = resolveTunnelOptions(opts);
  const frame = pppHeaderBytes(o) + mppeBytes(o) + ipBytes;
  const path = (o.pppoe ? 8 : 0) + (o.outerIpv6 ? 40 : 20);
  if (o.proto === 'pptp') return path + 12 + (o.greAck ? 4 : 0) + frame;
  const udpL2tp = 8 + l2tpHeaderBytes(o) + frame;
  if (o.proto === 'l2tp') return path + udpL2tp;
  const esp = o.esp!;
  const block = esp.cipher.blockBytes;
  // RFC 4303 §2.4: payload + padding + pad length + next header is a multiple of the block.
  const cipherText = Math.ceil((espInnerIpBytes(o) + udpL2tp + 2) / block) * block;
  return path + (o.natT ? 8 : 0) + 8 + esp.cipher.ivBytes + cipherText + esp.icvBytes;
}

/**
 * Header bytes regardless of payload size: the fixed headers plus, for ESP,
 * the most padding any payload can need (block − 1) and the 2-byte trailer.
 */
export function tunnelOverhead(opts: TunnelOptions): { fixedBytes: number; maxPaddingBytes: number; worstCaseBytes: number } {
  const o = resolveTunnelOptions(opts);
  let fixed = leadingRows(o).reduce((s, r) => s + r.bytes, 0);
  let maxPad = 0;
  if (o.esp) {
    fixed += 2 + o.esp.icvBytes;
    maxPad = o.esp.cipher.blockBytes - 1;
  }
  return { fixedBytes: fixed, maxPaddingBytes: maxPad, worstCaseBytes: fixed + maxPad };
}

/**
 * The largest inner IP packet (and PPP MRU) that fits in `pathMtu` with these
 * headers. Throws `LocalUsageError` for a path MTU no header set can fit in.
 */
export function bestTunnelMtu(pathMtu: number, opts: TunnelOptions): TunnelMtu {
  const o = resolveTunnelOptions(opts);
  const minPath = o.outerIpv6 ? MIN_IPV6_MTU : MIN_IPV4_MTU;
  if (!Number.isInteger(pathMtu) || pathMtu < minPath || pathMtu > 65535) {
    throw new LocalUsageError(`path MTU must be an integer ${minPath}..65535, got ${pathMtu}`);
  }
  const linkMtu = pathMtu - (o.pppoe ? 8 : 0);
  const rows = leadingRows(o);
  const ppp = pppHeaderBytes(o);
  const mppe = mppeBytes(o);
  let pppFrameBytes: number;
  if (o.esp) {
    const esp = o.esp;
    const block = esp.cipher.blockBytes;
    const before = (o.outerIpv6 ? 40 : 20) + (o.natT ? 8 : 0) + 8 + esp.cipher.ivBytes;
    // Room for ciphertext (payload + padding + 2) once the ICV is reserved.
    const room = linkMtu - before - esp.icvBytes;
    const cipherText = Math.floor(room / block) * block;
    const espPayload = cipherText - 2;
    pppFrameBytes = espPayload - espInnerIpBytes(o) - 8 - l2tpHeaderBytes(o);
    rows.push({ place: 'trailer', name: 'ESP padding', bytes: 0, ref: 'RFC 4303 §2.4', note: `0 at this size: payload + 2 is a multiple of ${block}; other sizes need 0..${block - 1}` });
    rows.push({ place: 'trailer', name: 'ESP pad length + next header', bytes: 2, ref: 'RFC 4303 §2.5, §2.6', note: 'next header 17 (UDP)' });
    rows.push({ place: 'trailer', name: `ESP ICV (${esp.integrity})`, bytes: esp.icvBytes, ref: 'RFC 4303 §2.8', note: 'integrity check value' });
    rows.push({ place: 'trailer', name: `ESP block alignment (unusable)`, bytes: room - cipherText, ref: 'RFC 4303 §2.4', note: `ciphertext rounds down to a multiple of ${block}` });
  } else {
    const before = rows.filter((r) => r.place !== 'ppp').reduce((s, r) => s + r.bytes, 0);
    pppFrameBytes = pathMtu - before;
  }
  const pppMru = pppFrameBytes - ppp;
  const ipMtu = pppMru - mppe;
  if (ipMtu < MIN_IPV4_MTU) {
    throw new LocalUsageError(`path MTU ${pathMtu} leaves ${ipMtu} bytes for IP; the tunnel needs at least ${MIN_IPV4_MTU}`);
  }
  const warnings: string[] = [];
  if (ipMtu < MIN_IPV6_MTU) warnings.push(`inner MTU ${ipMtu} is below 1280: IPv6 (IPV6CP) cannot run over this tunnel (RFC 8200 §5)`);
  if (ipMtu < 576) warnings.push(`inner MTU ${ipMtu} is below 576: some clients refuse an LCP MRU this small`);
  const saved = (o.acfc ? 2 : 0) + (o.pfc ? 1 : 0);
  if (saved > 0) warnings.push(`assumes ${[o.acfc ? 'ACFC' : '', o.pfc ? 'PFC' : ''].filter(Boolean).join(' and ')} negotiated: a peer that refuses ${saved === 1 ? 'it' : 'them'} sends ${saved} more byte${saved === 1 ? '' : 's'} per frame`);
  if (o.proto === 'pptp' && !o.greAck) warnings.push('assumes no GRE acknowledgment on data packets: a piggybacked ack adds 4 bytes');
  if (o.proto !== 'pptp' && (!o.l2tpLength || !o.l2tpSequence)) {
    warnings.push(`assumes L2TP data without ${[!o.l2tpLength ? 'Length' : '', !o.l2tpSequence ? 'Ns/Nr' : ''].filter(Boolean).join(' and ')}: a peer that sets ${!o.l2tpLength && !o.l2tpSequence ? 'them adds 6 bytes' : !o.l2tpLength ? 'it adds 2 bytes' : 'them adds 4 bytes'}`);
  }
  if (o.proto === 'l2tp' && !o.mppe) warnings.push('plain L2TP is not encrypted; use l2tp-ipsec or require MPPE');
  return {
    options: o,
    pathMtu,
    linkMtu,
    rows,
    pppFrameBytes,
    pppMru,
    ipMtu,
    mssIpv4: mssFor(ipMtu, false),
    mssIpv6: mssFor(ipMtu, true),
    overheadBytes: pathMtu - ipMtu,
    warnings,
  };
}

/** TCP MSS for an IP MTU: MTU − IP header (20 or 40) − TCP header (20). */
export function mssFor(mtu: number, ipv6: boolean): number {
  return Math.max(0, mtu - (ipv6 ? 40 : 20) - 20);
}
