/**
 * A bounds-checked big-endian reader over a byte view. Reads never throw:
 * reading past the end returns 0 (or an empty view) and sets a sticky
 * `error` (TRUNCATED at the offset of the first short read), so a parser can
 * read a whole header and check `r.error` once, as lwIP checks lengths before
 * every read. The reader never copies: `bytes()` returns subarrays.
 */
import type { WireError } from './parsed.js';

/** Big-endian cursor over `buf[start, end)`. */
export class Reader {
  /** Current absolute offset into `buf`. */
  pos: number;
  /** The first failure, if any read ran past `end`. */
  error: WireError | undefined;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** True when `n` more bytes can be read. */
  has(n: number): boolean {
    return this.pos + n <= this.end;
  }

  private short(n: number, field?: string): boolean {
    if (this.pos + n <= this.end) return false;
    if (!this.error) this.error = field === undefined ? { code: 'TRUNCATED', offset: this.pos } : { code: 'TRUNCATED', offset: this.pos, field };
    this.pos = this.end;
    return true;
  }

  u8(field?: string): number {
    if (this.short(1, field)) return 0;
    return this.buf[this.pos++]!;
  }

  u16(field?: string): number {
    if (this.short(2, field)) return 0;
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(field?: string): number {
    if (this.short(3, field)) return 0;
    const b = this.buf;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(field?: string): number {
    if (this.short(4, field)) return 0;
    const b = this.buf;
    const v = ((b[this.pos]! << 24) | (b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!) >>> 0;
    this.pos += 4;
    return v;
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number, field?: string): Uint8Array {
    if (n < 0 || this.short(n, field)) return new Uint8Array(0);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A view of everything left. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  skip(n: number, field?: string): void {
    if (!this.short(n, field)) this.pos += n;
  }
}
