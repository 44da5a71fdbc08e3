/**
 * Cuts the PPTP control connection's TCP byte stream into messages
 * (RFC 2637 §1.4). TCP may split or join messages anywhere; the framer gives
 * the same messages for every segmentation.
 *
 * The header is checked as soon as its bytes arrive: a Length outside
 * [12, PPTP_MAX_MESSAGE_BYTES], a PPTP Message Type other than 1 or 2, or a
 * wrong Magic Cookie means the stream is out of sync. §1.4 forbids using the
 * cookie to resynchronise ("Loss of synchronization must result in immediate
 * closing of the control connection's TCP session"), so the error is sticky:
 * every later push returns it again and the caller closes the connection.
 *
 * Memory is bounded: a partial message is held in one preallocated buffer of
 * PPTP_MAX_MESSAGE_BYTES; whole messages inside a chunk are returned as views
 * of that chunk without copying.
 */
import type { WireError } from '../wire/parsed.js';
import { PPTP_HEADER_BYTES, PPTP_MAGIC_COOKIE, PPTP_MAX_MESSAGE_BYTES, PPTP_MESSAGE_TYPE } from './control-codec.js';

/** What one push produced: whole messages, then possibly the error that stopped the stream. */
export interface FramerResult {
  /** Complete messages in stream order (views; copy them to keep them past the next push). */
  frames: Uint8Array[];
  /** Set when the stream lost synchronisation; the connection must be closed. */
  error?: WireError;
}

/** The PPTP control stream framer, one per TCP connection. */
export class ControlStreamFramer {
  private readonly partial = new Uint8Array(PPTP_MAX_MESSAGE_BYTES);
  private have = 0;
  /** Stream offset of the first byte of `partial`. */
  private offset = 0;
  /** The sticky framing error, once the stream is out of sync. */
  error: WireError | undefined;

  /** Bytes held for an incomplete message (never more than PPTP_MAX_MESSAGE_BYTES). */
  get buffered(): number {
    return this.have;
  }

  /** Feeds the next TCP bytes. */
  push(chunk: Uint8Array): FramerResult {
    const frames: Uint8Array[] = [];
    if (this.error) return { frames, error: this.error };
    let pos = 0;
    while (pos < chunk.length) {
      if (this.have > 0 || chunk.length - pos < PPTP_HEADER_BYTES) {
        // Slow path: accumulate into the partial buffer.
        const need = this.have < 2 ? 2 : this.have < 8 ? 8 : this.expectedLength();
        const take = Math.min(need - this.have, chunk.length - pos);
        this.partial.set(chunk.subarray(pos, pos + take), this.have);
        this.have += take;
        pos += take;
        const bad = this.checkHeader(this.partial, 0, this.have, this.offset);
        if (bad) return this.fail(frames, bad);
        if (this.have >= 8 && this.have === this.expectedLength()) {
          frames.push(this.partial.slice(0, this.have));
          this.offset += this.have;
          this.have = 0;
        }
        continue;
      }
      // Fast path: a whole header is in the chunk.
      const bad = this.checkHeader(chunk, pos, chunk.length - pos, this.offset);
      if (bad) return this.fail(frames, bad);
      const length = (chunk[pos]! << 8) | chunk[pos + 1]!;
      if (chunk.length - pos < length) {
        this.partial.set(chunk.subarray(pos), 0);
        this.have = chunk.length - pos;
        pos = chunk.length;
        continue;
      }
      frames.push(chunk.subarray(pos, pos + length));
      pos += length;
      this.offset += length;
    }
    return { frames };
  }

  private expectedLength(): number {
    return (this.partial[0]! << 8) | this.partial[1]!;
  }

  private fail(frames: Uint8Array[], error: WireError): FramerResult {
    this.error = error;
    this.have = 0;
    return { frames, error };
  }

  /** Checks as much of a header as `n` bytes at `b[at]` hold; `base` is the stream offset of `at`. */
  private checkHeader(b: Uint8Array, at: number, n: number, base: number): WireError | undefined {
    if (n >= 2) {
      const length = (b[at]! << 8) | b[at + 1]!;
      if (length < PPTP_HEADER_BYTES || length > PPTP_MAX_MESSAGE_BYTES) return { code: 'BAD_LENGTH', offset: base, field: 'length' };
    }
    if (n >= 4) {
      const type = (b[at + 2]! << 8) | b[at + 3]!;
      if (type !== PPTP_MESSAGE_TYPE.CONTROL && type !== PPTP_MESSAGE_TYPE.MANAGEMENT) return { code: 'BAD_VALUE', offset: base + 2, field: 'pptpMessageType' };
    }
    if (n >= 8) {
      const cookie = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
      if (cookie !== PPTP_MAGIC_COOKIE) return { code: 'BAD_VALUE', offset: base + 4, field: 'magicCookie' };
    }
    return undefined;
  }
}
