/**
 * The server side of L2TP/IPsec behind UDP 500/4500, sans-I/O: the
 * demultiplexer that owns every IKE and ESP SA and hands the L2TP service
 * plain UDP 1701 datagrams.
 *
 * Theory of operation. Datagrams come in with the local port they arrived
 * on (500 or 4500) and the sender's address and port:
 *
 *   - 4500 with a 0xFF byte: NAT keepalive, ignored. 4500 with the non-ESP
 *     marker, or anything on 500: ISAKMP. Other 4500 datagrams: ESP.
 *   - ISAKMP with a zero responder cookie starts (or repeats) Main Mode: one
 *     MainModeResponder per (address, port, initiator cookie), within the
 *     half-open limits per source address and in total. Later messages find
 *     their SA by the two cookies; a float to 4500 or a NAT rebinding moves
 *     the SA to the new port once an authenticated message arrives from it.
 *   - Quick Mode on an established ISAKMP SA runs one QuickModeResponder
 *     per message ID; its inbound ESP SA is installed at `inbound-ready`.
 *     Informational messages are authenticated, then R-U-THERE is answered
 *     with R-U-THERE-ACK (RFC 3706) and Delete removes the SAs named.
 *   - ESP finds its SA by SPI; after the ICV and replay checks, a transport
 *     mode UDP datagram to port 1701 goes to the L2TP service as
 *     `{ kind: 'l2tp', peer, bytes }`.
 *
 * The L2TP peer. Several clients behind one NAT share an address and all
 * send from inner port 1701, so the peer the L2TP service sees is the
 * client's outer address and UDP-encapsulation port (or, without NAT, its
 * address and inner port): unique per client, and `sendL2tp(peer, bytes)`
 * maps it back to the ESP SA and the client's inner port. Inner UDP
 * checksums go out as 0 (RFC 768: none; the ESP ICV covers the datagram) and
 * are not checked on receipt (RFC 3948 §3.1.2 allows it: NAT changed the
 * addresses they cover).
 *
 * Timers: an established ISAKMP SA and each ESP pair end at their
 * negotiated (clamped) lifetimes with a Delete to the peer; a peer that
 * rekeys adds a new pair before the old one ends, and the newest carries
 * what `sendL2tp` sends, so the L2TP session never notices. A DPD-capable
 * peer that is silent for `dpdDelayMs` gets R-U-THERE, and after
 * `dpdTimeoutMs` without any authenticated packet its SAs are removed.
 *
 * Not here yet: rekeying started by us (a server waits for the client's).
 * The driver (src/server/ipsec-endpoint.ts) does sockets, `ipsec.required`
 * and metrics.
 */
import type { Millis } from '../core/machine.js';
import { randomU32, type Rng } from '../core/rng.js';
import { get16, put16 } from './bytes.js';
import { EXCHANGE, NOTIFY, PROTO } from './constants.js';
import { EspInbound, EspOutbound, espSpi, type EspDropReason } from './esp.js';
import type { EspPolicy } from './esp-proposals.js';
import { deletePayload, dpdPayload, openInformational, sealInformational } from './informational.js';
import { parseIsakmpHeader, parseIsakmpMessage } from './isakmp.js';
import { L2TP_PORT, type ChildSa } from './child-sa.js';
import { MainModeResponder, type Phase1Event } from './main-mode-responder.js';
import type { Endpoint, Phase1Sa } from './phase1-sa.js';
import type { Phase1Policy } from './phase1-proposals.js';
import { QuickModeResponder, type Phase2Event } from './quick-mode-responder.js';
import { classifyUdp4500, encodeIkeOverUdp4500 } from './udp-encap.js';

/** A UDP peer as the sockets see it. */
export interface IpsecPeer {
  /** Dotted quad. */
  address: string;
  port: number;
}

/** Why the endpoint dropped a datagram. */
export type IpsecEndpointDropReason =
  | EspDropReason
  /** An ESP packet for an SPI we do not have. */
  | 'esp-unknown-spi'
  /** ESP that decrypted to something other than UDP to port 1701. */
  | 'esp-not-l2tp'
  /** A UDP 4500 datagram that is none of keepalive, IKE, ESP. */
  | 'udp4500-invalid'
  /** Not an ISAKMP header (or IKEv2). */
  | 'ike-malformed'
  /** Cookies of no SA we have (and not a Main Mode message 1). */
  | 'ike-unknown-sa'
  /** A new negotiation over the half-open limit of its source or in total. */
  | 'ike-half-open-limit'
  /** An informational message that does not decrypt or authenticate. */
  | 'ike-bad-informational'
  /** A Quick Mode or Informational message ID this ISAKMP SA already finished (a replay). */
  | 'ike-replay'
  /** An exchange we do not run on an established SA (Aggressive, New Group, ...). */
  | 'ike-unsupported-exchange'
  /** A drop inside one of the machines (detail names it). */
  | 'ike-machine-drop'
  /** sendL2tp for a peer without an ESP SA. */
  | 'l2tp-no-sa'
  /** Main Mode from an address no pre-shared key is configured for. */
  | 'ike-no-psk';

/** What the endpoint asks of the driver. */
export type IpsecEndpointOutput =
  /** A UDP datagram from our `localPort` (500 or 4500; the non-ESP marker already in place). */
  | { kind: 'send'; localPort: 500 | 4500; to: IpsecPeer; bytes: Uint8Array }
  /** A raw ESP packet (IP protocol 50), when ESP is not UDP-encapsulated. */
  | { kind: 'send-esp'; to: string; bytes: Uint8Array }
  /** An L2TP datagram for the L2TP service, from `peer`. */
  | { kind: 'l2tp'; peer: IpsecPeer; bytes: Uint8Array }
  | { kind: 'phase1'; peer: IpsecPeer; event: Phase1Event }
  | { kind: 'phase2'; peer: IpsecPeer; event: Phase2Event }
  /**
   * SAs are gone (all of the peer's, `isakmp`, or the ESP pairs named by
   * their outbound SPIs): the peer deleted them, DPD found it dead, a
   * lifetime ran out, or it came back with INITIAL-CONTACT.
   */
  | { kind: 'deleted'; peer: IpsecPeer; isakmp: boolean; espSpis: number[]; cause: 'peer-delete' | 'dpd-timeout' | 'lifetime' | 'initial-contact' }
  | { kind: 'drop'; reason: IpsecEndpointDropReason; detail?: string };

/** Endpoint configuration. */
export interface IpsecResponderOptions {
  /**
   * The pre-shared key, or a lookup by the peer's address (ipsec.secrets
   * lines name peers by address: Main Mode must pick the key before the
   * encrypted identities arrive, RFC 2409 §5.4). A lookup that returns
   * undefined refuses the peer (`ike-no-psk`).
   */
  psk: Uint8Array | ((peer: IpsecPeer) => Uint8Array | undefined);
  phase1: Phase1Policy;
  esp: EspPolicy;
  /** Our address (dotted quad) as clients address it. */
  localAddress: string;
  maxHalfOpenPerSource?: number;
  maxHalfOpen?: number;
  replayWindow?: number;
  /** Every NAT-T client uses UDP 4500 (default true): no raw ESP socket needed. */
  forceEncapsulation?: boolean;
  /** Idle time before we probe a DPD-capable peer with R-U-THERE (RFC 3706), and between probes. Default 30 s. */
  dpdDelayMs?: number;
  /** Silence after which a DPD-capable peer is declared dead and its SAs removed. Default 120 s. */
  dpdTimeoutMs?: number;
}

interface IkeEntry {
  peer: IpsecPeer;
  /** The address message 1 came from (the half-open count's key; `peer` may move). */
  source: string;
  /** 500 until the peer floats. */
  localPort: 500 | 4500;
  mm: MainModeResponder;
  p1: Phase1Sa | undefined;
  quick: Map<number, QuickModeResponder>;
  /**
   * Message IDs of finished Quick Modes and of Informationals already taken
   * (the newest MAX_SEEN_MIDS): a captured message replayed, from anywhere,
   * is dropped instead of making a new child SA or moving the peer.
   */
  seenMids: Set<number>;
  children: ChildEntry[];
  /** Last authenticated packet from the peer (IKE or ESP). */
  lastHeard: Millis;
  /** When the ISAKMP SA's lifetime ends. */
  expiresAt: Millis;
  dpdSeq: number;
  lastProbe: Millis | undefined;
}

interface ChildEntry {
  ike: IkeEntry;
  child: ChildSa;
  inbound: EspInbound;
  outbound: EspOutbound;
  /** The client's inner UDP port (1701 unless it sends from another). */
  innerPort: number;
  established: boolean;
  expiresAt: Millis;
}

/** Quick Modes negotiating at once on one ISAKMP SA (a client needs one, two during a rekey). */
const MAX_QUICK_MODES_PER_SA = 4;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const peerKey = (p: IpsecPeer): string => `${p.address}|${p.port}`;

function addressBytes(a: string): Uint8Array {
  return Uint8Array.from(a.split('.').map(Number));
}

/** All IKE and ESP SAs of a server. */
export class IpsecResponderEndpoint {
  /** By "icookie-hex|rcookie-hex". */
  private readonly ike = new Map<string, IkeEntry>();
  /** Main Mode message 1 retransmissions: "address|port|icookie-hex" → IKE key. */
  private readonly byInitiator = new Map<string, string>();
  private readonly bySpi = new Map<number, ChildEntry>();
  /** The L2TP peer ("address|port") → its newest established child. */
  private readonly byL2tpPeer = new Map<string, ChildEntry>();
  /** Negotiations not yet established, in total and by the address that started them. */
  private halfOpenTotal = 0;
  private readonly halfOpenBySource = new Map<string, number>();

  constructor(
    private readonly opts: IpsecResponderOptions,
    private readonly rng: Rng,
  ) {}

  /** Number of IKE SAs (negotiating or established). */
  get ikeSaCount(): number {
    return this.ike.size;
  }

  /** IKE SAs still in Main Mode (not yet established). */
  get halfOpenCount(): number {
    return this.halfOpenTotal;
  }

  /** Number of inbound ESP SAs. */
  get espSaCount(): number {
    return this.bySpi.size;
  }

  /** The earliest deadline of any machine. */
  nextDeadline(): Millis | undefined {
    let at: Millis | undefined;
    for (const e of this.ike.values()) {
      for (const d of [e.mm.nextDeadline(), ...[...e.quick.values()].map((q) => q.nextDeadline()), ...this.saDeadlines(e)]) if (d !== undefined && (at === undefined || d < at)) at = d;
    }
    return at;
  }

  /** Lifetime and DPD deadlines of an established IKE SA. */
  private saDeadlines(e: IkeEntry): Millis[] {
    if (!e.p1) return [];
    const out = [e.expiresAt, ...e.children.map((c) => c.expiresAt)];
    if (e.p1.dpd) out.push(Math.max(e.lastHeard, e.lastProbe ?? -Infinity) + this.dpdDelayMs(), e.lastHeard + this.dpdTimeoutMs());
    return out;
  }

  private dpdDelayMs(): number {
    return this.opts.dpdDelayMs ?? 30_000;
  }

  private dpdTimeoutMs(): number {
    return this.opts.dpdTimeoutMs ?? 120_000;
  }

  /** Handles one UDP datagram that arrived on `localPort` from `from`. */
  datagram(localPort: 500 | 4500, from: IpsecPeer, bytes: Uint8Array, now: Millis): IpsecEndpointOutput[] {
    if (localPort === 4500) {
      const c = classifyUdp4500(bytes);
      if (c.kind === 'keepalive') return [];
      if (c.kind === 'invalid') return [{ kind: 'drop', reason: 'udp4500-invalid', detail: c.reason }];
      if (c.kind === 'esp') return this.esp(c.esp, from, true, now);
      return this.isakmp(4500, from, c.ike, now);
    }
    return this.isakmp(500, from, bytes, now);
  }

  /** Handles a raw ESP packet (IP protocol 50) from `from`. */
  rawEsp(from: string, bytes: Uint8Array, now: Millis): IpsecEndpointOutput[] {
    return this.esp(bytes, { address: from, port: 0 }, false, now);
  }

  /** Timeouts of every machine; failed and timed-out negotiations are removed. */
  timeout(now: Millis): IpsecEndpointOutput[] {
    const out: IpsecEndpointOutput[] = [];
    for (const [key, e] of [...this.ike]) {
      out.push(...this.mmOutputs(key, e, e.mm.handle({ type: 'timeout' }, now), now));
      for (const [mid, q] of [...e.quick]) out.push(...this.qmOutputs(e, mid, q, q.handle({ type: 'timeout' }, now), now));
      if (e.p1 && this.ike.has(key)) out.push(...this.saTimers(key, e, e.p1, now));
    }
    return out;
  }

  /** Lifetimes (Delete sent to the peer, RFC 2408 §3.15) and DPD (RFC 3706 §5) of an established IKE SA. */
  private saTimers(key: string, e: IkeEntry, p1: Phase1Sa, now: Millis): IpsecEndpointOutput[] {
    if (p1.dpd && now >= e.lastHeard + this.dpdTimeoutMs()) return this.removeIke(key, e, 'dpd-timeout');
    if (now >= e.expiresAt) {
      // Tell the peer, so it negotiates afresh instead of sending into the void.
      const bye = this.sendIke(e, sealInformational(p1, randomU32(this.rng) || 1, [deletePayload(p1)]));
      return [bye, ...this.removeIke(key, e, 'lifetime')];
    }
    const out: IpsecEndpointOutput[] = [];
    const expired = e.children.filter((c) => now >= c.expiresAt);
    if (expired.length > 0) {
      out.push(this.sendIke(e, sealInformational(p1, randomU32(this.rng) || 1, [deletePayload(p1, expired.map((c) => spiBytes(c.child.inbound.spi)))])));
      for (const c of expired) this.removeChild(c);
      out.push({ kind: 'deleted', peer: { ...e.peer }, isakmp: false, espSpis: expired.map((c) => c.child.outbound.spi), cause: 'lifetime' });
    }
    if (p1.dpd && now >= Math.max(e.lastHeard, e.lastProbe ?? -Infinity) + this.dpdDelayMs()) {
      e.lastProbe = now;
      e.dpdSeq = (e.dpdSeq + 1) >>> 0;
      out.push(this.sendIke(e, sealInformational(p1, randomU32(this.rng) || 1, [dpdPayload(p1, false, e.dpdSeq)])));
    }
    return out;
  }

  /** Encrypts an L2TP datagram from the L2TP service to `peer` through its ESP SA. */
  sendL2tp(peer: IpsecPeer, l2tp: Uint8Array): IpsecEndpointOutput[] {
    const c = this.byL2tpPeer.get(peerKey(peer));
    if (!c) return [{ kind: 'drop', reason: 'l2tp-no-sa', detail: peerKey(peer) }];
    const udp = new Uint8Array(8 + l2tp.length);
    put16(udp, 0, L2TP_PORT);
    put16(udp, 2, c.innerPort);
    put16(udp, 4, udp.length);
    udp.set(l2tp, 8);
    const esp = c.outbound.seal(udp, 17);
    if (!esp) return [{ kind: 'drop', reason: 'l2tp-no-sa', detail: 'sequence numbers used up: rekey' }];
    return c.child.udpEncapsulated ? [{ kind: 'send', localPort: 4500, to: c.ike.peer, bytes: esp }] : [{ kind: 'send-esp', to: c.ike.peer.address, bytes: esp }];
  }

  private esp(packet: Uint8Array, from: IpsecPeer, encapsulated: boolean, now: Millis): IpsecEndpointOutput[] {
    const spi = espSpi(packet);
    const c = spi === undefined ? undefined : this.bySpi.get(spi);
    if (!c) return [{ kind: 'drop', reason: 'esp-unknown-spi', ...(spi !== undefined ? { detail: spi.toString(16) } : {}) }];
    const r = c.inbound.open(packet);
    if (!r.ok) return [{ kind: 'drop', reason: r.reason }];
    if (r.nextHeader !== 17 || r.payload.length < 8 || get16(r.payload, 2) !== L2TP_PORT) return [{ kind: 'drop', reason: 'esp-not-l2tp', detail: `next header ${r.nextHeader}` }];
    const out: IpsecEndpointOutput[] = [];
    this.heard(c.ike, now);
    // An authenticated packet from a new outer port: the NAT rebound; follow it (RFC 3948 §3.1 peers track the mapping).
    if (encapsulated && (from.port !== c.ike.peer.port || from.address !== c.ike.peer.address)) this.movePeer(c.ike, from);
    if (!c.established) c.established = true; // ESP after QUICK_R1 proves message 3 was sent
    c.innerPort = get16(r.payload, 0);
    const peer = this.l2tpPeer(c);
    if (this.byL2tpPeer.get(peerKey(peer)) !== c) this.byL2tpPeer.set(peerKey(peer), c);
    out.push({ kind: 'l2tp', peer, bytes: r.payload.subarray(8, Math.min(r.payload.length, get16(r.payload, 4) || r.payload.length)) });
    return out;
  }

  /** Counts a negotiation in or out of the half-open totals (by the address that sent message 1). */
  private countHalfOpen(e: IkeEntry, delta: 1 | -1): void {
    this.halfOpenTotal += delta;
    const n = (this.halfOpenBySource.get(e.source) ?? 0) + delta;
    if (n > 0) this.halfOpenBySource.set(e.source, n);
    else this.halfOpenBySource.delete(e.source);
  }

  /** Any authenticated packet proves the peer alive (RFC 3706 §5.3: no probe needed while traffic flows). */
  private heard(e: IkeEntry, now: Millis): void {
    e.lastHeard = now;
    e.lastProbe = undefined;
  }

  /** The peer the L2TP service knows this client by. */
  private l2tpPeer(c: ChildEntry): IpsecPeer {
    return c.child.udpEncapsulated ? { ...c.ike.peer } : { address: c.ike.peer.address, port: c.innerPort };
  }

  private movePeer(e: IkeEntry, to: IpsecPeer): void {
    for (const c of e.children) if (this.byL2tpPeer.get(peerKey(this.l2tpPeer(c))) === c) this.byL2tpPeer.delete(peerKey(this.l2tpPeer(c)));
    e.peer = { ...to };
    for (const c of e.children) this.byL2tpPeer.set(peerKey(this.l2tpPeer(c)), c);
  }

  private isakmp(localPort: 500 | 4500, from: IpsecPeer, bytes: Uint8Array, now: Millis): IpsecEndpointOutput[] {
    const h = parseIsakmpHeader(bytes);
    if (!h.ok) return [{ kind: 'drop', reason: 'ike-malformed', detail: h.error.field ?? h.error.code }];
    const icookie = hex(h.value.initiatorCookie);
    const rcookie = h.value.responderCookie;
    if (rcookie.every((b) => b === 0)) {
      const initiatorKey = `${peerKey(from)}|${icookie}`;
      const existing = this.byInitiator.get(initiatorKey);
      if (existing) {
        const e = this.ike.get(existing);
        if (e) return this.mmOutputs(existing, e, e.mm.handle({ type: 'packet', bytes }, now), now);
      }
      // Counted per source address (not port: one host can use many), O(1) per datagram under flood.
      if (this.halfOpenTotal >= (this.opts.maxHalfOpen ?? 1024) || (this.halfOpenBySource.get(from.address) ?? 0) >= (this.opts.maxHalfOpenPerSource ?? 8)) {
        return [{ kind: 'drop', reason: 'ike-half-open-limit', detail: from.address }];
      }
      const psk = typeof this.opts.psk === 'function' ? this.opts.psk({ ...from }) : this.opts.psk;
      if (!psk) return [{ kind: 'drop', reason: 'ike-no-psk', detail: from.address }];
      const mm = new MainModeResponder({ psk, policy: this.opts.phase1, local: { address: addressBytes(this.opts.localAddress), port: localPort }, remote: toEndpoint(from), forceEncapsulation: this.opts.forceEncapsulation ?? true }, this.rng);
      const key = `${icookie}|${hex(mm.responderCookie)}`;
      const e: IkeEntry = { peer: { ...from }, source: from.address, localPort, mm, p1: undefined, quick: new Map(), seenMids: new Set(), children: [], lastHeard: now, expiresAt: Infinity, dpdSeq: 0, lastProbe: undefined };
      this.ike.set(key, e);
      this.byInitiator.set(initiatorKey, key);
      this.countHalfOpen(e, +1);
      return this.mmOutputs(key, e, mm.handle({ type: 'packet', bytes }, now), now);
    }
    const key = `${icookie}|${hex(rcookie)}`;
    const e = this.ike.get(key);
    if (!e) return [{ kind: 'drop', reason: 'ike-unknown-sa' }];
    if (!e.p1 || h.value.exchangeType === EXCHANGE.IDENTITY_PROTECTION) {
      const outs = e.mm.handle({ type: 'packet', bytes }, now);
      // RFC 3947 §4: the initiator floats to 4500 with message 5; answer there from then on.
      if (outs.some((o) => o.kind === 'send' || o.kind === 'event')) this.follow(e, localPort, from, now);
      return this.mmOutputs(key, e, outs, now);
    }
    if (h.value.exchangeType === EXCHANGE.QUICK_MODE) {
      const mid = h.value.messageId;
      if (e.seenMids.has(mid)) return [{ kind: 'drop', reason: 'ike-replay', detail: `Quick Mode message ID ${mid} already finished` }];
      let q = e.quick.get(mid);
      if (!q) {
        if (e.quick.size >= MAX_QUICK_MODES_PER_SA) return [{ kind: 'drop', reason: 'ike-machine-drop', detail: 'too many Quick Modes under way on this ISAKMP SA' }];
        q = new QuickModeResponder({ p1: e.p1, policy: this.opts.esp, local: { address: addressBytes(this.opts.localAddress), port: e.localPort }, remote: toEndpoint(e.peer), ourSpi: this.newSpi() }, this.rng);
        e.quick.set(mid, q);
      }
      const outs = q.handle({ type: 'packet', bytes }, now);
      // A message ID whose first message did not authenticate leaves no machine behind.
      if (q.state === 'QUICK_R0' && q.messageId === undefined) e.quick.delete(mid);
      if (outs.some((o) => o.kind === 'send' || o.kind === 'event')) this.follow(e, localPort, from, now);
      return this.qmOutputs(e, mid, q, outs, now);
    }
    if (h.value.exchangeType === EXCHANGE.INFORMATIONAL) return this.informational(key, e, bytes, localPort, from, now);
    return [{ kind: 'drop', reason: 'ike-unsupported-exchange', detail: String(h.value.exchangeType) }];
  }

  /** After an authenticated message: the peer's current port and ours. */
  private follow(e: IkeEntry, localPort: 500 | 4500, from: IpsecPeer, now: Millis): void {
    this.heard(e, now);
    e.localPort = localPort;
    if (from.address !== e.peer.address || from.port !== e.peer.port) this.movePeer(e, from);
  }

  private newSpi(): Uint8Array {
    for (;;) {
      const spi = randomU32(this.rng);
      // RFC 4303 §2.1: SPIs 1-255 are reserved, 0 is never used.
      if (spi > 255 && !this.bySpi.has(spi)) return Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff);
    }
  }

  private sendIke(e: IkeEntry, bytes: Uint8Array): IpsecEndpointOutput {
    return { kind: 'send', localPort: e.localPort, to: { ...e.peer }, bytes: e.localPort === 4500 ? encodeIkeOverUdp4500(bytes) : bytes };
  }

  private mmOutputs(key: string, e: IkeEntry, outs: ReturnType<MainModeResponder['handle']>, now: Millis): IpsecEndpointOutput[] {
    const res: IpsecEndpointOutput[] = [];
    for (const o of outs) {
      if (o.kind === 'send') res.push(this.sendIke(e, o.bytes));
      else if (o.kind === 'drop') res.push({ kind: 'drop', reason: 'ike-machine-drop', detail: o.detail ? `${o.reason}: ${o.detail}` : o.reason });
      else {
        res.push({ kind: 'phase1', peer: { ...e.peer }, event: o.event });
        if (o.event.type === 'established') {
          this.countHalfOpen(e, -1);
          e.p1 = o.event.sa;
          e.expiresAt = now + o.event.sa.choice.lifetimeSeconds * 1000;
          // INITIAL-CONTACT (RFC 2407 §4.6.3.3): the peer rebooted; its older SAs from the same address and port go.
          if (o.event.sa.initialContact) for (const [k, other] of [...this.ike]) if (k !== key && other.p1 && other.peer.address === e.peer.address && other.peer.port === e.peer.port) res.push(...this.removeIke(k, other, 'initial-contact'));
        } else if (o.event.type === 'failed') this.removeIke(key, e, undefined);
      }
    }
    return res;
  }

  private qmOutputs(e: IkeEntry, mid: number, q: QuickModeResponder, outs: ReturnType<QuickModeResponder['handle']>, now: Millis): IpsecEndpointOutput[] {
    const res: IpsecEndpointOutput[] = [];
    for (const o of outs) {
      if (o.kind === 'send') res.push(this.sendIke(e, o.bytes));
      else if (o.kind === 'drop') res.push({ kind: 'drop', reason: 'ike-machine-drop', detail: o.detail ? `${o.reason}: ${o.detail}` : o.reason });
      else {
        res.push({ kind: 'phase2', peer: { ...e.peer }, event: o.event });
        if (o.event.type === 'inbound-ready') {
          const child = o.event.child;
          const entry: ChildEntry = { ike: e, child, inbound: new EspInbound(child.inbound, this.opts.replayWindow ?? 1024), outbound: new EspOutbound(child.outbound, this.rng), innerPort: child.initiatorId.port || L2TP_PORT, established: false, expiresAt: now + child.choice.lifetimeSeconds * 1000 };
          e.children.push(entry);
          this.bySpi.set(child.inbound.spi, entry);
          this.byL2tpPeer.set(peerKey(this.l2tpPeer(entry)), entry);
        } else if (o.event.type === 'established') {
          const entry = e.children.find((c) => c.child === (o.event as { child: ChildSa }).child);
          if (entry) entry.established = true;
          e.quick.delete(mid);
          noteSeen(e, mid);
        } else if (q.state === 'failed') {
          e.quick.delete(mid);
          noteSeen(e, mid);
        }
      }
    }
    return res;
  }

  private informational(key: string, e: IkeEntry, bytes: Uint8Array, localPort: 500 | 4500, from: IpsecPeer, now: Millis): IpsecEndpointOutput[] {
    const m = parseIsakmpMessage(bytes);
    if (!m.ok || !e.p1) return [{ kind: 'drop', reason: 'ike-malformed' }];
    const mid = m.value.header.messageId;
    if (e.seenMids.has(mid)) return [{ kind: 'drop', reason: 'ike-replay', detail: `Informational message ID ${mid} already taken` }];
    const r = openInformational(e.p1, m.value);
    if (!r.ok) return [{ kind: 'drop', reason: 'ike-bad-informational', detail: r.problem }];
    noteSeen(e, mid);
    this.follow(e, localPort, from, now);
    const out: IpsecEndpointOutput[] = [];
    for (const p of r.payloads) {
      if (p.kind === 'notify' && p.notify.notifyType === NOTIFY.R_U_THERE && p.notify.data.length === 4) {
        const seq = ((p.notify.data[0]! << 24) | (p.notify.data[1]! << 16) | (p.notify.data[2]! << 8) | p.notify.data[3]!) >>> 0;
        out.push(this.sendIke(e, sealInformational(e.p1, randomU32(this.rng) || 1, [dpdPayload(e.p1, true, seq)])));
      } else if (p.kind === 'delete') {
        if (p.delete.protocolId === PROTO.ISAKMP) out.push(...this.removeIke(key, e, 'peer-delete'));
        else if (p.delete.protocolId === PROTO.IPSEC_ESP && p.delete.spiSize === 4) {
          // The peer names its inbound SPIs: our outbound SAs. Remove the pairs.
          const gone: number[] = [];
          for (const spi of p.delete.spis) {
            const n = ((spi[0]! << 24) | (spi[1]! << 16) | (spi[2]! << 8) | spi[3]!) >>> 0;
            const c = e.children.find((x) => x.child.outbound.spi === n);
            if (c) {
              this.removeChild(c);
              gone.push(n);
            }
          }
          out.push({ kind: 'deleted', peer: { ...e.peer }, isakmp: false, espSpis: gone, cause: 'peer-delete' });
        }
      }
    }
    return out;
  }

  private removeChild(c: ChildEntry): void {
    const e = c.ike;
    e.children = e.children.filter((x) => x !== c);
    this.bySpi.delete(c.child.inbound.spi);
    const k = peerKey(this.l2tpPeer(c));
    if (this.byL2tpPeer.get(k) === c) {
      this.byL2tpPeer.delete(k);
      // An older child of the same peer (kept through a rekey) takes over.
      const older = e.children.findLast((x) => peerKey(this.l2tpPeer(x)) === k);
      if (older) this.byL2tpPeer.set(k, older);
    }
  }

  /**
   * Removes an IKE SA and its ESP SAs (after a Delete of the ISAKMP SA the
   * peer starts over; RFC 2409 leaves the children's fate open). With a
   * `cause`, the `deleted` output says why.
   */
  private removeIke(key: string, e: IkeEntry, cause: Extract<IpsecEndpointOutput, { kind: 'deleted' }>['cause'] | undefined): IpsecEndpointOutput[] {
    if (!this.ike.delete(key)) return [];
    if (!e.p1) this.countHalfOpen(e, -1);
    for (const [k, v] of [...this.byInitiator]) if (v === key) this.byInitiator.delete(k);
    const spis = e.children.map((c) => c.child.outbound.spi);
    for (const c of [...e.children]) this.removeChild(c);
    return cause ? [{ kind: 'deleted', peer: { ...e.peer }, isakmp: true, espSpis: spis, cause }] : [];
  }
}

function spiBytes(spi: number): Uint8Array {
  return Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff);
}

function toEndpoint(p: IpsecPeer): Endpoint {
  return { address: addressBytes(p.address), port: p.port };
}

/** Message IDs an ISAKMP SA remembers as finished (oldest forgotten first). */
const MAX_SEEN_MIDS = 256;

function noteSeen(e: IkeEntry, mid: number): void {
  e.seenMids.add(mid);
  if (e.seenMids.size > MAX_SEEN_MIDS) e.seenMids.delete(e.seenMids.values().next().value!);
}
