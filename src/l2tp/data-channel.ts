/**
 * One L2TP session's data messages (RFC 2661 §5.4), sans-I/O: the header we
 * write in front of each PPP frame and the sequencing of what we receive.
 *
 * Sending. Data headers carry no Length field, and carry Ns/Nr only when the
 * peer asked for sequencing (Sequencing Required AVP): what Linux's kernel
 * L2TP sends, and what Windows, macOS, xl2tpd and RouterOS accept. Ns counts
 * up from 0; Nr is the Ns we expect next from the peer.
 *
 * Receiving. Received data may carry Length, Ns/Nr and Offset (the header
 * parser reads them). With Ns present, a message older than the newest seen
 * is dropped (§5.4: the receiver may discard out-of-order data), which MPPE
 * stateless mode tolerates; a jump ahead is taken (loss is PPP's business).
 * Messages without Ns are taken as they come.
 */
import { encodeL2tpHeaderInto, type L2tpHeader } from './header.js';
import { seqBefore } from './reliable.js';

/** A number for (our Tunnel ID, our Session ID): the key of a session's data path. */
export function l2tpSessionKey(tunnelId: number, sessionId: number): number {
  return tunnelId * 65536 + sessionId;
}

/** The data side of one session. */
export class L2tpDataChannel {
  /** Ns of our next sequenced data message. */
  private ns = 0;
  /** Nr we advertise: the Ns we expect next from the peer. */
  nr = 0;
  /** The peer has sent sequenced data at least once. */
  sawSequence = false;
  private readonly header: L2tpHeader;
  /** Bytes of the header written in front of each frame (6, or 10 with Ns/Nr). */
  readonly headerBytes: number;

  constructor(
    /** The peer's Tunnel and Session IDs, which go in our headers. */
    readonly peerTunnelId: number,
    readonly peerSessionId: number,
    /** Send Ns/Nr (the peer's Sequencing Required AVP). */
    readonly sequencing: boolean,
  ) {
    this.header = { isControl: false, tunnelId: peerTunnelId, sessionId: peerSessionId, priority: false };
    if (sequencing) {
      this.header.ns = 0;
      this.header.nr = 0;
    }
    this.headerBytes = sequencing ? 10 : 6;
  }

  /** Writes the data header and `frame` at `out[offset]` (headerBytes + frame.length bytes); takes the next Ns. */
  writeDatagram(frame: Uint8Array, out: Uint8Array, offset: number): void {
    if (this.sequencing) {
      this.header.ns = this.ns;
      this.header.nr = this.nr;
      this.ns = (this.ns + 1) & 0xffff;
    }
    encodeL2tpHeaderInto(this.header, frame.length, out, offset);
    out.set(frame, offset + this.headerBytes);
  }

  /**
   * A received data message with Ns `ns` (undefined: unsequenced): true to
   * deliver it, false when it is older than the newest seen (§5.4, drop and count).
   */
  accept(ns: number | undefined): boolean {
    if (ns === undefined) return true;
    if (this.sawSequence && seqBefore(ns, this.nr)) return false;
    this.sawSequence = true;
    this.nr = (ns + 1) & 0xffff;
    return true;
  }
}
