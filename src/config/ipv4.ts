/**
 * IPv4 addresses as unsigned 32-bit numbers, and the range syntaxes of the
 * files we read: pptpd's one-octet ranges (`192.168.0.234-238`), xl2tpd's
 * `a.b.c.d - e.f.g.h` and its short form, and CIDR (`10.0.0.0/24`).
 */

/** An inclusive range of IPv4 addresses. */
export interface Ipv4Range {
  start: number;
  end: number;
}

/** Parses a strict dotted quad (no leading zeros, which inet_aton reads as octal). */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let v = 0;
  for (let k = 1; k <= 4; k++) {
    const part = m[k]!;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Formats a 32-bit number as a dotted quad. */
export function formatIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** True for a strict dotted quad. */
export function isIpv4(s: string): boolean {
  return parseIpv4(s) !== undefined;
}

/** Parses `a.b.c.d/n` into its range (network to broadcast). */
export function parseCidr(s: string): (Ipv4Range & { prefix: number; base: number }) | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const base = parseIpv4(m[1]!);
  const prefix = Number(m[2]);
  if (base === undefined || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const start = (base & mask) >>> 0;
  const end = (start | (~mask >>> 0)) >>> 0;
  return { start, end, prefix, base };
}

/**
 * One item of a pptpd address list: a single address, or an address with
 * exactly one octet written as `low-high` (pptpd.c `processIPStr`). A range in
 * the last octet is one contiguous range (`192.168.0.234-238`); a range in an
 * earlier octet steps only that octet (`10.1-3.0.5` is 10.1.0.5, 10.2.0.5,
 * 10.3.0.5), as pptpd does. Returns an error message for anything else.
 */
export function parsePptpdRange(s: string): Ipv4Range[] | string {
  if (!s.includes('-')) {
    const v = parseIpv4(s);
    return v === undefined ? `'${s}' is not an IPv4 address` : [{ start: v, end: v }];
  }
  const parts = s.split('.');
  if (parts.length !== 4) return `'${s}' is not a pptpd range: one octet may be a range, as in 192.168.0.234-238`;
  const dashed = parts.filter((p) => p.includes('-'));
  if (dashed.length !== 1) return `'${s}' has more than one range; pptpd allows one dash, as in 192.168.0.234-238`;
  const idx = parts.findIndex((p) => p.includes('-'));
  const [lo, hi, extra] = parts[idx]!.split('-');
  if (extra !== undefined || lo === undefined || hi === undefined || !/^\d{1,3}$/.test(lo) || !/^\d{1,3}$/.test(hi)) {
    return `'${s}' is not a pptpd range; write 192.168.0.234-238`;
  }
  const low = Number(lo);
  const high = Number(hi);
  if (low > 255 || high > 255) return `'${s}': octet out of range 0..255`;
  if (low > high) return `'${s}': range runs backwards (${low} > ${high}); pptpd has no shortcuts, write the full upper octet`;
  const at = (n: number) => parseIpv4(parts.map((p, k) => (k === idx ? String(n) : p)).join('.'));
  const first = at(low);
  const last = at(high);
  if (first === undefined || last === undefined) return `'${s}' is not a valid range`;
  if (idx === 3) return [{ start: first, end: last }];
  const out: Ipv4Range[] = [];
  for (let n = low; n <= high; n++) {
    const v = at(n)!;
    out.push({ start: v, end: v });
  }
  return out;
}

/** Number of addresses in a range. */
export function rangeSize(r: Ipv4Range): number {
  return r.end - r.start + 1;
}

/** Formats a range compactly (`a.b.c.d` or `a.b.c.d-e.f.g.h`). */
export function formatRange(r: Ipv4Range): string {
  return r.start === r.end ? formatIpv4(r.start) : `${formatIpv4(r.start)}-${formatIpv4(r.end)}`;
}

/**
 * The range syntax of tunppp.json and xl2tpd's `ip range`: `a.b.c.d`,
 * `a.b.c.d-e.f.g.h` (spaces around `-` allowed), `a.b.c.d-h` (last octet, the
 * short form xl2tpd also accepts) or CIDR `a.b.c.d/n` (all its addresses).
 */
export function parseRangeSpec(s: string): Ipv4Range | string {
  const t = s.trim();
  if (t.includes('/')) {
    const c = parseCidr(t);
    return c ? { start: c.start, end: c.end } : `'${t}' is not a CIDR prefix like 10.0.0.0/24`;
  }
  const dash = t.indexOf('-');
  if (dash < 0) {
    const v = parseIpv4(t);
    return v === undefined ? `'${t}' is not an IPv4 address` : { start: v, end: v };
  }
  const a = t.slice(0, dash).trim();
  const b = t.slice(dash + 1).trim();
  const start = parseIpv4(a);
  if (start === undefined) return `'${a}' is not an IPv4 address`;
  let end: number | undefined;
  if (/^\d{1,3}$/.test(b)) {
    end = Number(b) <= 255 ? ((start & 0xffffff00) | Number(b)) >>> 0 : undefined;
  } else {
    end = parseIpv4(b);
  }
  if (end === undefined) return `'${b}' is not an IPv4 address or last octet`;
  if (end < start) return `'${t}': start is greater than end`;
  return { start, end };
}

/** The shortest prefix of `local` that covers every address of `ranges` (range specs as parseRangeSpec reads them; bad ones are skipped). */
export function coveringPrefix(local: number, ranges: readonly string[]): number {
  let diff = 0;
  for (const spec of ranges) {
    const r = parseRangeSpec(spec);
    if (typeof r === 'string') continue;
    diff |= (r.start ^ local) | (r.end ^ local);
  }
  return diff === 0 ? 32 : Math.clz32(diff >>> 0);
}
