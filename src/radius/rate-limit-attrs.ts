/**
 * Rate limits in an Access-Accept, in the two forms RADIUS servers send for
 * PPP concentrators:
 *
 * - Mikrotik-Rate-Limit (vendor 14988, type 8), MikroTik's
 *   "rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [thresholds [times
 *   [priority [min-rates]]]]]", seen from the router: rx is what the user
 *   sends (up), tx what the user receives (down). Rates are bits per second
 *   with an optional k or M; a missing tx-rate equals rx-rate; 0 is no limit.
 *   We apply the two base rates; MikroTik's burst fields (a higher rate for
 *   a while) have no equivalent in our policer and are reported as ignored.
 * - Filter-Id in accel-ppp's shaper form: "rate" (kbit/s both ways) or
 *   "down/up" in kbit/s (accel-ppp also takes ':' or '\' between them).
 *   A Filter-Id that is not a number is a filter name, which tunppp does not
 *   implement: it is ignored with a reason.
 *
 * Mikrotik-Rate-Limit wins when both are present. Nothing here throws: text
 * from the server that does not parse comes back as a reason to log.
 */
import { parseRate, type RateLimit } from '../core/rate-limit.js';
import { ATTR, attrText, findAttr, vendorAttrs, type RadiusPacket } from './codec.js';

/** MikroTik's vendor id and its Mikrotik-Rate-Limit attribute (FreeRADIUS dictionary.mikrotik). */
export const VENDOR_MIKROTIK = 14988;
export const MIKROTIK_RATE_LIMIT = 8;

/** What the attributes of an Accept say about the rate. */
export interface RateLimitFromAttrs {
  /** The limit to apply, absent when none was given or none parsed. */
  limit?: RateLimit;
  /** Which attribute it came from, for logs ("Mikrotik-Rate-Limit 2M/4M"). */
  source?: string;
  /** What was not applied and why (a malformed value, burst fields, a filter name). */
  problem?: string;
}

/** Longest value we echo into a log line. */
const SHOW_MAX = 64;

function show(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > SHOW_MAX ? `${clean.slice(0, SHOW_MAX)}…` : clean);
}

/** One "a[/b]" pair of rates, b defaulting to a; 0 means unlimited. */
function ratePair(text: string, parse: (s: string) => number | undefined, sep: RegExp): { a: number; b: number } | undefined {
  const parts = text.split(sep);
  if (parts.length > 2 || parts.some((p) => p === '')) return undefined;
  const a = parse(parts[0]!);
  const b = parts.length === 2 ? parse(parts[1]!) : a;
  if (a === undefined || b === undefined) return undefined;
  return { a, b };
}

function limitOf(upBps: number, downBps: number): RateLimit {
  const l: RateLimit = {};
  if (upBps > 0) l.upBps = upBps;
  if (downBps > 0) l.downBps = downBps;
  return l;
}

/** Parses a Mikrotik-Rate-Limit value. */
export function parseMikrotikRateLimit(text: string): RateLimitFromAttrs {
  const fields = text.trim().split(/\s+/);
  const pair = fields[0] === '' ? undefined : ratePair(fields[0]!, parseRate, /\//);
  if (pair === undefined) return { problem: `Mikrotik-Rate-Limit ${show(text)} ignored: expected rx-rate[/tx-rate] such as "2M/4M" or "512k"` };
  const r: RateLimitFromAttrs = { limit: limitOf(pair.a, pair.b), source: `Mikrotik-Rate-Limit ${show(text)}` };
  if (fields.length > 1) r.problem = `Mikrotik-Rate-Limit burst fields ${show(fields.slice(1).join(' '))} not applied: tunppp polices at the base rate (rateLimits.burstMs sets the bucket)`;
  return r;
}

/** Parses a Filter-Id as accel-ppp's shaper reads it: kbit/s, "down/up" or one rate for both. */
export function parseFilterIdRate(text: string): RateLimitFromAttrs {
  const kbit = (s: string): number | undefined => (/^\d{1,9}$/.test(s) ? Number(s) * 1000 : undefined);
  const pair = ratePair(text.trim(), kbit, /[/:\\]/);
  if (pair === undefined) return { problem: `Filter-Id ${show(text)} ignored: not an accel-ppp rate ("down/up" in kbit/s, e.g. "2000/1000"); filter lists are not supported` };
  return { limit: limitOf(pair.b, pair.a), source: `Filter-Id ${show(text)}` };
}

/** The rate limit an Access-Accept grants: Mikrotik-Rate-Limit, else a Filter-Id rate. */
export function rateLimitFromAccept(p: RadiusPacket): RateLimitFromAttrs {
  const mt = vendorAttrs(p, VENDOR_MIKROTIK).find((v) => v.vendorType === MIKROTIK_RATE_LIMIT);
  if (mt !== undefined) {
    const r = parseMikrotikRateLimit(attrText(mt.value));
    if (r.limit !== undefined) return r;
    const f = findAttr(p, ATTR.FILTER_ID);
    if (f === undefined) return r;
    const fr = parseFilterIdRate(attrText(f));
    return { ...fr, problem: [r.problem, fr.problem].filter((x) => x !== undefined).join('; ') };
  }
  const f = findAttr(p, ATTR.FILTER_ID);
  return f === undefined ? {} : parseFilterIdRate(attrText(f));
}
