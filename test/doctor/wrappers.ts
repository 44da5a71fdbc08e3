/**
 * The same log as users paste it from other tools: each real log line
 * rewritten into the wrapper formats doctor reads (docker / compose / kubectl
 * prefixes and stamps, the daemon's own foreground output, BusyBox syslogd,
 * journalctl JSON and json-pretty, `--no-hostname`). A general mechanism,
 * not samples: any log can be wrapped any of these ways, and the report's
 * findings must not change.
 */
import { headHost, headMessage, headTime, newHead, parseHead } from '../../src/doctor/line-head.js';

/** One line taken apart: what every wrapper is rebuilt from. */
interface Parts {
  line: string;
  /** Wall-clock ms (read as UTC), or NaN. */
  ms: number;
  host: string | null;
  prog: string | null;
  pid: number;
  msg: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parts(lines: string[], year: number): Parts[] {
  const h = newHead();
  const ctx = { year, lastMonth: -1 };
  return lines.map((line) => {
    parseHead(line, h);
    return {
      line,
      ms: headTime(line, h, ctx),
      host: headHost(line, h),
      prog: h.progStart >= 0 && !h.json ? line.slice(h.progStart, h.progEnd) : null,
      pid: h.pid,
      msg: headMessage(line, h),
    };
  });
}

/**
 * Lines without a program (the rest of a multi-line message, a pasted
 * excerpt) under a syslog daemon get the tag of the nearest line that has
 * one, as syslog would have written them; left as they are when no line has one.
 */
function tagged(ps: Parts[]): Parts[] {
  const near = ps.map(() => -1);
  let last = -1;
  ps.forEach((p, i) => {
    if (p.prog) last = i;
    near[i] = last;
  });
  last = -1;
  for (let i = ps.length - 1; i >= 0; i--) {
    if (ps[i]!.prog) last = i;
    if (near[i]! < 0) near[i] = last;
  }
  return ps.map((p, i) => (p.prog || near[i]! < 0 || !p.msg ? p : { ...p, prog: ps[near[i]!]!.prog, pid: ps[near[i]!]!.pid, host: p.host ?? ps[near[i]!]!.host }));
}

/** A line's time, or a synthetic one a second after the previous line's (lines without a time keep their order). */
function times(ps: Parts[], year: number): number[] {
  let last = Date.UTC(year, 2, 3, 10, 0, 0);
  return ps.map((p) => (last = Number.isFinite(p.ms) ? p.ms : last + 1000));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const rfc3339 = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}.123456789Z`;
const bsd = (ms: number): string => {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
};
/** What the daemon writes itself when it runs in the foreground (no syslog head). */
const foreground = (p: Parts): string => (p.prog ? `${p.prog}${p.pid >= 0 ? `[${p.pid}]` : ''}: ${p.msg}` : p.msg);
const tag = (p: Parts): string => `${p.prog}${p.pid >= 0 ? `[${p.pid}]` : ''}:`;

function journalRecord(p: Parts, ms: number, i: number): Record<string, unknown> {
  const r: Record<string, unknown> = { __REALTIME_TIMESTAMP: String(ms * 1000), _HOSTNAME: p.host ?? 'vpn' };
  if (p.prog) r.SYSLOG_IDENTIFIER = p.prog;
  if (p.pid >= 0) r._PID = String(p.pid);
  // journald writes MESSAGE as a byte array when it is not plain UTF-8; every other record here.
  r.MESSAGE = i % 2 ? [...Buffer.from(p.msg, 'latin1')] : p.msg;
  return r;
}

/** Wrapper name → the log rewritten in it. */
export const WRAPPERS: Record<string, (lines: string[], year: number) => string[]> = {
  'docker compose v1': (ls) => ls.map((l) => `pptpd_1  | ${l}`),
  'docker compose v2, coloured': (ls) => ls.map((l) => `\x1b[36mvpn-pptp-1  | \x1b[0m${l}`),
  'docker compose --timestamps': (ls, y) => {
    const ps = parts(ls, y);
    const t = times(ps, y);
    return ps.map((p, i) => `vpn-pptp-1  | ${rfc3339(t[i]!)} ${p.line}`);
  },
  'docker logs -t': (ls, y) => {
    const ps = parts(ls, y);
    const t = times(ps, y);
    return ps.map((p, i) => `${rfc3339(t[i]!)} ${p.line}`);
  },
  'daemon in the foreground (kubectl logs)': (ls, y) => parts(ls, y).map(foreground),
  'daemon in the foreground, kubectl logs --timestamps': (ls, y) => {
    const ps = parts(ls, y);
    const t = times(ps, y);
    return ps.map((p, i) => `${rfc3339(t[i]!)} ${foreground(p)}`);
  },
  'daemon in the foreground, kubectl logs --prefix --timestamps, coloured compose': (ls, y) => {
    const ps = parts(ls, y);
    const t = times(ps, y);
    return ps.map((p, i) => `\x1b[32mvpn_1  |\x1b[0m ${rfc3339(t[i]!)} ${foreground(p)}`);
  },
  'BusyBox syslogd': (ls, y) => {
    const ps = tagged(parts(ls, y));
    const t = times(ps, y);
    return ps.map((p, i) => (p.prog && p.msg ? `${bsd(t[i]!)} ${p.host ?? 'OpenWrt'} daemon.info ${tag(p)} ${p.msg}` : p.line));
  },
  'journalctl --no-hostname': (ls, y) => {
    const ps = tagged(parts(ls, y));
    const t = times(ps, y);
    return ps.map((p, i) => (p.prog && p.msg ? `${bsd(t[i]!)} ${tag(p)} ${p.msg}` : p.line));
  },
  'journalctl -o json': (ls, y) => {
    const ps = parts(ls, y);
    const t = times(ps, y);
    return ps.map((p, i) => JSON.stringify(journalRecord(p, t[i]!, i)));
  },
  'journalctl -o json-pretty': (ls, y) => {
    const ps = parts(ls, y);
    const t = times(ps, y);
    return ps.flatMap((p, i) => JSON.stringify(journalRecord(p, t[i]!, i), null, '\t').replace(/": /g, '" : ').split('\n'));
  },
};
