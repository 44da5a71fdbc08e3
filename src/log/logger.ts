/**
 * tunppp's logger: one call site, two formats.
 *
 * - `json`: pino lines (`{"level":30,"time":…,"name":"tunppp","event":"pmtu",…,"msg":"…"}`),
 *   for journald/Loki/jq. Every line has a stable `event` id from LOG_EVENTS.
 * - `text`: one line per event in the journalctl short-iso shape,
 *   `2026-11-24T18:55:00+0000 HOST tunppp[PID]: MESSAGE key=value…`, close to
 *   pppd/pptpd wording, so `tunppp doctor` and admins used to pppd read it.
 *
 * The data plane never logs per packet (ARCHITECTURE.md); it counts, and the
 * control plane logs transitions. Debug lines are rate-limited per event id.
 *
 * Messages and field values carry peer-chosen text (user names, Host Names,
 * Result Code messages): both formats pass every one through escapeText
 * (src/log/escape.ts) here, at the sink, so each record stays one line and a
 * peer cannot forge a line, a field or a terminal escape.
 */
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import pino from 'pino';
import { escapeText } from './escape.js';
import { splitKvTail } from './kv-tail.js';

/** Log levels, pino's numbering. */
export const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
export type LevelName = keyof typeof LEVELS;

/** Structured fields; `session`, `peer`, `user`, `proto` are the common ones. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** The logger the server layer uses. */
export interface Logger {
  log(level: LevelName, event: string, msg: string, fields?: LogFields): void;
  debug(event: string, msg: string, fields?: LogFields): void;
  info(event: string, msg: string, fields?: LogFields): void;
  warn(event: string, msg: string, fields?: LogFields): void;
  error(event: string, msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Options for `createLogger`. */
export interface LoggerOptions {
  format: 'json' | 'text';
  level?: LevelName;
  stream?: Writable;
  /** For tests: a fixed clock and host/pid. */
  now?: () => Date;
  host?: string;
  pid?: number;
  /** Debug lines per event id per second. */
  debugPerSecond?: number;
}

function fmtTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** A field value of the text format: escaped, and quoted when it holds white space, `=`, `"` or `\`, or is empty. */
function fmtValue(v: string | number | boolean): string {
  const s = escapeText(String(v));
  return /[\s"=\\]/.test(s) || s === '' ? `"${s}"` : s;
}

/** A field name: [\w.-]+ (the shape `tunppp doctor` reads); anything else becomes `_`. */
function fmtKey(k: string): string {
  return k.replace(/[^\w.-]/g, '_') || '_';
}

/**
 * The message of the text format, escaped. A message that itself ends in
 * ` key=value` tokens (peer text at its end: `… Host Name x user=alice`)
 * would read as fields: their `=` are written `\x3d` (the doctor undoes it).
 */
function fmtMessage(msg: string): string {
  const s = escapeText(msg);
  if (!s.includes('=')) return s; // no field-shaped tail without '=' (the common case: no scan)
  const t = splitKvTail(s);
  return t.start === s.length ? s : s.slice(0, t.start) + s.slice(t.start).replaceAll('=', '\\x3d');
}

/** String values escaped for the JSON format (pino keeps the line, this keeps controls and invisible characters out of it). */
function jsonValue(v: string | number | boolean): string | number | boolean {
  return typeof v === 'string' ? escapeText(v) : v;
}

/** Creates a logger writing to `opts.stream` (stderr by default). */
export function createLogger(opts: LoggerOptions): Logger {
  const stream = opts.stream ?? process.stderr;
  const min = LEVELS[opts.level ?? 'info'];
  const now = opts.now ?? (() => new Date());
  const host = opts.host ?? hostname().split('.')[0]!;
  const pid = opts.pid ?? process.pid;
  const perSecond = opts.debugPerSecond ?? 20;
  const window = new Map<string, { second: number; count: number }>();
  const p = opts.format === 'json' ? pino({ base: { name: 'tunppp', pid, hostname: host }, level: opts.level ?? 'info', timestamp: () => `,"time":${now().getTime()}` }, stream) : undefined;

  function allowDebug(event: string): boolean {
    const second = Math.floor(now().getTime() / 1000);
    const w = window.get(event);
    if (!w || w.second !== second) {
      window.set(event, { second, count: 1 });
      if (window.size > 1000) window.clear();
      return true;
    }
    return ++w.count <= perSecond;
  }

  function make(base: LogFields): Logger {
    const log = (level: LevelName, event: string, msg: string, fields?: LogFields): void => {
      if (LEVELS[level] < min) return;
      if (level === 'debug' && !allowDebug(event)) return;
      const all: LogFields = { ...base, ...fields };
      if (p) {
        const clean: Record<string, string | number | boolean> = { event };
        for (const [k, v] of Object.entries(all)) if (v !== undefined) clean[escapeText(k)] = jsonValue(v);
        p[level](clean, escapeText(msg));
        return;
      }
      let line = `${fmtTime(now())} ${host} tunppp[${pid}]: ${level === 'info' ? '' : `${level}: `}${fmtMessage(msg)}`;
      for (const [k, v] of Object.entries(all)) if (v !== undefined) line += ` ${fmtKey(k)}=${fmtValue(v)}`;
      line += ` event=${event}\n`;
      stream.write(line);
    };
    return {
      log,
      debug: (e, m, f) => log('debug', e, m, f),
      info: (e, m, f) => log('info', e, m, f),
      warn: (e, m, f) => log('warn', e, m, f),
      error: (e, m, f) => log('error', e, m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  }
  return make({});
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  log: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
