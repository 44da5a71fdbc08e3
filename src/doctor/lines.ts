/**
 * Byte chunks → lines. Splits on '\n' with `indexOf` over a latin1 string
 * (one byte per char, so any byte sequence decodes and offsets are cheap),
 * strips a trailing '\r', and carries the partial last line into the next
 * chunk. Evidence text is re-decoded as UTF-8 when the report is written
 * (`utf8Text`).
 */

/** Bytes decoded at a time. */
const WINDOW = 64 * 1024;

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
 * a larger decoded window, so keeping it keeps only the line alive.
 */
export type LineSink = (text: string, lineNo: number) => void;

/**
 * Optional fast filter: sees the line as [start, end) of a larger string and
 * returns true when it has dealt with it (counted it), so no line string is cut.
 */
export type LineSkip = (text: string, start: number, end: number, lineNo: number) => boolean;

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
      this.emitAll(head.toString('latin1'), head, 0);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < from) {
      if (from < chunk.length) this.carry = Buffer.from(chunk.subarray(from));
      return;
    }
    // Decode in windows of about 64 KiB: strings that size are ordinary
    // young-generation objects, while a 1 MiB decode becomes an external
    // string whose memory makes V8 run full collections far more often.
    while (from <= last) {
      let end = Math.min(from + WINDOW, last + 1);
      if (end <= last) {
        const nl = chunk.lastIndexOf(10, end - 1);
        end = nl >= from ? nl + 1 : chunk.indexOf(10, end) + 1;
      }
      this.emitAll(chunk.toString('latin1', from, end), chunk, from);
      from = end;
    }
    if (last + 1 < chunk.length) this.carry = Buffer.from(chunk.subarray(last + 1));
  }

  /** `text` is `bytes` [base, base + text.length) decoded as latin1. */
  private emitAll(text: string, bytes: Buffer, base: number): void {
    let start = 0;
    const sink = this.sink;
    const skip = this.skip;
    let n = this.lines;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      ++n;
      // The line's own string straight from the bytes: one allocation, and it
      // does not keep the 64 KiB window alive the way a slice of it would.
      if (!skip || !skip(text, start, end, n)) sink(bytes.latin1Slice(base + start, base + end), n);
      start = nl + 1;
    }
    this.lines = n;
  }

  /** Flushes a last line without a newline. */
  end(): void {
    if (this.carry && this.carry.length) {
      const b = Buffer.concat([this.carry, NL]);
      this.carry = null;
      this.emitAll(b.toString('latin1'), b, 0);
    }
  }
}

/** A latin1-decoded line back as UTF-8 text (for display). */
export function utf8Text(latin1: string): string {
  // Pure ASCII needs no work.
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
