/**
 * The UDP side of the built-in IPsec (server): UDP 500 (IKE) and 4500
 * (NAT-T: IKE behind the non-ESP marker, ESP-in-UDP, keepalives) on the
 * addon's batched UDP socket, and the pure `IpsecResponderEndpoint`
 * (src/ipsec/responder-endpoint.ts) that does the protocol — the twin of
 * l2tp-endpoint.ts for L2TP.
 *
 * Each recvmmsg batch goes through the endpoint; what it asks to send is
 * queued in one TxBatch per socket and flushed at the end of the batch (or
 * in a microtask, for sends from the L2TP side), each answer from the local
 * address the peer last sent to (IP_PKTINFO). Everything else the endpoint
 * says (decrypted L2TP, SA events, drops) goes to the owner
 * (ipsec-service.ts). Deadlines (retransmissions, lifetimes, DPD) go through
 * the server's scheduler; an ESP datagram never moves a deadline earlier,
 * so only IKE datagrams and fired timers re-arm it.
 *
 * Raw ESP (IP protocol 50) is not received: with `forceEncapsulation` (the
 * default) every NAT-T client uses UDP 4500; `send-esp` outputs are counted
 * as drops.
 */
import type { Millis } from '../core/machine.js';
import { IpsecResponderEndpoint, type IpsecEndpointOutput, type IpsecPeer, type IpsecResponderOptions } from '../ipsec/responder-endpoint.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import { openUdpSocket, type UdpSocket } from '../io/udp-socket.js';
import { UdpSocketError } from '../io/errors.js';
import { TxBatch, type RxBatch } from '../io/packet-batch.js';
import { parseIpv4 } from '../config/ipv4.js';
import { UdpPeerBook } from './udp-peer-book.js';

/** Counters of the two sockets and the ESP data path. */
export interface IpsecPortStats {
  rx: number;
  tx: number;
  txFailed: number;
  /** ESP datagrams that decrypted to L2TP, and their bytes on the wire (UDP payload). */
  espInPackets: number;
  espInBytes: number;
  /** ESP datagrams sent, and their bytes (UDP payload). */
  espOutPackets: number;
  espOutBytes: number;
}

/** What the owner is told: every endpoint output other than a send. */
export interface IpsecPortHooks {
  onOutput(o: Exclude<IpsecEndpointOutput, { kind: 'send' }>, now: Millis): void;
}

/** Local ports (500 and 4500; tests may pick others). */
export interface IpsecPorts {
  ike: number;
  natt: number;
}

/** UDP 500 and 4500 and the responder endpoint behind them. */
export class IpsecPort {
  readonly stats: IpsecPortStats = { rx: 0, tx: 0, txFailed: 0, espInPackets: 0, espInBytes: 0, espOutPackets: 0, espOutBytes: 0 };
  readonly endpoint: IpsecResponderEndpoint;
  private readonly sockets = new Map<500 | 4500, UdpSocket>();
  private readonly tx = new Map<500 | 4500, TxBatch>([
    [500, new TxBatch(64, 64 * 2048)],
    [4500, new TxBatch(256, 256 * 2048)],
  ]);
  /** Peer addresses as text, and per peer the address of ours it sent its last datagram to (the source of our answers). */
  private readonly peers = new UdpPeerBook();
  private flushQueued = false;
  private closed = false;
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  constructor(
    private readonly ctx: ServerContext,
    opts: IpsecResponderOptions,
    private readonly hooks: IpsecPortHooks,
    private readonly log: Logger,
  ) {
    this.endpoint = new IpsecResponderEndpoint(opts, ctx.rng);
  }

  /**
   * Binds UDP 500 and 4500 (or `ports`) on `address`. A failure throws an
   * error whose `code` is the errno name (EADDRINUSE ...) and closes what was opened.
   */
  bind(address: string, ports: IpsecPorts = { ike: 500, natt: 4500 }): IpsecPorts {
    const bound: IpsecPorts = { ike: 0, natt: 0 };
    try {
      for (const [local, port] of [[500, ports.ike], [4500, ports.natt]] as const) {
        let udp: UdpSocket;
        try {
          udp = openUdpSocket({ bind: address, port });
        } catch (err) {
          if (err instanceof UdpSocketError) throw Object.assign(new Error(err.message, { cause: err }), { code: err.errno, errno: err.errno, syscall: err.syscall });
          throw err;
        }
        this.sockets.set(local, udp);
        udp.onPackets((b) => this.receiveBatch(local, b));
        udp.onSendError((e) => this.log.debug('udp-send', `IPsec send of ${e.bytes} bytes to ${e.dst} failed: ${e.errno}${e.mtu !== undefined ? ` (path MTU ${e.mtu})` : ''} (dropped, SAs kept)`));
        udp.onError((err) => this.log.warn('udp-error', `IPsec UDP ${local} receive error (ignored, SAs kept): ${err.message}`));
        if (local === 500) bound.ike = udp.port;
        else bound.natt = udp.port;
      }
    } catch (err) {
      this.close();
      throw err;
    }
    return bound;
  }

  /** Closes both sockets and the timer. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.ctx.scheduler.delete(this);
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private receiveBatch(local: 500 | 4500, b: RxBatch): void {
    const now = this.ctx.clock.now();
    for (let i = 0; i < b.count; i++) {
      const src = b.source(i);
      const address = this.peers.textOf(src);
      this.peers.noteLocal(address, b.local(i));
      const off = b.offset(i);
      this.receiveOne(local, b.data.subarray(off, off + b.length(i)), { address, port: b.port(i) }, now);
    }
    this.flush();
    this.ctx.tun.flush();
  }

  /** One datagram that arrived on our `local` port (also the entry point for tests). */
  receive(local: 500 | 4500, bytes: Uint8Array, from: IpsecPeer): void {
    this.receiveOne(local, bytes, from, this.ctx.clock.now());
    this.flush();
    this.ctx.tun.flush();
  }

  private receiveOne(local: 500 | 4500, bytes: Uint8Array, from: IpsecPeer, now: Millis): void {
    this.stats.rx++;
    const outs = this.endpoint.datagram(local, from, bytes, now);
    let l2tp = false;
    for (const o of outs) if (o.kind === 'l2tp') l2tp = true;
    if (l2tp) {
      this.stats.espInPackets++;
      this.stats.espInBytes += bytes.length;
    }
    // ESP (L2TP out, or an ESP drop) never moves a deadline earlier: only IKE re-arms the timer.
    this.apply(outs, now, !l2tp && !(local === 4500 && outs.length === 1 && outs[0]!.kind === 'drop' && outs[0]!.reason.startsWith('esp-')));
  }

  /** Encrypts an L2TP datagram to `peer` through its ESP SA (the L2TP port's sink). */
  sendL2tp(peer: IpsecPeer, bytes: Uint8Array): void {
    if (this.closed) return;
    this.apply(this.endpoint.sendL2tp(peer, bytes), this.ctx.clock.now(), false);
  }

  /** Sends the queued datagrams. */
  flush(): void {
    for (const [local, tx] of this.tx) {
      if (tx.count === 0) continue;
      const s = this.sockets.get(local);
      if (s && !s.closed) {
        const n = s.send(tx);
        this.stats.txFailed += tx.count - n;
      } else this.stats.txFailed += tx.count;
      tx.clear();
    }
  }

  private queue(local: 500 | 4500, to: IpsecPeer, bytes: Uint8Array): boolean {
    const dst = parseIpv4(to.address);
    const tx = this.tx.get(local)!;
    if (dst === undefined || this.closed) return false;
    if (!tx.fits(bytes.length)) this.flush();
    if (!tx.push(dst, bytes, this.peers.localOf(to.address), to.port)) return false;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
    return true;
  }

  private apply(outs: IpsecEndpointOutput[], now: Millis, reschedule: boolean): void {
    for (const o of outs) {
      if (o.kind === 'send') {
        if (!this.queue(o.localPort, o.to, o.bytes)) {
          this.stats.txFailed++;
          continue;
        }
        this.stats.tx++;
        // ESP-in-UDP starts with a non-zero SPI; IKE on 4500 with the zero marker.
        if (o.localPort === 4500 && o.bytes.length >= 4 && (o.bytes[0]! | o.bytes[1]! | o.bytes[2]! | o.bytes[3]!) !== 0) {
          this.stats.espOutPackets++;
          this.stats.espOutBytes += o.bytes.length;
        }
      } else this.hooks.onOutput(o, now);
    }
    if (reschedule) this.schedule();
  }

  private schedule(): void {
    this.ctx.scheduler.set(this, this.closed ? undefined : this.endpoint.nextDeadline(), (t) => this.apply(this.endpoint.timeout(t), t, true));
  }
}
