/**
 * Line head parser: finds the timestamp, host, program[pid] and the start of
 * the message in one log line, for every format doctor reads:
 *
 *   RFC 3164          `<30>Aug  1 14:05:34 host pppd[123]: msg` (PRI optional)
 *   journalctl short  `Aug 01 14:05:34 host pppd[123]: msg` (also short-precise `14:05:34.123456`)
 *   ISO / short-iso   `2016-08-01T14:05:34+0200 host pppd[123]: msg` (rsyslog high precision too)
 *   short-full        `Mon 2016-08-01 14:05:34 CEST host pppd[123]: msg`
 *   RFC 5424          `<30>1 2016-08-01T14:05:34.003Z host pppd 123 - - msg`
 *   macOS ppp.log     `Mon Aug  1 14:05:34 2016 : msg`
 *   OpenWrt logread   `Sat Mar 29 13:08:32 2025 daemon.info pptpd[18434]: msg`
 *   router tables     `186<TAB>Aug 1 22:45:15<TAB>PPP<TAB>ERROR<TAB>msg`
 *   JSON lines        `{"time":...,"pid":..,"hostname":..,"msg":..}` (pino, tunppp's own logs)
 *   bare              `pppd[4789]: msg`, `/usr/sbin/pppd: msg`, `ERROR:  pppd: msg`, or just `msg`
 *
 * The hot path (one call per line of a possibly huge log) fills a reusable
 * `LineHead` with offsets and allocates nothing; strings are cut only for
 * lines whose program is a VPN daemon. Timestamps are parsed lazily
 * (`headTime`). Pure: no I/O.
 */
import type { LineFormat } from './types.js';
import { unwrapStart, type Unwrapped } from './unwrap.js';

/** Offsets into one line; reused for every line. */
export interface LineHead {
  format: LineFormat;
  /** Timestamp text [tsStart, tsEnd), or tsStart = -1. */
  tsStart: number;
  tsEnd: number;
  /** Host [hostStart, hostEnd), or hostStart = -1. */
  hostStart: number;
  hostEnd: number;
  /** Program name [progStart, progEnd), or progStart = -1. */
  progStart: number;
  progEnd: number;
  /** Process id, or -1. */
  pid: number;
  /** Start of the message. */
  msgStart: number;
  /** For JSON lines: the decoded fields (the offsets above are then unused). */
  json: { msg: string; host: string | null; program: string | null; pid: number; timeMs: number; extra: Record<string, unknown> } | null;
}

/** A fresh head to reuse. */
export function newHead(): LineHead {
  return { format: 'bare', tsStart: -1, tsEnd: -1, hostStart: -1, hostEnd: -1, progStart: -1, progEnd: -1, pid: -1, msgStart: 0, json: null };
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Month index (0-11) of the three letters at `p`, or -1. */
export function monthAt(line: string, p: number): number {
  // Three char codes packed into one number, compared against a table.
  return monthOfCodes((line.charCodeAt(p) << 16) | (line.charCodeAt(p + 1) << 8) | line.charCodeAt(p + 2));
}

/** Month index (0-11) of a month abbreviation's three character codes packed as `c0 << 16 | c1 << 8 | c2`, or -1. */
function monthOfCodes(k: number): number {
  switch (k) {
    case 0x4a616e: return 0; // Jan
    case 0x466562: return 1; // Feb
    case 0x4d6172: return 2; // Mar
    case 0x417072: return 3; // Apr
    case 0x4d6179: return 4; // May
    case 0x4a756e: return 5; // Jun
    case 0x4a756c: return 6; // Jul
    case 0x417567: return 7; // Aug
    case 0x536570: return 8; // Sep
    case 0x4f6374: return 9; // Oct
    case 0x4e6f76: return 10; // Nov
    case 0x446563: return 11; // Dec
    default: return -1;
  }
}

function dayAt(line: string, p: number): boolean {
  for (const d of DAYS) if (line.startsWith(d, p)) return true;
  return false;
}

/** Length of `hh:mm:ss` (+ optional `.frac`) at p, or 0. */
function timeLen(line: string, p: number): number {
  if (!(isDigit(line.charCodeAt(p)) && isDigit(line.charCodeAt(p + 1)) && line.charCodeAt(p + 2) === 58)) return 0;
  if (!(isDigit(line.charCodeAt(p + 3)) && isDigit(line.charCodeAt(p + 4)) && line.charCodeAt(p + 5) === 58)) return 0;
  if (!(isDigit(line.charCodeAt(p + 6)) && isDigit(line.charCodeAt(p + 7)))) return 0;
  let q = p + 8;
  if (line.charCodeAt(q) === 46 || line.charCodeAt(q) === 44) {
    q++;
    while (isDigit(line.charCodeAt(q))) q++;
  }
  return q - p;
}

/** `Mmm dd hh:mm:ss` (day space- or zero-padded, or unpadded) at p: end offset or -1. */
function bsdStampEnd(line: string, p: number): number {
  if (monthAt(line, p) < 0 || line.charCodeAt(p + 3) !== 32) return -1;
  let q = p + 4;
  while (line.charCodeAt(q) === 32) q++;
  if (!isDigit(line.charCodeAt(q))) return -1;
  q++;
  if (isDigit(line.charCodeAt(q))) q++;
  if (line.charCodeAt(q) !== 32) return -1;
  q++;
  const t = timeLen(line, q);
  return t ? q + t : -1;
}

/** `YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh[:]mm]` at p: end offset or -1. */
function isoStampEnd(line: string, p: number): number {
  for (let i = 0; i < 4; i++) if (!isDigit(line.charCodeAt(p + i))) return -1;
  if (line.charCodeAt(p + 4) !== 45 || line.charCodeAt(p + 7) !== 45) return -1;
  if (!isDigit(line.charCodeAt(p + 5)) || !isDigit(line.charCodeAt(p + 8)) || !isDigit(line.charCodeAt(p + 9))) return -1;
  const sep = line.charCodeAt(p + 10);
  if (sep !== 84 && sep !== 32) return -1;
  const t = timeLen(line, p + 11);
  if (!t) return -1;
  let q = p + 11 + t;
  const z = line.charCodeAt(q);
  if (z === 90) q++;
  else if ((z === 43 || z === 45) && isDigit(line.charCodeAt(q + 1))) {
    q += 3;
    if (line.charCodeAt(q) === 58) q++;
    if (isDigit(line.charCodeAt(q))) q += 2;
  }
  return q;
}

const FACILITY = /^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])\.(?:emerg|alert|crit|err|warn|warning|notice|info|debug)$/;
const LEVEL_PREFIX = /^(?:ERROR|WARN(?:ING)?|INFO|DEBUG|NOTICE|CRIT(?:ICAL)?|FATAL)(?::\s+|\s*\]\s*)/;

/**
 * Parses the program token at p (`prog[pid]: `, `prog: `). On success sets
 * prog/pid/msgStart and returns true. `strict` accepts only names that look
 * like a daemon we know (used for lines without a syslog header, where
 * `CTRL: ...` or `LCP: timeout ...` are message text, not programs).
 */
function programAt(line: string, p: number, h: LineHead, strict: boolean): boolean {
  const n = line.length;
  let q = p;
  while (q < n) {
    const c = line.charCodeAt(q);
    if (c === 91 /* [ */ || c === 58 /* : */ || c === 32 || c === 9) break;
    q++;
  }
  if (q === p || q >= n) return false;
  const pe = q;
  let pid = -1;
  if (line.charCodeAt(q) === 91) {
    let r = q + 1;
    let v = 0;
    while (isDigit(line.charCodeAt(r))) v = v * 10 + line.charCodeAt(r++) - 48;
    if (line.charCodeAt(r) !== 93 || r === q + 1) return false;
    pid = v;
    q = r + 1;
  }
  if (line.charCodeAt(q) !== 58) return false;
  const next = line.charCodeAt(q + 1);
  if (q + 1 < n && next !== 32 && next !== 9) return false;
  let ps = p;
  if (strict) {
    // `/usr/sbin/pppd:` names the program by path.
    const slash = line.lastIndexOf('/', pe - 1);
    if (slash >= p) ps = slash + 1;
    if (!knownProgramName(line.slice(ps, pe))) return false;
  }
  h.progStart = ps;
  h.progEnd = pe;
  h.pid = pid;
  q++;
  while (line.charCodeAt(q) === 32) q++;
  h.msgStart = q;
  return true;
}

const KNOWN = /^(?:pppd|ppp|pptpd|pptp|pptpctrl|xl2tpd|l2tpd|openl2tpd|charon|charon-systemd|pluto|racoon|ipsec|tunppp|accel-pppd)$/i;

/** True for program names that are VPN daemons doctor reads. */
export function knownProgramName(name: string): boolean {
  return KNOWN.test(name);
}

/**
 * After the header: `host prog[pid]: msg` (host optional for logread-style lines).
 * Also read, when `hasHost`: no host at all (journalctl `--no-hostname`,
 * BusyBox syslogd `-S`: the first token is a VPN daemon's `prog[pid]:`), and
 * BusyBox syslogd's default `HOST facility.level prog[pid]: msg`. `bareAfter`
 * (an RFC 3339 stamp, as docker/kubectl `--timestamps` write it): when no
 * program follows the first token, the line is the stamp and a bare message.
 */
function hostThenProgram(line: string, p: number, h: LineHead, hasHost: boolean, bareAfter = false): void {
  const n = line.length;
  while (line.charCodeAt(p) === 32) p++;
  if (p >= n) {
    h.msgStart = n;
    return;
  }
  h.msgStart = p;
  if (hasHost) {
    if (programAt(line, p, h, true)) return;
    let q = p;
    while (q < n && line.charCodeAt(q) !== 32) q++;
    // After a tool's stamp, `Connect: ppp0 …` / `ERROR:  …` are the daemon's bare message.
    if (bareAfter && line.charCodeAt(q - 1) === 58) {
      bareAt(line, p, h);
      return;
    }
    // `Aug  1 14:05:34 host: message` would make the host the program; a host
    // token never ends with ':' unless there is no program at all.
    const q1 = Math.min(q + 1, n);
    if (programAt(line, q1, h, false)) {
      h.hostStart = p;
      h.hostEnd = q;
      return;
    }
    const f = facilityEnd(line, q1);
    if (f > 0 && programAt(line, f, h, false)) {
      h.hostStart = p;
      h.hostEnd = q;
      return;
    }
    // Another program's line without a host.
    if (!bareAfter && line.charCodeAt(q - 1) === 58 && programAt(line, p, h, false)) return;
    if (bareAfter) {
      bareAt(line, p, h);
      return;
    }
    h.hostStart = p;
    h.hostEnd = q;
    h.msgStart = q1;
    return;
  }
  if (!programAt(line, p, h, false)) h.msgStart = p;
}

/** `facility.level ` at p (BusyBox syslogd, OpenWrt logread): offset after it, or -1. */
function facilityEnd(line: string, p: number): number {
  const c = line.charCodeAt(p);
  // every facility name starts with one of a c d f k l m n s u
  if (!(c >= 97 && c <= 117)) return -1;
  let q = p;
  const n = Math.min(line.length, p + 20);
  while (q < n && line.charCodeAt(q) !== 32) q++;
  if (line.charCodeAt(q) !== 32 || !FACILITY.test(line.slice(p, q))) return -1;
  return q + 1;
}

/** A bare message at p: optional level prefix, then maybe a known daemon's `prog[pid]: `. */
function bareAt(line: string, p: number, h: LineHead): void {
  h.format = 'bare';
  const c = line.charCodeAt(p);
  if (c === 69 || c === 87 || c === 73 || c === 68 || c === 78 || c === 67 || c === 70) {
    const m = LEVEL_PREFIX.exec(p ? line.slice(p) : line);
    if (m) p += m[0].length;
  }
  h.msgStart = p;
  if (!programAt(line, p, h, true)) h.msgStart = p;
}

/*
 * Byte versions of the stamp checks, for the splitter's bytes (the fast path
 * makes no string for a line it skips). They mirror the string versions
 * above step by step; a byte past the buffer reads as undefined, which fails
 * every check as NaN does.
 */

function monthAtB(b: Uint8Array, p: number): number {
  return monthOfCodes((b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!);
}

function timeLenB(b: Uint8Array, p: number): number {
  if (!(isDigit(b[p]!) && isDigit(b[p + 1]!) && b[p + 2] === 58)) return 0;
  if (!(isDigit(b[p + 3]!) && isDigit(b[p + 4]!) && b[p + 5] === 58)) return 0;
  if (!(isDigit(b[p + 6]!) && isDigit(b[p + 7]!))) return 0;
  let q = p + 8;
  if (b[q] === 46 || b[q] === 44) {
    q++;
    while (isDigit(b[q]!)) q++;
  }
  return q - p;
}

function bsdStampEndB(b: Uint8Array, p: number): number {
  if (monthAtB(b, p) < 0 || b[p + 3] !== 32) return -1;
  let q = p + 4;
  while (b[q] === 32) q++;
  if (!isDigit(b[q]!)) return -1;
  q++;
  if (isDigit(b[q]!)) q++;
  if (b[q] !== 32) return -1;
  q++;
  const t = timeLenB(b, q);
  return t ? q + t : -1;
}

function isoStampEndB(b: Uint8Array, p: number): number {
  for (let i = 0; i < 4; i++) if (!isDigit(b[p + i]!)) return -1;
  if (b[p + 4] !== 45 || b[p + 7] !== 45) return -1;
  if (!isDigit(b[p + 5]!) || !isDigit(b[p + 8]!) || !isDigit(b[p + 9]!)) return -1;
  const sep = b[p + 10];
  if (sep !== 84 && sep !== 32) return -1;
  const t = timeLenB(b, p + 11);
  if (!t) return -1;
  let q = p + 11 + t;
  const z = b[q];
  if (z === 90) q++;
  else if ((z === 43 || z === 45) && isDigit(b[q + 1]!)) {
    q += 3;
    if (b[q] === 58) q++;
    if (isDigit(b[q]!)) q += 2;
  }
  return q;
}

/**
 * Fast path for the many lines that do not matter: for an RFC 3164 or ISO
 * syslog line at bytes [start, end) of a larger buffer, finds the program
 * token without making any string. Returns 1 (RFC 3164) or 2 (ISO) and sets
 * `span` to [progStart, progEnd, tsEnd, hostStart, hostEnd, pid, msgStart]
 * (offsets into `b`; the stamp starts at `start`) — the values `parseHead`
 * finds for the same line decoded as latin1 — or returns 0 when the line
 * needs the full parser.
 */
export function syslogProgramSpan(b: Uint8Array, start: number, end: number, span: number[]): number {
  let kind = 1;
  let e = bsdStampEndB(b, start);
  if (e < 0) {
    e = isoStampEndB(b, start);
    if (e < 0) return 0;
    kind = 2;
  }
  if (e >= end || b[e] !== 32) return 0;
  let q = e + 1;
  // A year after the time, or more padding: leave it to the full parser.
  const c0 = b[q]!;
  if (c0 === 32 || isDigit(c0)) return 0;
  const hs = q;
  while (q < end && b[q] !== 32) q++;
  // `prog[pid]: ` right after the stamp (no host: journalctl --no-hostname, BusyBox -S): the full parser's.
  if (q >= end || b[q - 1] === 58) return 0;
  const ps = q + 1;
  let r = ps;
  while (r < end) {
    const c = b[r];
    if (c === 91 || c === 58) break;
    if (c === 32 || c === 9) return 0;
    r++;
  }
  if (r >= end || r === ps) return 0;
  const pe = r;
  let pid = -1;
  // Same acceptance as programAt: `prog[digits]:` or `prog:`, then a blank or the end.
  if (b[r] === 91) {
    r++;
    const d0 = r;
    let v = 0;
    while (r < end && isDigit(b[r]!)) v = v * 10 + b[r++]! - 48;
    if (r === d0 || b[r] !== 93) return 0;
    pid = v;
    r++;
  }
  if (r >= end || b[r] !== 58) return 0;
  if (r + 1 < end && b[r + 1] !== 32 && b[r + 1] !== 9) return 0;
  r++;
  while (r < end && b[r] === 32) r++;
  span[0] = ps;
  span[1] = pe;
  span[2] = e;
  span[3] = hs;
  span[4] = q;
  span[5] = pid;
  span[6] = r;
  return kind;
}

const UNWRAP: Unwrapped = { start: 0, tsStart: -1, tsEnd: -1 };

/** True when a log line's own head starts at p (a stamp, a PRI, a JSON object): the stamp before it is a wrapper's. */
function innerStampAt(line: string, p: number): boolean {
  const c = line.charCodeAt(p);
  if (c === 60 /* < */ || c === 123 /* { */) return true;
  // a router export's line number and tab
  if (isDigit(c)) {
    let q = p + 1;
    while (isDigit(line.charCodeAt(q))) q++;
    if (line.charCodeAt(q) === 9) return true;
  }
  return bsdStampEnd(line, p) > 0 || isoStampEnd(line, p) > 0 || (dayAt(line, p) && line.charCodeAt(p + 3) === 32) || consoleStampEnd(line, p) > 0;
}

/** Fills `h` for `line`. Never throws. */
export function parseHead(line: string, h: LineHead): void {
  h.format = 'bare';
  h.tsStart = -1;
  h.hostStart = -1;
  h.progStart = -1;
  h.pid = -1;
  h.json = null;
  h.msgStart = 0;
  // Container and tool prefixes (unwrap.ts); none on a plain syslog line.
  const c0 = line.charCodeAt(0);
  let p = 0;
  let outer = -1;
  let outerEnd = -1;
  if (!(c0 === 60 || (c0 >= 65 && c0 <= 90 && bsdStampEnd(line, 0) > 0))) {
    unwrapStart(line, UNWRAP, innerStampAt);
    p = UNWRAP.start;
    outer = UNWRAP.tsStart;
    outerEnd = UNWRAP.tsEnd;
  }
  parseFrom(line, p, h);
  if (outer < 0) return;
  // The tool's stamp stands in for a line without its own.
  const json = (h as LineHead).json;
  if (json) {
    if (!Number.isFinite(json.timeMs)) json.timeMs = isoMs(line, outer);
  } else if (h.tsStart < 0) {
    h.tsStart = outer;
    h.tsEnd = outerEnd;
  }
}

function parseFrom(line: string, p: number, h: LineHead): void {
  h.msgStart = p;
  const n = line.length;
  let c = line.charCodeAt(p);

  // Router web-UI exports and `cat -n`: a line number and a tab.
  if (isDigit(c)) {
    let q = p + 1;
    while (isDigit(line.charCodeAt(q))) q++;
    if (line.charCodeAt(q) === 9) {
      p = q + 1;
      c = line.charCodeAt(p);
    }
  }

  if (c === 123 /* { */) {
    parseJson(p ? line.slice(p) : line, h);
    return;
  }

  // <PRI>
  if (c === 60) {
    let q = p + 1;
    while (q < p + 5 && isDigit(line.charCodeAt(q))) q++;
    if (line.charCodeAt(q) === 62 && q > p + 1) {
      p = q + 1;
      c = line.charCodeAt(p);
      // RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
      if (isDigit(c) && line.charCodeAt(p + 1) === 32) {
        parse5424(line, p + 2, h);
        return;
      }
    }
  }

  // Mmm dd hh:mm:ss
  let e = bsdStampEnd(line, p);
  if (e > 0) {
    h.tsStart = p;
    h.tsEnd = e;
    if (line.charCodeAt(e) === 9) {
      parseTabbed(line, e + 1, h);
      return;
    }
    // `Aug  1 14:05:34 2016 host ...` (year after the time, some BSDs)
    let q = e + 1;
    if (isDigit(line.charCodeAt(q)) && isDigit(line.charCodeAt(q + 3)) && line.charCodeAt(q + 4) === 32) {
      h.tsEnd = q + 4;
      q += 5;
    }
    h.format = 'rfc3164';
    hostThenProgram(line, q, h, true);
    return;
  }

  // ISO 8601
  e = isoStampEnd(line, p);
  if (e > 0) {
    h.tsStart = p;
    h.tsEnd = e;
    h.format = 'iso';
    if (line.charCodeAt(e) === 9) {
      parseTabbed(line, e + 1, h);
      return;
    }
    // macOS `log show` (default and compact styles)
    if (line.charCodeAt(e) === 32 && parseLogShow(line, e + 1, h)) return;
    hostThenProgram(line, e + 1, h, true, line.charCodeAt(p + 10) === 84);
    return;
  }

  // macOS Console copy: `3/2/17 10:08:54.513 AM pppd[123]: msg`
  e = consoleStampEnd(line, p);
  if (e > 0) {
    h.tsStart = p;
    h.tsEnd = e;
    h.format = 'console';
    hostThenProgram(line, e + 1, h, false);
    return;
  }

  // Weekday first: ctime (`Mon Aug  1 14:05:34 2016`), or journalctl short-full (`Mon 2016-08-01 ...`).
  if (dayAt(line, p) && line.charCodeAt(p + 3) === 32) {
    e = isoStampEnd(line, p + 4);
    if (e > 0) {
      h.tsStart = p + 4;
      h.tsEnd = e;
      h.format = 'iso';
      let q = e + 1;
      // time zone abbreviation
      while (q < n && line.charCodeAt(q) !== 32) q++;
      hostThenProgram(line, q + 1, h, true);
      return;
    }
    e = bsdStampEnd(line, p + 4);
    if (e > 0 && line.charCodeAt(e) === 32 && isDigit(line.charCodeAt(e + 1)) && isDigit(line.charCodeAt(e + 4))) {
      h.tsStart = p;
      h.tsEnd = e + 5;
      const q = e + 5;
      // macOS ppp.log: ` : message`
      if (line.startsWith(' : ', q)) {
        h.format = 'macos-ppp';
        h.msgStart = q + 3;
        return;
      }
      h.format = 'ctime';
      // OpenWrt logread: `daemon.info prog[pid]: msg` (no host)
      const f = facilityEnd(line, q + 1);
      if (f > 0) hostThenProgram(line, f, h, false);
      else hostThenProgram(line, q + 1, h, true);
      return;
    }
  }

  // Bare: optional level prefix, then maybe `prog[pid]: ` of a known daemon.
  bareAt(line, p, h);
}

/**
 * macOS Console's copy format stamp: `M/D/YY h:mm:ss[.mmm] [AM|PM]`
 * (month first, as Console writes it in US locales): end offset or -1.
 */
function consoleStampEnd(line: string, p: number): number {
  let q = p;
  for (let part = 0; part < 3; part++) {
    const d0 = q;
    while (isDigit(line.charCodeAt(q)) && q - d0 < 4) q++;
    const len = q - d0;
    if (len === 0 || (part < 2 && len > 2) || (part === 2 && len !== 2 && len !== 4)) return -1;
    if (part < 2) {
      if (line.charCodeAt(q) !== 47 /* / */) return -1;
      q++;
    }
  }
  if (line.charCodeAt(q) !== 32) return -1;
  q++;
  // h:mm:ss, hour of one or two digits
  if (isDigit(line.charCodeAt(q)) && line.charCodeAt(q + 1) === 58) {
    if (!(isDigit(line.charCodeAt(q + 2)) && isDigit(line.charCodeAt(q + 3)) && line.charCodeAt(q + 4) === 58 && isDigit(line.charCodeAt(q + 5)) && isDigit(line.charCodeAt(q + 6)))) return -1;
    q += 7;
    if (line.charCodeAt(q) === 46) {
      q++;
      while (isDigit(line.charCodeAt(q))) q++;
    }
  } else {
    const t = timeLen(line, q);
    if (!t) return -1;
    q += t;
  }
  if (line.charCodeAt(q) === 32 && (line.startsWith('AM', q + 1) || line.startsWith('PM', q + 1)) && (line.charCodeAt(q + 3) === 32 || q + 3 === line.length)) q += 3;
  return q;
}

/**
 * macOS `log show` after its stamp: the default style
 * `0x2c3d  Default  0x0  412  0  racoon: msg` (thread, type, activity, pid,
 * TTL, process) or the compact style `Df racoon[412:2c3d] msg`. Sets the
 * program, pid and message; false when the line is neither.
 */
function parseLogShow(line: string, p: number, h: LineHead): boolean {
  const n = line.length;
  const skipBlank = (q: number): number => {
    while (line.charCodeAt(q) === 32 || line.charCodeAt(q) === 9) q++;
    return q;
  };
  const tokenEnd = (q: number): number => {
    while (q < n && line.charCodeAt(q) !== 32 && line.charCodeAt(q) !== 9) q++;
    return q;
  };
  if (line.startsWith('0x', p)) {
    // thread, type (one word), activity, pid, ttl
    let q = skipBlank(tokenEnd(p));
    q = skipBlank(tokenEnd(q));
    if (!line.startsWith('0x', q)) return false;
    q = skipBlank(tokenEnd(q));
    const pid0 = q;
    let pid = 0;
    while (isDigit(line.charCodeAt(q))) pid = pid * 10 + line.charCodeAt(q++) - 48;
    if (q === pid0) return false;
    q = skipBlank(q);
    while (isDigit(line.charCodeAt(q))) q++;
    q = skipBlank(q);
    if (!programAt(line, q, h, false)) return false;
    h.pid = pid;
    h.format = 'macos-log';
    h.msgStart = skipSender(line, h.msgStart);
    return true;
  }
  // compact: a one- or two-letter type, then `proc[pid:tid]`
  const t = tokenEnd(p);
  if (t - p > 2 || t === p) return false;
  const q = skipBlank(t);
  let r = q;
  while (r < n && line.charCodeAt(r) !== 91 && line.charCodeAt(r) !== 32) r++;
  if (line.charCodeAt(r) !== 91 || r === q) return false;
  let s = r + 1;
  let pid = 0;
  const d0 = s;
  while (isDigit(line.charCodeAt(s))) pid = pid * 10 + line.charCodeAt(s++) - 48;
  if (s === d0 || line.charCodeAt(s) !== 58) return false;
  while (s < n && line.charCodeAt(s) !== 93) s++;
  if (s >= n) return false;
  s++;
  if (line.charCodeAt(s) === 58) s++;
  h.progStart = q;
  h.progEnd = r;
  h.pid = pid;
  h.format = 'macos-log';
  h.msgStart = skipSender(line, skipBlank(s));
  return true;
}

/** `log show` puts the sender image `(libfoo.dylib) ` and `[subsystem:category] ` before the message. */
function skipSender(line: string, p: number): number {
  for (let k = 0; k < 2; k++) {
    const c = line.charCodeAt(p);
    const close = c === 40 ? ') ' : c === 91 ? '] ' : '';
    if (!close) break;
    const e = line.indexOf(close, p + 1);
    if (e < 0 || e - p > 120) break;
    p = e + 2;
  }
  return p;
}

function parseTabbed(line: string, p: number, h: LineHead): void {
  // program TAB level TAB message (level optional)
  h.format = 'tabbed';
  const t1 = line.indexOf('\t', p);
  if (t1 < 0) {
    h.msgStart = p;
    return;
  }
  h.progStart = p;
  h.progEnd = t1;
  const t2 = line.indexOf('\t', t1 + 1);
  h.msgStart = t2 >= 0 && t2 - t1 <= 10 ? t2 + 1 : t1 + 1;
}

function parse5424(line: string, p: number, h: LineHead): void {
  h.format = 'rfc5424';
  const fields: number[] = [];
  let q = p;
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID: five space-separated fields.
  for (let i = 0; i < 5; i++) {
    const s = line.indexOf(' ', q);
    if (s < 0) {
      h.msgStart = line.length;
      return;
    }
    fields.push(q, s);
    q = s + 1;
  }
  if (line.charCodeAt(fields[0]!) !== 45) {
    h.tsStart = fields[0]!;
    h.tsEnd = fields[1]!;
  }
  if (line.charCodeAt(fields[2]!) !== 45) {
    h.hostStart = fields[2]!;
    h.hostEnd = fields[3]!;
  }
  if (line.charCodeAt(fields[4]!) !== 45) {
    h.progStart = fields[4]!;
    h.progEnd = fields[5]!;
  }
  let pid = 0;
  let any = false;
  for (let i = fields[6]!; i < fields[7]!; i++) {
    const d = line.charCodeAt(i);
    if (!isDigit(d)) {
      any = false;
      break;
    }
    pid = pid * 10 + d - 48;
    any = true;
  }
  h.pid = any ? pid : -1;
  // STRUCTURED-DATA: '-' or one or more [...] elements (']' inside values is escaped as '\]').
  if (line.charCodeAt(q) === 45) q++;
  else {
    while (line.charCodeAt(q) === 91) {
      let r = q + 1;
      while (r < line.length) {
        const d = line.charCodeAt(r);
        if (d === 92) r += 2;
        else if (d === 93) break;
        else r++;
      }
      q = r + 1;
    }
  }
  if (line.charCodeAt(q) === 32) q++;
  // BOM
  if (line.startsWith('\u00ef\u00bb\u00bf', q)) q += 3;
  h.msgStart = q;
}

function parseJson(line: string, h: LineHead): void {
  h.format = 'json';
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    h.format = 'bare';
    h.msgStart = 0;
    return;
  }
  if (!o || typeof o !== 'object') {
    h.format = 'bare';
    return;
  }
  const r = o as Record<string, unknown>;
  const msg = typeof r.msg === 'string' ? r.msg : typeof r.message === 'string' ? r.message : typeof r.MESSAGE === 'string' ? r.MESSAGE : byteArrayText(r.MESSAGE);
  if (msg === null) {
    h.format = 'bare';
    return;
  }
  const t = r.time ?? r.timestamp ?? r['@timestamp'];
  // A number outside the Date range (±8.64e15 ms) is no time: it would make an Invalid Date later.
  let timeMs = typeof t === 'number' ? (Math.abs(t) <= 8.64e15 ? t : NaN) : typeof t === 'string' ? Date.parse(t) : NaN;
  // journald: microseconds since the epoch, as a string
  const rt = r.__REALTIME_TIMESTAMP;
  if (!Number.isFinite(timeMs) && typeof rt === 'string' && rt.length <= 17 && isDigitsOnly(rt)) timeMs = Math.floor(Number(rt) / 1000);
  const prog = typeof r.name === 'string' ? r.name : typeof r.SYSLOG_IDENTIFIER === 'string' ? r.SYSLOG_IDENTIFIER : typeof r._COMM === 'string' ? r._COMM : null;
  const pidRaw = r.pid ?? r._PID ?? r.SYSLOG_PID;
  const pid = typeof pidRaw === 'number' ? pidRaw : typeof pidRaw === 'string' && pidRaw.length <= 10 && isDigitsOnly(pidRaw) ? Number(pidRaw) : -1;
  const host = typeof r.hostname === 'string' ? r.hostname : typeof r._HOSTNAME === 'string' ? r._HOSTNAME : null;
  h.json = { msg, host, program: prog, pid, timeMs, extra: r };
  h.pid = pid;
}

/** Digits only (a non-empty string). */
function isDigitsOnly(s: string): boolean {
  if (!s.length) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/**
 * journald writes MESSAGE as an array of bytes when it is not valid UTF-8
 * (or holds control characters): decoded as latin1 like every other line,
 * so offsets and the later UTF-8 re-decoding for display work the same.
 */
function byteArrayText(v: unknown): string | null {
  if (!Array.isArray(v)) return null;
  const b = Buffer.alloc(v.length);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || x < 0 || x > 255) return null;
    b[i] = x;
  }
  return b.latin1Slice(0, b.length);
}

/** Epoch ms of the ISO/RFC 3339 stamp at p (wall-clock fields, zone ignored). */
function isoMs(line: string, p: number): number {
  return Date.UTC(num(line, p, 4), num(line, p + 5, 2) - 1, num(line, p + 8, 2), num(line, p + 11, 2), num(line, p + 14, 2), num(line, p + 17, 2), frac(line, p + 19));
}

/** Epoch ms of a Console stamp `M/D/YY h:mm:ss[.mmm] [AM|PM]` at p. */
function consoleMs(line: string, p: number): number {
  const field = (): number => {
    let v = 0;
    while (isDigit(line.charCodeAt(p))) v = v * 10 + line.charCodeAt(p++) - 48;
    p++;
    return v;
  };
  const mo = field() - 1;
  const d = field();
  const y0 = field();
  const y = y0 < 100 ? 2000 + y0 : y0;
  let hh = field();
  const mi = field();
  const ss0 = p;
  const ss = num(line, p, 2);
  const ms = frac(line, ss0 + 2);
  let q = ss0 + 2;
  if (line.charCodeAt(q) === 46) {
    q++;
    while (isDigit(line.charCodeAt(q))) q++;
  }
  if (line.startsWith(' PM', q) && hh < 12) hh += 12;
  else if (line.startsWith(' AM', q) && hh === 12) hh = 0;
  return Date.UTC(y, mo, d, hh, mi, ss, ms);
}

/** Year context for formats without a year (RFC 3164): the start year and rollover state. */
export interface YearContext {
  year: number;
  lastMonth: number;
}

/**
 * Timestamp of the line as epoch ms (wall time read as UTC, so ISO output
 * reproduces what the log printed). NaN when there is none. RFC 3164 has no
 * year: `ctx.year` is used and advanced when the month steps back (Dec → Jan).
 */
export function headTime(line: string, h: LineHead, ctx: YearContext): number {
  if (h.json) return h.json.timeMs;
  if (h.tsStart < 0) return NaN;
  const p = h.tsStart;
  const c = line.charCodeAt(p);
  if (isDigit(c) && line.charCodeAt(p + 4) !== 45) return consoleMs(line, p);
  if (isDigit(c)) {
    // ISO: take the wall-clock fields, ignore the zone.
    const y = num(line, p, 4);
    const mo = num(line, p + 5, 2) - 1;
    const d = num(line, p + 8, 2);
    return Date.UTC(y, mo, d, num(line, p + 11, 2), num(line, p + 14, 2), num(line, p + 17, 2), frac(line, p + 19));
  }
  let q = p;
  let year = -1;
  if (dayAt(line, q) && line.charCodeAt(q + 3) === 32) {
    q += 4;
    // ctime: year is the last 4 characters of the stamp
    year = num(line, h.tsEnd - 4, 4);
  }
  const mo = monthAt(line, q);
  if (mo < 0) return NaN;
  q += 4;
  while (line.charCodeAt(q) === 32) q++;
  let d = line.charCodeAt(q++) - 48;
  if (isDigit(line.charCodeAt(q))) d = d * 10 + line.charCodeAt(q++) - 48;
  q++;
  if (year < 0) {
    if (h.tsEnd - p > 16 && line.charCodeAt(h.tsEnd - 5) === 32 && isDigit(line.charCodeAt(h.tsEnd - 4))) year = num(line, h.tsEnd - 4, 4);
    else {
      if (ctx.lastMonth === 11 && mo === 0) ctx.year++;
      ctx.lastMonth = mo;
      year = ctx.year;
    }
  }
  return Date.UTC(year, mo, d, num(line, q, 2), num(line, q + 3, 2), num(line, q + 6, 2), frac(line, q + 8));
}

function num(line: string, p: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 10 + line.charCodeAt(p + i) - 48;
  return v;
}

function frac(line: string, p: number): number {
  if (line.charCodeAt(p) !== 46 && line.charCodeAt(p) !== 44) return 0;
  let v = 0;
  let scale = 100;
  for (let i = p + 1; isDigit(line.charCodeAt(i)) && scale >= 1; i++) {
    v += (line.charCodeAt(i) - 48) * scale;
    scale /= 10;
  }
  return Math.floor(v);
}

/** The host as a string, or null. */
export function headHost(line: string, h: LineHead): string | null {
  if (h.json) return h.json.host;
  return h.hostStart >= 0 ? line.slice(h.hostStart, h.hostEnd) : null;
}

/** The message text. */
export function headMessage(line: string, h: LineHead): string {
  if (h.json) return h.json.msg;
  return h.msgStart > 0 ? line.slice(h.msgStart) : line;
}
