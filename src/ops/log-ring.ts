/**
 * An in-memory ring of the server's recent log: the lines as `tunppp doctor`
 * reads them (text format, whatever format the process logs in) and the
 * structured records, for the dashboard (recent auth failures, the doctor's
 * findings on the server's own log) and for the metrics layer, which counts
 * control-plane events (auth failures by reason, setup latency) from them.
 *
 * The ring sees only control-plane log calls; the data plane never logs
 * (ARCHITECTURE.md), so this costs nothing per packet.
 */
import { Writable } from 'node:stream';
import { escapeFields, escapeText } from '../log/escape.js';
import { LEVELS, createLogger, type LevelName, type LogFields, type Logger } from '../log/logger.js';

/** One structured log record. */
export interface LogRecord {
  /** Wall-clock time, ms since the epoch. */
  time: number;
  level: LevelName;
  event: string;
  msg: string;
  fields: LogFields;
}

/** Options of a ring. */
export interface LogRingOptions {
  /** Lines and records kept (each). Default 5000. */
  capacity?: number;
  /** Lowest level kept. Default info (debug lines are rate-limited noise for the doctor). */
  level?: LevelName;
  now?: () => Date;
}

/** Fixed-size FIFO. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  push(x: T): void {
    this.items[this.next] = x;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity]!);
    return out;
  }

  get size(): number {
    return this.count;
  }
}

/** The ring plus listeners for new records. */
export class LogRing {
  private readonly lines: Ring<string>;
  private readonly records: Ring<LogRecord>;
  private readonly listeners: ((r: LogRecord) => void)[] = [];
  private readonly min: number;
  private readonly now: () => Date;
  /** Formats records as text lines into `lines` (the same shape `--log-format text` writes). */
  readonly textLogger: Logger;
  /** Every line ever added (the ring keeps the last `capacity`). */
  total = 0;

  constructor(opts: LogRingOptions = {}) {
    const capacity = opts.capacity ?? 5000;
    this.lines = new Ring(capacity);
    this.records = new Ring(capacity);
    this.min = LEVELS[opts.level ?? 'info'];
    this.now = opts.now ?? (() => new Date());
    let partial = '';
    const sink = new Writable({
      write: (chunk: Buffer | string, _enc, cb) => {
        partial += chunk.toString();
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          this.lines.push(partial.slice(0, nl));
          this.total++;
          partial = partial.slice(nl + 1);
        }
        cb();
      },
    });
    this.textLogger = createLogger({ format: 'text', level: opts.level ?? 'info', stream: sink, now: this.now, debugPerSecond: 5 });
  }

  /** Records one log call (already merged with the logger's base fields). */
  add(level: LevelName, event: string, msg: string, fields: LogFields): void {
    if (LEVELS[level] < this.min) return;
    const rec: LogRecord = { time: this.now().getTime(), level, event, msg, fields };
    this.records.push(rec);
    for (const l of this.listeners) {
      try {
        l(rec);
      } catch {
        // A listener's bug must not break logging.
      }
    }
  }

  /** Calls `fn` for every new record. */
  onRecord(fn: (r: LogRecord) => void): void {
    this.listeners.push(fn);
  }

  /** Recent text lines, oldest first. */
  recentLines(): string[] {
    return this.lines.toArray();
  }

  /** Recent records, oldest first, optionally only those with `event`. */
  recentRecords(event?: string): LogRecord[] {
    const all = this.records.toArray();
    return event === undefined ? all : all.filter((r) => r.event === event);
  }
}

/**
 * A logger that writes through `primary` and also into `ring` (text line and
 * record). Children carry their fields to both.
 */
export function teeLogger(primary: Logger, ring: LogRing): Logger {
  const make = (p: Logger, text: Logger, base: LogFields): Logger => {
    const log = (level: LevelName, event: string, msg: string, fields?: LogFields): void => {
      p.log(level, event, msg, fields);
      text.log(level, event, msg, fields);
      // Records carry peer text to the API (/auth-failures), the dashboard and the metrics tap: escaped like the lines.
      ring.add(level, event, escapeText(msg), escapeFields(fields ? { ...base, ...fields } : base));
    };
    return {
      log,
      debug: (e, m, f) => log('debug', e, m, f),
      info: (e, m, f) => log('info', e, m, f),
      warn: (e, m, f) => log('warn', e, m, f),
      error: (e, m, f) => log('error', e, m, f),
      child: (fields) => make(p.child(fields), text.child(fields), { ...base, ...fields }),
    };
  };
  return make(primary, ring.textLogger, {});
}
