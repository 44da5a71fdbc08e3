/**
 * Wrappers that tools put in front of a log line, as users paste them:
 *
 *   docker compose logs     `pptpd_1  | msg` (v1), `vpn-pptp-1  | msg` (v2), coloured or not
 *   docker logs -t, compose --timestamps, kubectl logs --timestamps
 *                           `2025-03-03T10:00:00.123456789Z msg` before the daemon's own line
 *   kubectl logs --prefix   `[pod/vpn-0/pptpd] msg`
 *
 * `unwrapStart` returns where the daemon's own line starts, and the wrapper's
 * RFC 3339 stamp (used only when the inner line carries no time of its own).
 * Colour codes (`ESC [ … m`) are removed first by `stripAnsi`. Every scan
 * here is a single forward pass: linear in the line's length, no regular
 * expression.
 */

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Name characters of a compose service/container: [A-Za-z0-9_.-]. */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 46 || c === 45;
}

/**
 * The line without ANSI CSI sequences (`ESC [ params final`) and other
 * two-character escapes. Called for lines that start with ESC (docker
 * compose colours its prefix); one pass.
 */
export function stripAnsi(line: string): string {
  let out = '';
  let from = 0;
  const n = line.length;
  let i = line.indexOf('\x1b');
  while (i >= 0) {
    out += line.slice(from, i);
    let j = i + 1;
    if (line.charCodeAt(j) === 91 /* [ */) {
      j++;
      // parameter and intermediate bytes 0x20-0x3f, then one final byte 0x40-0x7e
      while (j < n) {
        const c = line.charCodeAt(j);
        if (c < 0x20 || c > 0x3f) break;
        j++;
      }
      if (j < n) j++;
    } else if (j < n) j++;
    from = j;
    i = line.indexOf('\x1b', from);
  }
  return from === 0 ? line : out + line.slice(from);
}

/** Where an RFC 3339 stamp `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)` starting at p ends, or -1. */
export function rfc3339End(line: string, p: number): number {
  for (let i = 0; i < 4; i++) if (!isDigit(line.charCodeAt(p + i))) return -1;
  if (line.charCodeAt(p + 4) !== 45 || line.charCodeAt(p + 7) !== 45 || line.charCodeAt(p + 10) !== 84 /* T */) return -1;
  if (!isDigit(line.charCodeAt(p + 5)) || !isDigit(line.charCodeAt(p + 8)) || !isDigit(line.charCodeAt(p + 9))) return -1;
  let q = p + 11;
  if (!(isDigit(line.charCodeAt(q)) && isDigit(line.charCodeAt(q + 1)) && line.charCodeAt(q + 2) === 58)) return -1;
  if (!(isDigit(line.charCodeAt(q + 3)) && isDigit(line.charCodeAt(q + 4)) && line.charCodeAt(q + 5) === 58)) return -1;
  if (!(isDigit(line.charCodeAt(q + 6)) && isDigit(line.charCodeAt(q + 7)))) return -1;
  q += 8;
  if (line.charCodeAt(q) === 46) {
    q++;
    while (isDigit(line.charCodeAt(q))) q++;
  }
  const z = line.charCodeAt(q);
  if (z === 90) return q + 1;
  if ((z === 43 || z === 45) && isDigit(line.charCodeAt(q + 1)) && isDigit(line.charCodeAt(q + 2))) {
    q += 3;
    if (line.charCodeAt(q) === 58) q++;
    if (isDigit(line.charCodeAt(q)) && isDigit(line.charCodeAt(q + 1))) return q + 2;
  }
  return -1;
}

/** `name  | ` (compose): offset after it, or -1. */
function composePrefixEnd(line: string, p: number): number {
  let q = p;
  const n = Math.min(line.length, p + 128);
  while (q < n && isNameChar(line.charCodeAt(q))) q++;
  if (q === p || line.charCodeAt(q) !== 32) return -1;
  while (q < n && line.charCodeAt(q) === 32) q++;
  if (line.charCodeAt(q) !== 124 /* | */) return -1;
  q++;
  if (q < line.length && line.charCodeAt(q) !== 32) return -1;
  return q < line.length ? q + 1 : q;
}

/** `[pod/NAME/CONTAINER] ` (kubectl --prefix): offset after it, or -1. */
function kubectlPrefixEnd(line: string, p: number): number {
  if (!line.startsWith('[pod/', p)) return -1;
  const e = line.indexOf('] ', p + 5);
  return e > 0 && e - p < 300 ? e + 2 : -1;
}

/** The wrapper found before a line: where the daemon's line starts and the wrapper's stamp. */
export interface Unwrapped {
  start: number;
  /** The wrapper's RFC 3339 stamp [tsStart, tsEnd), or tsStart = -1. */
  tsStart: number;
  tsEnd: number;
}

/**
 * Skips container prefixes and a leading RFC 3339 stamp that is a wrapper's
 * (followed by a compose prefix' content that is itself a log line: another
 * stamp, a JSON object, or the daemon's message). A leading RFC 3339 stamp
 * stays part of the line when nothing else wraps it: the head parser reads it
 * as the line's own stamp (with or without a host after it).
 */
export function unwrapStart(line: string, u: Unwrapped, innerStamp: (line: string, p: number) => boolean): void {
  u.start = 0;
  u.tsStart = -1;
  u.tsEnd = -1;
  let p = 0;
  // At most one of each, in the order tools add them: kubectl prefix or compose prefix, then a stamp.
  let q = kubectlPrefixEnd(line, p);
  if (q < 0) q = composePrefixEnd(line, p);
  if (q >= 0) p = q;
  const e = rfc3339End(line, p);
  if (e > 0 && line.charCodeAt(e) === 32 && (p > 0 || innerStamp(line, e + 1))) {
    // After a container prefix the stamp is always the tool's (`--timestamps`);
    // at the start of a line only when another stamp follows (`docker logs -t` of a syslog).
    if (p > 0 && !innerStamp(line, e + 1)) {
      // `name | 2025-…Z msg`: the tool's stamp is the line's only one; keep it in the line.
      u.start = p;
      return;
    }
    u.tsStart = p;
    u.tsEnd = e;
    p = e + 1;
  }
  u.start = p;
}
