/**
 * Byte chunks → lines. Splits on '\n' with `indexOf` over a latin1 string
 * (one byte per char, so any byte sequence decodes and offsets are cheap),
 * strips a trailing '\r', and carries the partial last line into the next
 * chunk. Evidence text is re-decoded as UTF-8 when the report is written
 * (`utf8Text`).
 */

/** Bytes decoded at a time. */
const WINDOW = 64 * 1024;

/** Receives each complete line with its 1-based number. */
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
      this.emitAll(head.toString('latin1'));
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
      this.emitAll(chunk.toString('latin1', from, end));
      from = end;
    }
    if (last + 1 < chunk.length) this.carry = Buffer.from(chunk.subarray(last + 1));
  }

  private emitAll(text: string): void {
    let start = 0;
    const sink = this.sink;
    const skip = this.skip;
    let n = this.lines;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      ++n;
      if (!skip || !skip(text, start, end, n)) sink(text.slice(start, end), n);
      start = nl + 1;
    }
    this.lines = n;
  }

  /** Flushes a last line without a newline. */
  end(): void {
    if (this.carry && this.carry.length) {
      const t = this.carry.toString('latin1');
      this.carry = null;
      this.emitAll(`${t}\n`);
    }
  }
}

/** A latin1-decoded line back as UTF-8 text (for display). */
export function utf8Text(latin1: string): string {
  // Pure ASCII needs no work.
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
