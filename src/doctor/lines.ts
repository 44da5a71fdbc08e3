/**
 * Byte chunks → lines. Splits on '\n' with `Buffer#indexOf` over the bytes,
 * strips a trailing '\r', and carries the partial last line into the next
 * chunk. A line the optional skip filter does not take is decoded as latin1
 * (one byte per char, so any byte sequence decodes and offsets stay byte
 * offsets); evidence text is re-decoded as UTF-8 when the report is written
 * (`utf8Text`). No string is made for a line the filter takes: an earlier
 * version decoded 64 KiB windows, as much string allocation as input.
 */

const NL = Buffer.from('\n');

declare global {
  interface Buffer {
    /** Node's latin1 decoder without toString's argument handling (present since Node 0.x, untyped). */
    latin1Slice(start: number, end: number): string;
  }
}

/**
 * Receives each complete line with its 1-based number. The text is a string
 * of its own (decoded from the input bytes for that line), never a slice of
 * a larger string, so keeping it keeps only the line alive.
 */
export type LineSink = (text: string, lineNo: number) => void;

/**
 * Optional fast filter: sees the line as bytes [start, end) of a larger
 * buffer and returns true when it has dealt with it (counted it), so no line
 * string is made.
 */
export type LineSkip = (bytes: Buffer, start: number, end: number, lineNo: number) => boolean;

/** Splits a stream of chunks into lines. */
export class LineSplitter {
  private carry: Buffer | null = null;
  /** Lines emitted so far. */
  lines = 0;
  /** Bytes fed so far. */
  bytes = 0;

  constructor(
    private readonly sink: LineSink,
    private readonly skip?: LineSkip,
  ) {}

  /** Feeds one chunk. */
  push(chunk: Buffer): void {
    let from = 0;
    // A UTF-8 byte order mark at the start of the input is not part of line 1.
    if (this.bytes === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) from = 3;
    this.bytes += chunk.length;
    if (this.carry) {
      // Finish the line split across chunks without copying the whole chunk.
      const nl = chunk.indexOf(10, from);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const head = Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]);
      this.carry = null;
      this.emitAll(head, 0, head.length);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < from) {
      if (from < chunk.length) this.carry = Buffer.from(chunk.subarray(from));
      return;
    }
    this.emitAll(chunk, from, last + 1);
    if (last + 1 < chunk.length) this.carry = Buffer.from(chunk.subarray(last + 1));
  }

  /** Emits the lines of `bytes` [from, to); the byte before `to` is a newline. */
  private emitAll(bytes: Buffer, from: number, to: number): void {
    let start = from;
    const sink = this.sink;
    const skip = this.skip;
    let n = this.lines;
    while (start < to) {
      const nl = bytes.indexOf(10, start);
      const end = nl > start && bytes[nl - 1] === 13 ? nl - 1 : nl;
      ++n;
      // The line's own string straight from the bytes: one allocation that
      // keeps nothing else alive.
      if (!skip || !skip(bytes, start, end, n)) sink(bytes.latin1Slice(start, end), n);
      start = nl + 1;
    }
    this.lines = n;
  }

  /** Flushes a last line without a newline. */
  end(): void {
    if (this.carry && this.carry.length) {
      const b = Buffer.concat([this.carry, NL]);
      this.carry = null;
      this.emitAll(b, 0, b.length);
    }
  }
}

/** A latin1-decoded line back as UTF-8 text (for display). */
export function utf8Text(latin1: string): string {
  // Pure ASCII needs no work.
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
