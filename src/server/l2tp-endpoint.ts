/**
 * The UDP side of L2TP (RFC 2661 §8.1), shared by the server (LNS,
 * l2tp-service.ts) and the client (LAC, src/client/l2tp-client.ts): one UDP
 * socket and the `L2tpEndpoint` (src/l2tp/endpoint.ts) that demultiplexes
 * every tunnel on it, and one `L2tpSessionTransport` per session, the twin
 * of gre-endpoint.ts for PPTP.
 *
 * Sockets. An IPv4 listen address gets the addon's UDP socket
 * (src/io/udp-socket.ts): recvmmsg batches, sendmmsg batches, a 4 MiB receive
 * buffer, DF set, ICMP errors from the error queue, and IP_PKTINFO so a
 * wildcard socket answers each peer from the address it used. Sends of one
 * event-loop turn (a receive batch, a TUN batch, fired timers) are queued in
 * one TxBatch and flushed at the end of the batch or in a microtask. IPv6
 * addresses, an addon without the UDP socket, and TUNPPP_L2TP_DGRAM=1 use
 * node:dgram, one send per datagram and no path-MTU signals.
 *
 * Data path. Control messages (T bit) go through the endpoint's tunnel FSMs.
 * Data messages are read here without the FSMs: header parsed in place,
 * session found by one map lookup on (Tunnel ID, Session ID), checked
 * against the tunnel's peer and the session's §5.4 sequencing
 * (src/l2tp/data-channel.ts), PPP frame handed to the link as a view. On
 * send the PPP frame is copied once, behind a data header written in place
 * by the session's data channel, into the send batch. Frames for a session
 * whose ICCN has not arrived yet wait in the early-frame hold
 * (early-frames.ts).
 *
 * Path MTU: ICMP fragmentation-needed toward a peer, and EMSGSIZE on send,
 * lower the MTU and MSS clamp of every session to that peer address (found
 * in a by-peer index, as GRE's); the call is kept. With kernel IPsec the
 * kernel decrypts ESP before the socket sees anything, so L2TP/IPsec arrives
 * here like plain L2TP and answers go back through the same SA; nothing
 * special is needed (docs/l2tp.md). The same holds for strongSwan's
 * userspace kernel-libipsec, whose decrypted packets enter through its TUN
 * device (test/e2e/l2tp-ipsec.test.ts).
 *
 * Other datagram sources. A port need not own a socket: `attach(sink)`
 * gives it where its datagrams go (`L2tpDatagramSink`) and `receive(bytes,
 * address, port)` feeds it what arrives, exactly as from a socket. The
 * built-in IPsec (server/ipsec-service.ts, client/ipsec-transport.ts) is such
 * a source: its own port, so an IPsec peer's tunnel can never be answered in
 * cleartext, with `outer` set so PPP sizes count ESP-in-UDP. A socket-bound
 * port may refuse cleartext sources (`refuseCleartext`, ipsec.required).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Millis } from '../core/machine.js';
import { PeerDemux } from '../core/peer-demux.js';
import { CDN_RESULT } from '../l2tp/constants.js';
import { L2tpDataChannel, l2tpSessionKey } from '../l2tp/data-channel.js';
import { parseL2tpHeader } from '../l2tp/header.js';
import { L2tpEndpoint, type L2tpEndpointOptions, type L2tpEndpointOutput, type UdpPeer } from '../l2tp/endpoint.js';
import type { L2tpTunnelEvent } from '../l2tp/tunnel-fsm.js';
import type { TunnelOptions } from '../mtu/overhead.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import type { LinkTransport, PppLink } from './link.js';
import { guardOf } from './guard.js';
import { l2tpDropField } from './stats.js';
import { lacRefusal } from './lac-admission.js';
import { UdpPeerBook } from './udp-peer-book.js';
import { EarlyFrames } from './early-frames.js';
import { nativeUdpAvailable, openUdpSocket, type UdpIcmpErrorEvent, type UdpSendErrorEvent, type UdpSocket } from '../io/udp-socket.js';
import { UdpSocketError } from '../io/errors.js';
import { TxBatch, type RxBatch } from '../io/packet-batch.js';
import { parseIpv4 } from '../config/ipv4.js';

/**
 * Where a port's datagrams go when it owns no socket of its own: a dgram
 * socket, a fake or a relay in tests, or the built-in IPsec (the datagram
 * goes out through the peer's ESP SA). `msg` may be reused after the call.
 */
export interface L2tpDatagramSink {
  send(msg: Uint8Array, port: number, address: string): void;
  close(): void;
}


/** Counters of one UDP port. */
export interface L2tpPortStats {
  rx: number;
  tx: number;
  txFailed: number;
  /** Data messages dropped: not parseable. */
  malformed: number;
  /** Data messages for no session we know. */
  unknownSession: number;
  /** Data messages from an address or port that is not the tunnel's peer. */
  wrongSource: number;
  /** Sequenced data messages older than the newest seen (§5.4). */
  staleSequence: number;
  /** Control-plane drops reported by the endpoint. */
  controlDrops: number;
  /** Data messages held for a session whose ICCN had not arrived yet, delivered when it did. */
  heldEarly: number;
  /** ICMP errors for datagrams we sent (fragmentation-needed, unreachable ...); native socket only. */
  icmpErrors: number;
  /** Datagrams refused by `refuseCleartext` (ipsec.required). */
  refusedCleartext: number;
}

/** Frames held per session waiting for its ICCN, and in all. */
const EARLY_PER_SESSION = 4;
const EARLY_TOTAL = 1024;

/** One L2TP session's data path: the transport its PppLink sends through. */
export class L2tpSessionTransport implements LinkTransport {
  readonly proto = 'l2tp' as const;
  link!: PppLink;
  closed = false;
  /** The data header we write and the §5.4 sequencing of what we receive. */
  readonly data: L2tpDataChannel;
  /** The peer's address as a number (0 for IPv6): the by-peer index key. */
  readonly peerU32: number;
  /** Batched sends: the tunnel's peer these were computed for. */
  sendPeer: UdpPeer | undefined;
  sendPeerU32 = 0;
  /** Our address the peer talks to (IP_PKTINFO source of our datagrams; 0: the kernel's choice). */
  sendLocal = 0;

  constructor(
    private readonly port: L2tpPort,
    readonly tunnelId: number,
    readonly sessionId: number,
    readonly peerTunnelId: number,
    readonly peerSessionId: number,
    /** Send Ns/Nr in data messages (the peer's Sequencing Required AVP). */
    readonly sequencing: boolean,
    readonly peerAddress: string,
  ) {
    this.data = new L2tpDataChannel(peerTunnelId, peerSessionId, sequencing);
    this.peerU32 = parseIpv4(peerAddress) ?? 0;
  }

  /** Bytes of our data header. */
  get headerBytes(): number {
    return this.data.headerBytes;
  }

  /** Nr we advertise: the Ns we expect next from the peer. */
  get nr(): number {
    return this.data.nr;
  }

  set nr(v: number) {
    this.data.nr = v;
  }

  sendFrame(frame: Uint8Array, _now: Millis): void {
    if (this.closed) return;
    if (this.port.batched) {
      this.port.sendFrameBatched(this, frame);
      return;
    }
    // One copy: the frame goes behind a header written in place in a fresh datagram
    // (dgram may send asynchronously, so the buffer cannot be a reused arena).
    const buf = Buffer.allocUnsafe(this.data.headerBytes + frame.length);
    this.data.writeDatagram(frame, buf, 0);
    this.port.sendData(this.tunnelId, buf);
  }

  close(reason: string, now: Millis): void {
    if (this.closed) return;
    this.closed = true;
    this.port.closeSession(this, reason, now);
  }

  tunnelOptions(): TunnelOptions {
    const link = this.link as PppLink | undefined;
    // Before CCP has spoken, count MPPE's 4 bytes when policy allows it (the safe side).
    const mppe = link?.state === 'up' ? link.mppe !== undefined : this.port.mppePossible;
    return { proto: 'l2tp', mppe, l2tpLength: false, l2tpSequence: this.sequencing, ...this.port.outer };
  }
}

/** What the owner of a port (server or client) is told. */
export interface L2tpPortHooks {
  /** A tunnel event other than session up/down of a known session (those are handled here too, then passed on). */
  onTunnelEvent(port: L2tpPort, tunnelId: number, peer: UdpPeer, event: L2tpTunnelEvent, now: Millis): void;
}

/**
 * One UDP socket and the L2TP endpoint behind it. Shared by the LNS
 * (L2tpService) and the LAC (src/client/l2tp-client.ts).
 */
export class L2tpPort {
  readonly stats: L2tpPortStats = { rx: 0, tx: 0, txFailed: 0, malformed: 0, unknownSession: 0, wrongSource: 0, staleSequence: 0, controlDrops: 0, heldEarly: 0, icmpErrors: 0, refusedCleartext: 0 };
  readonly endpoint: L2tpEndpoint;
  /** Live sessions by (our Tunnel ID, our Session ID) (l2tpSessionKey). */
  readonly sessions = new Map<number, L2tpSessionTransport>();
  /** The same sessions by (peer address, session key): the path-MTU fan-out. */
  private readonly byPeer = new PeerDemux<L2tpSessionTransport, number>();
  private readonly log: Logger;
  private socket: L2tpDatagramSink | undefined;
  /** The addon's UDP socket, when bound through it: sends go through `tx`. */
  private udp: UdpSocket | undefined;
  private readonly tx = new TxBatch(256, 256 * 2048);
  private flushQueued = false;
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.flush();
  };
  /** Peer addresses as text, and per peer the address of ours it sent its last control message to (the source of our answers). */
  private readonly peers = new UdpPeerBook();
  private closedSocket = false;
  /**
   * PPP frames that arrived for a session between our ICRP and the peer's
   * ICCN. A LAC starts LCP as soon as it sends ICCN; when the ICCN waits in
   * its control window, or is lost and retransmitted, the first LCP
   * Configure-Request overtakes it, and dropping it costs a 3 s restart timer.
   */
  private readonly early = new EarlyFrames({ maxFrames: EARLY_TOTAL, maxPerKey: EARLY_PER_SESSION, whenFull: 'refuse' });
  /** Headers around this port's datagrams beyond UDP/IPv4 (the built-in IPsec: ESP in UDP 4500), for the MTU arithmetic. */
  outer: Partial<TunnelOptions> | undefined;
  /**
   * Cleartext L2TP refused by policy (ipsec.required): called for each
   * datagram this port's socket receives; true drops it (counted here; the
   * owner logs).
   */
  refuseCleartext: ((address: string, port: number, now: Millis) => boolean) | undefined;

  constructor(
    readonly ctx: ServerContext,
    endpointOptions: L2tpEndpointOptions,
    readonly hooks: L2tpPortHooks,
    log: Logger,
    /** MPPE may be negotiated on this port's links (MTU arithmetic before CCP). */
    readonly mppePossible: boolean,
  ) {
    this.endpoint = new L2tpEndpoint(endpointOptions, ctx.rng);
    this.log = log;
  }

  /** Uses `socket` for sending; the owner feeds received datagrams to `receive`. */
  attach(socket: L2tpDatagramSink): void {
    this.socket = socket;
  }

  /** Sends are batched through the addon's UDP socket. */
  get batched(): boolean {
    return this.udp !== undefined;
  }

  /** The bound UDP socket of the addon, when this port uses one (metrics, tests). */
  get nativeSocket(): UdpSocket | undefined {
    return this.udp;
  }

  /**
   * Binds a UDP socket on `address:port` and starts receiving; resolves with
   * the bound port. A failure rejects with an error whose `code` is the errno
   * name ('EADDRINUSE' ...), as node:dgram's do.
   */
  async bind(address: string, port: number): Promise<number> {
    const v4 = parseIpv4(address);
    if (v4 !== undefined && process.env['TUNPPP_L2TP_DGRAM'] !== '1' && nativeUdpAvailable()) return this.bindNative(address, port);
    return this.bindDgram(address, port);
  }

  private bindNative(address: string, port: number): number {
    let udp: UdpSocket;
    try {
      udp = openUdpSocket({ bind: address, port });
    } catch (err) {
      if (err instanceof UdpSocketError) throw Object.assign(new Error(err.message, { cause: err }), { code: err.errno, errno: err.errno, syscall: err.syscall });
      throw err;
    }
    this.udp = udp;
    udp.onPackets((b) => this.receiveBatch(b));
    udp.onIcmpError((e) => this.onIcmp(e));
    udp.onSendError((e) => this.onSendError(e));
    udp.onError((err) => this.log.warn('udp-error', `L2TP socket receive error (ignored, tunnels kept): ${err.message}`));
    return udp.port;
  }

  private async bindDgram(address: string, port: number): Promise<number> {
    const v6 = isIPv6(address);
    const sock: Socket = createSocket({ type: v6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address, port, exclusive: true }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', (err) => this.log.warn('udp-error', `L2TP socket error (ignored, tunnels kept): ${err.message}`));
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.receive(msg, rinfo.address, rinfo.port));
    this.attach({
      // Peers are kept as plain IPv4 strings; a dual-stack socket sends to their mapped form.
      send: (msg, p, a) => sock.send(msg, p, v6 && !isIPv6(a) ? `::ffff:${a}` : a, (err) => {
        if (err) {
          this.stats.txFailed++;
          this.log.debug('udp-send', `L2TP send to ${a}:${p} failed: ${err.message} (packet dropped, tunnel kept)`);
        }
      }),
      close: () => sock.close(),
    });
    return sock.address().port;
  }

  /** Closes the socket. */
  close(): void {
    if (this.closedSocket) return;
    this.flush();
    this.closedSocket = true;
    this.ctx.scheduler.delete(this);
    this.socket?.close();
    this.udp?.close();
  }

  /** Sends the queued datagrams (native socket). */
  flush(): void {
    const tx = this.tx;
    if (tx.count === 0) return;
    if (this.udp && !this.udp.closed) {
      const n = this.udp.send(tx);
      this.stats.txFailed += tx.count - n;
    } else this.stats.txFailed += tx.count;
    tx.clear();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flushTask);
  }

  /** Queues one finished datagram to `peer` (native socket). */
  private queueDatagram(bytes: Uint8Array, peer: UdpPeer): void {
    const dst = parseIpv4(peer.address);
    if (dst === undefined) {
      this.stats.txFailed++;
      return;
    }
    if (!this.tx.fits(bytes.length)) this.flush();
    if (!this.tx.push(dst, bytes, this.peers.localOf(peer.address), peer.port)) {
      this.stats.txFailed++;
      return;
    }
    this.queueFlush();
  }

  /** Encapsulates a PPP frame of `t` into the send batch: one copy, header written in place. */
  sendFrameBatched(t: L2tpSessionTransport, frame: Uint8Array): void {
    const peer = this.endpoint.peerOf(t.tunnelId);
    if (!peer) {
      this.stats.txFailed++;
      return;
    }
    if (peer !== t.sendPeer) {
      t.sendPeer = peer;
      t.sendPeerU32 = parseIpv4(peer.address) ?? 0;
      t.sendLocal = this.peers.localOf(peer.address);
    }
    const len = t.headerBytes + frame.length;
    if (!this.tx.fits(len)) this.flush();
    const off = this.tx.reserve(t.sendPeerU32, len, t.sendLocal, peer.port);
    if (off < 0) {
      this.stats.txFailed++;
      return;
    }
    t.data.writeDatagram(frame, this.tx.data, off);
    this.stats.tx++;
    this.queueFlush();
  }

  /** One recvmmsg batch from the native socket. */
  private receiveBatch(b: RxBatch): void {
    const now = this.ctx.clock.now();
    for (let i = 0; i < b.count; i++) {
      const src = b.source(i);
      const address = this.peers.textOf(src);
      const off = b.offset(i);
      const bytes = b.data.subarray(off, off + b.length(i));
      // Control: remember which of our addresses this peer talks to, for the answers.
      if (bytes.length >= 2 && (bytes[0]! & 0x80) !== 0) this.peers.noteLocal(address, b.local(i));
      this.receiveOne(bytes, address, b.port(i), now);
    }
    this.flush();
    this.ctx.tun.flush();
  }

  private onIcmp(e: UdpIcmpErrorEvent): void {
    this.stats.icmpErrors++;
    if (e.kind === 'frag-needed' && e.mtu !== undefined) this.pathMtu(e.dstAddr, e.mtu, `ICMP fragmentation needed from ${e.offender ?? 'a router'}`);
    else this.log.debug('icmp', `ICMP ${e.kind} (type ${e.icmpType} code ${e.icmpCode}) for UDP to ${e.dst}:${e.dstPort} from ${e.offender ?? '?'}: noted, tunnels kept`);
  }

  private onSendError(e: UdpSendErrorEvent): void {
    if (e.errno === 'EMSGSIZE' && e.mtu !== undefined) this.pathMtu(e.dstAddr, e.mtu, 'EMSGSIZE on send');
    else this.log.debug('udp-send', `L2TP send to ${e.dst} failed: ${e.errno} (packet dropped, tunnel kept)`);
  }

  /** The path toward `peer` has MTU `mtu`: every session to that address lowers its MTU (the call is kept). */
  private pathMtu(peer: number, mtu: number, source: string): void {
    for (const s of this.byPeer.ofPeer(peer)) if (!s.closed) s.link.onPathMtu(mtu, source);
  }

  /** Tunnels on this port. */
  get tunnelCount(): number {
    return this.endpoint.size;
  }

  /** One received datagram. */
  receive(bytes: Uint8Array, fromAddress: string, fromPort: number): void {
    const address = fromAddress.startsWith('::ffff:') ? fromAddress.slice(7) : fromAddress;
    this.receiveOne(bytes, address, fromPort, this.ctx.clock.now());
    this.flush();
    this.ctx.tun.flush();
  }

  private receiveOne(bytes: Uint8Array, address: string, fromPort: number, now: Millis): void {
    this.stats.rx++;
    if (this.refuseCleartext?.(address, fromPort, now)) {
      this.stats.refusedCleartext++;
      return;
    }
    if (bytes.length >= 2 && (bytes[0]! & 0x80) === 0) {
      this.receiveData(bytes, address, fromPort, now);
      return;
    }
    const from = { address, port: fromPort };
    // A new SCCRQ passes access control, then the limits (whose fairness may evict another source's tunnel in setup).
    if (this.endpoint.sccrqKind(from, bytes) === 'new' && (this.lacRefused(bytes, from, now) || this.sccrqRefused(address, now))) return;
    this.apply(this.endpoint.receive(from, bytes, now), now);
  }

  /** xl2tpd access control (lac-admission.ts): a refused SCCRQ gets a StopCCN and no tunnel. */
  private lacRefused(bytes: Uint8Array, from: UdpPeer, now: Millis): boolean {
    const r = lacRefusal(this.ctx.config.listen.l2tp.access, this.endpoint, bytes, from);
    if (!r) return false;
    this.log.info('l2tp-access', `SCCRQ from ${from.address}:${from.port} refused: ${r.why}`);
    if (r.reply) this.apply([{ kind: 'send', to: from, bytes: r.reply }], now);
    return true;
  }

  /**
   * Hostile-peer limits (guard.ts) for a new tunnel: an SCCRQ (control, Tunnel
   * ID 0) over the per-source rate, or while too many tunnels are in setup, is
   * dropped and counted before the endpoint allocates anything. At the
   * server-wide limit, a source holding fewer tunnels in setup than another
   * takes the place of that source's oldest (endpoint.fairEviction): forged
   * SCCRQs from a few addresses cannot shut real LACs out. Asked only for a
   * new SCCRQ that access control let through: a retransmission of an SCCRQ
   * that already has its tunnel goes through (it is answered 1:1), and
   * anything that is no SCCRQ never evicts.
   */
  private sccrqRefused(address: string, now: Millis): boolean {
    const guard = guardOf(this.ctx);
    const starting = this.endpoint.startingBySource();
    let total = 0;
    for (const ids of starting.values()) total += ids.length;
    const victim = total >= guard.limits.maxStarting ? this.endpoint.fairEviction(address, starting) : undefined;
    const why = guard.admitTunnel(address, now, victim !== undefined ? total - 1 : total, starting.get(address)?.length ?? 0);
    if (why !== undefined) {
      this.log.debug('limit', `SCCRQ from ${address} dropped: ${why}`);
      return true;
    }
    if (victim !== undefined) {
      const peer = this.endpoint.peerOf(victim);
      this.endpoint.evict(victim);
      this.ctx.stats.evictedStarting++;
      this.log.debug('limit', `tunnel ${victim} in setup from ${peer?.address ?? '?'} evicted for an SCCRQ from ${address} (setup fairness at limits.maxStarting ${guard.limits.maxStarting})`);
    }
    return false;
  }

  private receiveData(bytes: Uint8Array, address: string, fromPort: number, now: Millis): void {
    const stats = this.ctx.stats;
    const f = parseL2tpHeader(bytes);
    if (!f.ok) {
      this.stats.malformed++;
      stats['l2tpDrop:malformed-header']++;
      return;
    }
    const h = f.value.header;
    const key = l2tpSessionKey(h.tunnelId, h.sessionId);
    const s = this.sessions.get(key);
    if (!s || s.closed) {
      if (!s && this.holdEarly(key, h.tunnelId, h.sessionId, address, fromPort, bytes.subarray(f.value.payloadStart, f.value.payloadEnd), now)) return;
      this.stats.unknownSession++;
      stats['l2tpDrop:unknown-session']++;
      return;
    }
    // Only the tunnel's peer (address and port, fixed at setup) sends its data.
    const peer = this.endpoint.peerOf(h.tunnelId);
    if (peer?.address !== address || peer.port !== fromPort) {
      this.stats.wrongSource++;
      stats['l2tpDrop:wrong-source']++;
      return;
    }
    if (!s.data.accept(h.ns)) {
      this.stats.staleSequence++;
      stats['l2tpDrop:stale-sequence']++;
      return;
    }
    s.link.fromTransport(bytes.subarray(f.value.payloadStart, f.value.payloadEnd), now);
  }

  private holdEarly(key: number, tunnelId: number, sessionId: number, address: string, fromPort: number, frame: Uint8Array, now: Millis): boolean {
    if (this.endpoint.tunnel(tunnelId)?.sessions.get(sessionId)?.state !== 'wait-connect') return false;
    const peer = this.endpoint.peerOf(tunnelId);
    if (peer?.address !== address || peer.port !== fromPort) return false;
    if (!this.early.hold(key, frame, now)) return false;
    this.stats.heldEarly++;
    return true;
  }

  /** Frames held for session (tunnelId, sessionId) before it came up; the owner feeds them to the new link. */
  takeEarly(tunnelId: number, sessionId: number): Uint8Array[] {
    return this.early.take(l2tpSessionKey(tunnelId, sessionId), this.ctx.clock.now());
  }

  /** Sends a finished data message for tunnel `tunnelId` to its current peer. */
  sendData(tunnelId: number, datagram: Uint8Array): void {
    const peer = this.endpoint.peerOf(tunnelId);
    if (!peer || (!this.socket && !this.udp)) {
      this.stats.txFailed++;
      return;
    }
    this.stats.tx++;
    if (this.udp) this.queueDatagram(datagram, peer);
    else this.socket!.send(datagram, peer.port, peer.address);
  }

  /** LAC: opens a tunnel toward `peer`. */
  connect(peer: UdpPeer): number | undefined {
    const now = this.ctx.clock.now();
    const r = this.endpoint.connect(peer, now);
    this.apply(r.out, now);
    return r.tunnelId;
  }

  /** A local command for one tunnel. */
  command(tunnelId: number, input: Parameters<L2tpEndpoint['command']>[1], now = this.ctx.clock.now()): void {
    this.apply(this.endpoint.command(tunnelId, input, now), now);
  }

  /** Registers the data path of an established session. */
  openSession(tunnelId: number, peer: UdpPeer, e: Extract<L2tpTunnelEvent, { type: 'session-up' }>): L2tpSessionTransport {
    const fsm = this.endpoint.tunnel(tunnelId);
    const t = new L2tpSessionTransport(this, tunnelId, e.sessionId, fsm?.peerTunnelId ?? 0, e.peerSessionId, e.sequencingRequired, peer.address);
    const key = l2tpSessionKey(tunnelId, e.sessionId);
    this.sessions.set(key, t);
    this.byPeer.set(t.peerU32, key, t);
    return t;
  }

  /** The link ended: CDN for its session (once). */
  closeSession(t: L2tpSessionTransport, reason: string, now: Millis): void {
    this.forget(t);
    if (this.endpoint.tunnel(t.tunnelId)?.sessions.has(t.sessionId)) {
      this.command(t.tunnelId, { type: 'close-session', sessionId: t.sessionId, result: { result: CDN_RESULT.ADMIN, message: reason.slice(0, 200) }, reason }, now);
    }
  }

  private forget(t: L2tpSessionTransport): void {
    const key = l2tpSessionKey(t.tunnelId, t.sessionId);
    this.sessions.delete(key);
    if (this.byPeer.get(t.peerU32, key) === t) this.byPeer.delete(t.peerU32, key);
  }

  /** Every session of tunnel `tunnelId`. */
  sessionsOf(tunnelId: number): L2tpSessionTransport[] {
    return [...this.sessions.values()].filter((s) => s.tunnelId === tunnelId);
  }

  /** Processes endpoint outputs and re-arms the port's timer. */
  apply(outs: L2tpEndpointOutput[], now: Millis): void {
    for (const o of outs) {
      if (o.kind === 'send') {
        if (this.closedSocket) continue;
        if (this.udp) {
          this.stats.tx++;
          this.queueDatagram(o.bytes, o.to);
        } else if (this.socket) {
          this.stats.tx++;
          this.socket.send(o.bytes, o.to.port, o.to.address);
        }
      } else if (o.kind === 'event') this.onEvent(o.tunnelId, o.peer, o.event, now);
      else if (o.kind === 'drop') {
        this.stats.controlDrops++;
        this.ctx.stats[l2tpDropField(o.reason)]++;
        this.log.debug('l2tp-drop', `control message dropped: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`);
      }
      // 'ppp' outputs do not occur: data messages never reach the endpoint here (receiveData reads them).
    }
    this.schedule();
  }

  private schedule(): void {
    this.ctx.scheduler.set(this, this.closedSocket ? undefined : this.endpoint.nextDeadline(), (t) => this.apply(this.endpoint.timeout(t), t));
  }

  private onEvent(tunnelId: number, peer: UdpPeer, e: L2tpTunnelEvent, now: Millis): void {
    if (e.type === 'session-down') {
      this.takeEarly(tunnelId, e.sessionId);
      const s = this.sessions.get(l2tpSessionKey(tunnelId, e.sessionId));
      if (s) {
        s.closed = true;
        this.forget(s);
        this.hooks.onTunnelEvent(this, tunnelId, peer, e, now);
        s.link.lowerDown(`L2TP session closed (${e.reason})`, now);
        return;
      }
    }
    this.hooks.onTunnelEvent(this, tunnelId, peer, e, now);
  }
}
