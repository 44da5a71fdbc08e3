/**
 * All L2TP tunnels behind one UDP socket, sans-I/O: demultiplexing by
 * Tunnel ID, tunnel creation for new peers (LNS) or on request (LAC), Tunnel
 * ID allocation, peer address tracking across NAT, and the data path's first
 * step (a data message → which session, where its PPP frame is).
 *
 * Datagrams in: { from, bytes }. Out: datagrams to send, PPP frames for
 * sessions, tunnel events, drops. The driver owns the socket and the clock.
 *
 * NAT (RFC 2661 §8.1 allows the peer to answer from any port): the peer's
 * address and port are taken from each control message the tunnel accepts,
 * so a LAC behind NAT whose mapping changed, or an LNS that answers from an
 * ephemeral port, keeps working. Several LACs behind one NAT address are
 * told apart by their Assigned Tunnel IDs.
 */
import type { Millis } from '../core/machine.js';
import { randomU16, type Rng } from '../core/rng.js';
import { AVP, MSG } from './constants.js';
import { parseL2tpHeader } from './header.js';
import { L2tpTunnelFsm, type L2tpTunnelEvent, type L2tpTunnelInput, type L2tpTunnelOptions } from './tunnel-fsm.js';

/** A UDP peer. */
export interface UdpPeer {
  address: string;
  port: number;
}

/** Why the endpoint dropped a datagram. */
export type L2tpEndpointDropReason =
  /** Not a valid L2TP header. */
  | 'malformed-header'
  /** A control or data message for a Tunnel ID we do not have. */
  | 'unknown-tunnel'
  /** A data message for a Session ID the tunnel does not have (or not yet up). */
  | 'unknown-session'
  /** A new SCCRQ while at the tunnel limit. */
  | 'tunnel-limit'
  /** A message with Tunnel ID 0 that is not an SCCRQ (§3.1). */
  | 'not-sccrq'
  /** A tunnel-level drop (duplicate, unexpected message, …): see detail. */
  | 'tunnel-drop';

/** What the endpoint asks of the driver. */
export type L2tpEndpointOutput =
  | { kind: 'send'; to: UdpPeer; bytes: Uint8Array }
  /** A PPP frame (bytes[start, end)) for our session `sessionId` in tunnel `tunnelId`. */
  | { kind: 'ppp'; tunnelId: number; sessionId: number; bytes: Uint8Array; start: number; end: number }
  | { kind: 'event'; tunnelId: number; peer: UdpPeer; event: L2tpTunnelEvent }
  | { kind: 'drop'; reason: L2tpEndpointDropReason; detail?: string };

/** Endpoint configuration: the tunnel options minus the per-tunnel ID. */
export interface L2tpEndpointOptions {
  tunnel: Omit<L2tpTunnelOptions, 'localTunnelId'>;
  maxTunnels?: number;
}

interface Entry {
  fsm: L2tpTunnelFsm;
  peer: UdpPeer;
  /** The peer's Assigned Tunnel ID from its SCCRQ, for recognising retransmitted SCCRQs. */
  peerKey: string | undefined;
}

/** The tunnels of one UDP socket. */
export class L2tpEndpoint {
  private readonly tunnels = new Map<number, Entry>();
  /** "address|port|peerTunnelId" → our Tunnel ID, for SCCRQ retransmissions. */
  private readonly byPeerKey = new Map<string, number>();
  private readonly maxTunnels: number;

  constructor(
    private readonly opts: L2tpEndpointOptions,
    private readonly rng: Rng,
  ) {
    this.maxTunnels = opts.maxTunnels ?? 4096;
  }

  /** Number of live tunnels. */
  get size(): number {
    return this.tunnels.size;
  }

  /** The tunnel with our ID `id`. */
  tunnel(id: number): L2tpTunnelFsm | undefined {
    return this.tunnels.get(id)?.fsm;
  }

  /** The UDP peer of tunnel `id`. */
  peerOf(id: number): UdpPeer | undefined {
    return this.tunnels.get(id)?.peer;
  }

  /** All tunnel IDs. */
  tunnelIds(): number[] {
    return [...this.tunnels.keys()];
  }

  /** LAC: creates a tunnel toward `peer` and starts it (SCCRQ). Returns its ID and outputs. */
  connect(peer: UdpPeer, now: Millis): { tunnelId: number | undefined; out: L2tpEndpointOutput[] } {
    const entry = this.create(peer, undefined);
    if (!entry) return { tunnelId: undefined, out: [{ kind: 'drop', reason: 'tunnel-limit' }] };
    const out: L2tpEndpointOutput[] = [];
    this.apply(entry, { type: 'open' }, now, out);
    return { tunnelId: entry.fsm.localTunnelId, out };
  }

  /** A local command for one tunnel (open-session, close, close-session). */
  command(tunnelId: number, input: L2tpTunnelInput, now: Millis): L2tpEndpointOutput[] {
    const e = this.tunnels.get(tunnelId);
    const out: L2tpEndpointOutput[] = [];
    if (e) this.apply(e, input, now, out);
    return out;
  }

  /** Handles one received datagram. */
  receive(from: UdpPeer, bytes: Uint8Array, now: Millis): L2tpEndpointOutput[] {
    const out: L2tpEndpointOutput[] = [];
    const f = parseL2tpHeader(bytes);
    if (!f.ok) {
      out.push({ kind: 'drop', reason: 'malformed-header', detail: `${f.error.code} ${f.error.field ?? ''} at ${f.error.offset}` });
      return out;
    }
    const { header: h, payloadStart, payloadEnd } = f.value;
    if (!h.isControl) {
      const e = this.tunnels.get(h.tunnelId);
      if (!e) out.push({ kind: 'drop', reason: 'unknown-tunnel', detail: `data for tunnel ${h.tunnelId}` });
      else if (e.fsm.sessions.get(h.sessionId)?.state !== 'established') out.push({ kind: 'drop', reason: 'unknown-session', detail: `data for session ${h.sessionId}` });
      else out.push({ kind: 'ppp', tunnelId: h.tunnelId, sessionId: h.sessionId, bytes, start: payloadStart, end: payloadEnd });
      return out;
    }
    const body = bytes.subarray(payloadStart, payloadEnd);
    let e: Entry | undefined;
    if (h.tunnelId === 0) {
      const peerTunnelId = sccrqAssignedTunnelId(body);
      if (peerTunnelId === undefined) {
        out.push({ kind: 'drop', reason: 'not-sccrq', detail: 'tunnel ID 0 on a message that is not an SCCRQ' });
        return out;
      }
      const key = `${from.address}|${from.port}|${peerTunnelId}`;
      const existing = this.byPeerKey.get(key);
      e = existing !== undefined ? this.tunnels.get(existing) : undefined;
      if (!e) {
        e = this.create(from, key);
        if (!e) {
          out.push({ kind: 'drop', reason: 'tunnel-limit', detail: `from ${from.address}:${from.port}` });
          return out;
        }
      }
    } else {
      e = this.tunnels.get(h.tunnelId);
      if (!e) {
        out.push({ kind: 'drop', reason: 'unknown-tunnel', detail: `control for tunnel ${h.tunnelId} from ${from.address}:${from.port}` });
        return out;
      }
    }
    const before = out.length;
    this.apply(e, { type: 'packet', ns: h.ns!, nr: h.nr!, sessionId: h.sessionId, body }, now, out);
    // An SCCRQ the new tunnel did not take (out of window, malformed) leaves it idle with no
    // timer: free it now, or a flood of such SCCRQs fills the tunnel table for good.
    if (h.tunnelId === 0 && e.fsm.state === 'idle' && this.tunnels.get(e.fsm.localTunnelId) === e) {
      this.tunnels.delete(e.fsm.localTunnelId);
      if (e.peerKey) this.byPeerKey.delete(e.peerKey);
      return out;
    }
    // Track the peer's address only when the tunnel accepted the message (no drop).
    if (!out.slice(before).some((o) => o.kind === 'drop') && (e.peer.address !== from.address || e.peer.port !== from.port)) {
      e.peer = { address: from.address, port: from.port };
    }
    return out;
  }

  /** Runs every tunnel whose deadline has passed. */
  timeout(now: Millis): L2tpEndpointOutput[] {
    const out: L2tpEndpointOutput[] = [];
    for (const e of [...this.tunnels.values()]) {
      const d = e.fsm.nextDeadline();
      if (d !== undefined && d <= now) this.apply(e, { type: 'timeout' }, now, out);
    }
    return out;
  }

  /** The earliest deadline of any tunnel. */
  nextDeadline(): Millis | undefined {
    let min: number | undefined;
    for (const e of this.tunnels.values()) {
      const d = e.fsm.nextDeadline();
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }

  private create(peer: UdpPeer, peerKey: string | undefined): Entry | undefined {
    if (this.tunnels.size >= this.maxTunnels) return undefined;
    let id = 0;
    for (let tries = 0; tries < 256 && id === 0; tries++) {
      const c = randomU16(this.rng);
      if (c !== 0 && !this.tunnels.has(c)) id = c;
    }
    if (id === 0) return undefined;
    const entry: Entry = { fsm: new L2tpTunnelFsm({ ...this.opts.tunnel, localTunnelId: id }, this.rng), peer: { ...peer }, peerKey };
    this.tunnels.set(id, entry);
    if (peerKey) this.byPeerKey.set(peerKey, id);
    return entry;
  }

  private apply(e: Entry, input: L2tpTunnelInput, now: Millis, out: L2tpEndpointOutput[]): void {
    const id = e.fsm.localTunnelId;
    for (const o of e.fsm.handle(input, now)) {
      if (o.kind === 'send') out.push({ kind: 'send', to: e.peer, bytes: o.bytes });
      else if (o.kind === 'drop') out.push({ kind: 'drop', reason: 'tunnel-drop', detail: `${o.reason}${o.detail ? `: ${o.detail}` : ''}` });
      else {
        out.push({ kind: 'event', tunnelId: id, peer: e.peer, event: o.event });
        if (o.event.type === 'closed') {
          this.tunnels.delete(id);
          if (e.peerKey) this.byPeerKey.delete(e.peerKey);
        }
      }
    }
  }
}

/** The Assigned Tunnel ID of an SCCRQ body, or undefined when the body is not an SCCRQ. Cheap: reads AVP headers only. */
function sccrqAssignedTunnelId(body: Uint8Array): number | undefined {
  if (body.length < 8 || ((body[4]! << 8) | body[5]!) !== AVP.MESSAGE_TYPE || ((body[6]! << 8) | body[7]!) !== MSG.SCCRQ) return undefined;
  let p = 0;
  while (p + 6 <= body.length) {
    const len = ((body[p]! << 8) | body[p + 1]!) & 0x03ff;
    if (len < 6 || p + len > body.length) return undefined;
    const vendor = (body[p + 2]! << 8) | body[p + 3]!;
    const type = (body[p + 4]! << 8) | body[p + 5]!;
    const hidden = (body[p]! & 0x40) !== 0;
    if (vendor === 0 && type === AVP.ASSIGNED_TUNNEL_ID && len === 8 && !hidden) return (body[p + 6]! << 8) | body[p + 7]!;
    if (vendor === 0 && type === AVP.ASSIGNED_TUNNEL_ID && hidden) return 0; // hidden: key by address/port only
    p += len;
  }
  return 0;
}
