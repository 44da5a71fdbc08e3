/**
 * All L2TP tunnels behind one UDP socket, sans-I/O: demultiplexing by
 * Tunnel ID, tunnel creation for new peers (LNS) or on request (LAC), Tunnel
 * ID allocation, peer address tracking across NAT, and the data path's first
 * step (a data message → which session, where its PPP frame is).
 *
 * Datagrams in: { from, bytes }. Out: datagrams to send, PPP frames for
 * sessions, tunnel events, drops. The driver owns the socket and the clock.
 * The server's and client's UDP port (src/server/l2tp-endpoint.ts) reads
 * data messages itself and hands only control messages here; the `ppp`
 * output serves in-memory harnesses (the fuzz targets) that feed everything.
 *
 * Peer address (RFC 2661 §8.1). A tunnel's peer address and port are fixed
 * when the tunnel is set up: an LNS tunnel's by the SCCRQ's source; a LAC
 * tunnel's by the address it was opened toward, except that the port may
 * change once, in the first message the LNS sends (its SCCRP), since §8.1
 * lets an LNS answer from another port. A control or data message for a
 * tunnel from any other address or port is dropped (`wrong-source`) before
 * the tunnel sees it, so a host that is not the peer cannot ack, inject or
 * redirect anything, whatever Tunnel ID it tries. Several LACs behind one NAT
 * address are told apart by their Assigned Tunnel IDs. A NAT mapping that
 * changes mid-tunnel ends that tunnel (its keepalive fails); the LAC sets up
 * a new one.
 *
 * Tunnels in setup (LNS: SCCRQ answered, SCCCN not yet in) come from an
 * unproven address. `fairEviction` lets a new SCCRQ take the place of the
 * oldest such tunnel of the source holding the most of them, so a few
 * sources (forged or not) cannot keep the setup slots for themselves.
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
  /** A message for a tunnel from an address/port that is not the tunnel's peer. */
  | 'wrong-source'
  /** A control message whose Nr acknowledges something we never sent. */
  | 'bad-nr'
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

const ENDPOINT_DROP_REASONS: Record<L2tpEndpointDropReason, true> = {
  'malformed-header': true,
  'wrong-source': true,
  'bad-nr': true,
  'unknown-tunnel': true,
  'unknown-session': true,
  'tunnel-limit': true,
  'not-sccrq': true,
  'tunnel-drop': true,
};
/** Every drop reason of the endpoint (for counters that list them all). */
export const L2TP_ENDPOINT_DROP_REASONS = Object.keys(ENDPOINT_DROP_REASONS) as readonly L2tpEndpointDropReason[];

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
  /** The peer: fixed at setup (see "Peer address"). */
  peer: UdpPeer;
  /** False only for a LAC tunnel before the LNS's first message: its port may still change. */
  portFixed: boolean;
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
    const entry = this.create(peer, undefined, false);
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
      else if (!samePeer(e.peer, from)) out.push({ kind: 'drop', reason: 'wrong-source', detail: `data for tunnel ${h.tunnelId} from ${from.address}:${from.port}` });
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
        e = this.create(from, key, true);
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
      // Only the peer speaks for its tunnel; a LAC tunnel takes the LNS's new port from its SCCRP only.
      const portMayMove = !e.portFixed && e.fsm.state === 'wait-ctl-reply' && from.address === e.peer.address && isMessageType(body, MSG.SCCRP);
      if (!samePeer(e.peer, from) && !portMayMove) {
        out.push({ kind: 'drop', reason: 'wrong-source', detail: `control for tunnel ${h.tunnelId} from ${from.address}:${from.port}, peer is ${e.peer.address}:${e.peer.port}` });
        return out;
      }
    }
    // A LAC's answer to an SCCRP from a new port goes to that port (undone below if the SCCRP is not taken).
    const fixedPeer = e.peer;
    const waitingSccrp = !e.portFixed && e.fsm.state === 'wait-ctl-reply';
    if (waitingSccrp && from.port !== e.peer.port) e.peer = { address: e.peer.address, port: from.port };
    this.apply(e, { type: 'packet', ns: h.ns!, nr: h.nr!, sessionId: h.sessionId, body }, now, out);
    if (waitingSccrp && e.fsm.state === 'wait-ctl-reply') e.peer = fixedPeer;
    // An SCCRQ the new tunnel did not take (out of window, malformed) leaves it idle with no
    // timer: free it now, or a flood of such SCCRQs fills the tunnel table for good.
    if (h.tunnelId === 0 && e.fsm.state === 'idle' && this.tunnels.get(e.fsm.localTunnelId) === e) {
      this.forget(e);
      return out;
    }
    // LAC: the tunnel left wait-ctl-reply (SCCRP taken, or closed): its peer's port is fixed.
    if (!e.portFixed && e.fsm.state !== 'wait-ctl-reply') e.portFixed = true;
    return out;
  }

  /**
   * LNS: tunnels still in setup (SCCRQ answered, no SCCCN yet), by source
   * address, each list oldest first.
   */
  startingBySource(): Map<string, number[]> {
    const m = new Map<string, number[]>();
    for (const [id, e] of this.tunnels) {
      const st = e.fsm.state;
      if (st !== 'idle' && st !== 'wait-ctl-conn') continue;
      let ids = m.get(e.peer.address);
      if (!ids) m.set(e.peer.address, (ids = []));
      ids.push(id);
    }
    return m;
  }

  /**
   * LNS fairness at the limit of tunnels in setup: the tunnel a new SCCRQ
   * from `address` may take the place of — the oldest in setup of the source
   * holding the most, when that source holds more than `address` does — or
   * undefined. `starting` is startingBySource(). Pure: `evict` does the deed.
   */
  fairEviction(address: string, starting: Map<string, number[]>): number | undefined {
    const mine = starting.get(address)?.length ?? 0;
    let victim: number[] | undefined;
    for (const ids of starting.values()) if (ids.length > (victim?.length ?? mine)) victim = ids;
    return victim?.[0];
  }

  /** Forgets tunnel `id` at once, without a word to its peer (a tunnel in setup from an unproven source). */
  evict(id: number): boolean {
    const e = this.tunnels.get(id);
    if (!e) return false;
    this.forget(e);
    return true;
  }

  /**
   * What a control datagram is for admission: `new` for an SCCRQ that would
   * open a tunnel, `retransmitted` for an SCCRQ from `from` that already has
   * its tunnel, `other` for anything else (a message for a live tunnel, or
   * one the endpoint drops anyway).
   */
  sccrqKind(from: UdpPeer, bytes: Uint8Array): 'new' | 'retransmitted' | 'other' {
    const f = parseL2tpHeader(bytes);
    if (!f.ok || !f.value.header.isControl || f.value.header.tunnelId !== 0) return 'other';
    const peerTunnelId = sccrqAssignedTunnelId(bytes.subarray(f.value.payloadStart, f.value.payloadEnd));
    if (peerTunnelId === undefined) return 'other';
    return this.byPeerKey.has(`${from.address}|${from.port}|${peerTunnelId}`) ? 'retransmitted' : 'new';
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

  private forget(e: Entry): void {
    if (this.tunnels.get(e.fsm.localTunnelId) === e) this.tunnels.delete(e.fsm.localTunnelId);
    if (e.peerKey && this.byPeerKey.get(e.peerKey) === e.fsm.localTunnelId) this.byPeerKey.delete(e.peerKey);
  }

  private create(peer: UdpPeer, peerKey: string | undefined, portFixed: boolean): Entry | undefined {
    if (this.tunnels.size >= this.maxTunnels) return undefined;
    let id = 0;
    for (let tries = 0; tries < 256 && id === 0; tries++) {
      const c = randomU16(this.rng);
      if (c !== 0 && !this.tunnels.has(c)) id = c;
    }
    if (id === 0) return undefined;
    const entry: Entry = { fsm: new L2tpTunnelFsm({ ...this.opts.tunnel, localTunnelId: id }, this.rng), peer: { address: peer.address, port: peer.port }, portFixed, peerKey };
    this.tunnels.set(id, entry);
    if (peerKey) this.byPeerKey.set(peerKey, id);
    return entry;
  }

  private apply(e: Entry, input: L2tpTunnelInput, now: Millis, out: L2tpEndpointOutput[]): void {
    const id = e.fsm.localTunnelId;
    for (const o of e.fsm.handle(input, now)) {
      if (o.kind === 'send') out.push({ kind: 'send', to: e.peer, bytes: o.bytes });
      else if (o.kind === 'drop') out.push({ kind: 'drop', reason: o.reason === 'bad-nr' ? 'bad-nr' : 'tunnel-drop', detail: `${o.reason}${o.detail ? `: ${o.detail}` : ''}` });
      else {
        out.push({ kind: 'event', tunnelId: id, peer: e.peer, event: o.event });
        if (o.event.type === 'closed') this.forget(e);
      }
    }
    // An LNS tunnel that closed before its peer acked anything of ours (refused SCCRQ, unproven
    // source) has nobody to hold the §5.7 close period for: free it now, or forged SCCRQs that
    // are refused fill the tunnel table for 31 s each. A real LAC's retransmission gets a new answer.
    if (e.fsm.state === 'closing' && this.opts.tunnel.role === 'lns' && !e.fsm.channel.peerProven && this.tunnels.get(id) === e) {
      this.forget(e);
      out.push({ kind: 'event', tunnelId: id, peer: e.peer, event: { type: 'closed' } });
    }
  }
}

/** The body's first AVP is a Message Type AVP of `type` (read raw, as sccrqAssignedTunnelId does). */
function isMessageType(body: Uint8Array, type: number): boolean {
  return body.length >= 8 && ((body[4]! << 8) | body[5]!) === AVP.MESSAGE_TYPE && ((body[6]! << 8) | body[7]!) === type;
}

function samePeer(a: UdpPeer, b: UdpPeer): boolean {
  return a.address === b.address && a.port === b.port;
}

/** The Assigned Tunnel ID of an SCCRQ body, or undefined when the body is not an SCCRQ. Cheap: reads AVP headers only. */
function sccrqAssignedTunnelId(body: Uint8Array): number | undefined {
  if (!isMessageType(body, MSG.SCCRQ)) return undefined;
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
