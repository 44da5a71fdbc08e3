/**
 * `chap-secrets` / `pap-secrets` (pppd(8) "AUTHENTICATION", auth.c
 * `scan_authfile` / `set_allowed_addrs`): one entry per line,
 *
 *     client  server  secret  [address ...]
 *
 * (pppd's `-- options` for one user are refused: tunppp has no per-user options)
 *
 * words read as pppd reads them (words.ts: quotes, escapes, `#` comments).
 * `*` as client or server is a wildcard (quoted or not: pppd compares the
 * word read, `ISWILD`); pppd picks the most specific match
 * (named client beats named server beats wildcards) and, among entries of
 * equal rank, the first. A secret of `@/path` (quoted or not: pppd only looks
 * at the first two characters) means "read the secret from that file";
 * the pure parser records the path and the I/O loader reads it.
 *
 * Addresses: `*` any, `-` none (and stops the list), `!addr` forbids,
 * `addr/n` a subnet, `addr/n+` pppd's per-unit offset (kept but not usable by
 * tunppp, which has no ppp unit numbers), host names (kept unresolved). As a
 * tunppp extension, `a.b.c.d-e` ranges are accepted too.
 */
import { ConfigError } from '../core/errors.js';
import { formatIpv4, parseCidr, parseIpv4, parseRangeSpec, type Ipv4Range } from './ipv4.js';
import { readWords, type Word } from './words.js';
import type { ConfigWarning } from './warnings.js';

/** One allowed-address rule of a secrets entry. */
export type AddressRule =
  | { kind: 'any' }
  | { kind: 'none' }
  | { kind: 'range'; permit: boolean; range: Ipv4Range; text: string }
  | { kind: 'host'; permit: boolean; name: string }
  | { kind: 'unit-offset'; text: string };

/** One entry of a secrets file. */
export interface ChapSecret {
  /** User name, or `*`. */
  client: string;
  /** Server name (pppd `name`), or `*`. */
  server: string;
  /** The secret; empty when `secretFile` is set and not yet read. */
  secret: string;
  /** From `@/path`: where the secret lives (read by the loader). */
  secretFile: string | undefined;
  /** Allowed addresses; empty means "whatever the server assigns". */
  addresses: AddressRule[];
  /** Where the entry starts. */
  file: string;
  line: number;
}

/** A parsed secrets file. */
export interface ChapSecrets {
  file: string;
  entries: ChapSecret[];
  warnings: ConfigWarning[];
}

const wild = (w: Word) => w.text === '*';

function parseAddress(w: Word, file: string): AddressRule {
  const t = w.text;
  if (t === '*') return { kind: 'any' };
  if (t === '-') return { kind: 'none' };
  const permit = !t.startsWith('!');
  const body = permit ? t : t.slice(1);
  if (/\/\d+\+$/.test(body)) return { kind: 'unit-offset', text: t };
  if (body.includes('/')) {
    const c = parseCidr(body);
    if (!c || c.prefix === 0) {
      throw new ConfigError('CONFIG_VALUE', `bad address '${t}': the prefix length must be 1..32 after a dotted quad`, { file, line: w.line },
        'write a subnet as 192.168.0.0/24, or one address as 192.168.0.10');
    }
    return { kind: 'range', permit, range: { start: c.start, end: c.end }, text: t };
  }
  if (/^[\d.]+(-[\d.]+)?$/.test(body)) {
    const r = body.includes('-') ? parseRangeSpec(body) : parseIpv4(body);
    if (typeof r === 'string' || r === undefined) {
      throw new ConfigError('CONFIG_VALUE', `bad address '${t}'${typeof r === 'string' ? `: ${r}` : ''}`, { file, line: w.line },
        'write an IPv4 address (192.168.0.10), a subnet (192.168.0.0/24), a range (192.168.0.10-20), * for any or - for none');
    }
    const range = typeof r === 'number' ? { start: r, end: r } : r;
    return { kind: 'range', permit, range, text: t };
  }
  if (/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(body)) return { kind: 'host', permit, name: body };
  throw new ConfigError('CONFIG_VALUE', `bad address '${t}'`, { file, line: w.line },
    'write an IPv4 address, a subnet like 192.168.0.0/24, * for any or - for none');
}

/** Parses a chap-secrets (or pap-secrets) file. Throws `ConfigError` with file:line. */
export function parseChapSecrets(text: string, file: string): ChapSecrets {
  const words = readWords(text, file);
  const entries: ChapSecret[] = [];
  const warnings: ConfigWarning[] = [];
  // Group words into entries: a word at the start of a line starts one.
  const groups: Word[][] = [];
  for (const w of words) {
    if (w.startsLine || groups.length === 0) groups.push([w]);
    else groups[groups.length - 1]!.push(w);
  }
  for (const g of groups) {
    const [client, server, secret, ...rest] = g;
    const line = client!.line;
    if (server === undefined || secret === undefined) {
      throw new ConfigError('CONFIG_SYNTAX', `entry for '${client!.text}' has ${g.length} field${g.length === 1 ? '' : 's'}; it needs client, server and secret`, { file, line },
        `write: ${client!.text} ${server?.text ?? '*'} "PASSWORD" *   (client server secret addresses), quoting secrets that contain spaces or #`);
    }
    let secretFile: string | undefined;
    let secretText = secret.text;
    if (secretText.startsWith('@/')) {
      secretFile = secretText.slice(1);
      secretText = '';
    } else if (!secret.quoted && secretText.startsWith('@') && secretText.length > 1) {
      warnings.push({ file, line: secret.line, message: `secret '${secretText}' starts with @ but not @/: pppd uses it literally`, hint: 'for a secret file write @/absolute/path; to mean a literal @, quote it' });
    }
    if (secretText === '' && secretFile === undefined) {
      warnings.push({ file, line, message: `empty secret for '${client!.text}'`, hint: 'an empty secret lets anyone log in as this user with PAP; set a password' });
    }
    const addresses: AddressRule[] = [];
    let stopped = false;
    for (const [k, w] of rest.entries()) {
      if (w.text === '--') {
        // pppd applies these options to this user's link; tunppp has no per-user pppd options.
        const opts = rest.slice(k + 1).map((x) => x.text).join(' ');
        throw new ConfigError('CONFIG_UNSUPPORTED', `per-user pppd options '-- ${opts}' for '${client!.text}': pppd applies them to this user's link, tunppp cannot`, { file, line: w.line },
          'remove them (set DNS and other options for everyone in the options file, or per user through RADIUS)');
      }
      if (stopped) continue; // pppd ignores addresses after "-"
      const rule = parseAddress(w, file);
      if (rule.kind === 'unit-offset') {
        warnings.push({ file, line: w.line, message: `address '${rule.text}' uses pppd's per-unit offset`, hint: 'tunppp has no ppp unit numbers; give the address explicitly' });
      }
      addresses.push(rule);
      if (rule.kind === 'none') stopped = true;
    }
    entries.push({ client: client!.text, server: server.text, secret: secretText, secretFile, addresses, file, line });
    if (wild(client!) && wild(server) && !secretFile) {
      warnings.push({ file, line, message: 'wildcard client and server: any user name authenticates with this secret', hint: 'name the user in the first column' });
    }
  }
  // Duplicate user+server: pppd uses the first; say so.
  const seen = new Map<string, number>();
  for (const e of entries) {
    const k = `${e.client}\u0000${e.server}`;
    const first = seen.get(k);
    if (first !== undefined) {
      warnings.push({ file, line: e.line, message: `'${e.client}' for server '${e.server}' is already defined on line ${first}; this entry is never used`, hint: 'remove one of the two entries' });
    } else seen.set(k, e.line);
  }
  return { file, entries, warnings };
}

/**
 * The entry pppd would use to authenticate `client` against our `server` name:
 * exact matches beat wildcards; among equals the first wins.
 */
export function lookupSecret(secrets: readonly ChapSecret[], client: string, server: string): ChapSecret | undefined {
  let best: ChapSecret | undefined;
  let bestRank = -1;
  for (const e of secrets) {
    if (e.client !== '*' && e.client !== client) continue;
    if (e.server !== '*' && e.server !== server) continue;
    // auth.c: NONWILD_CLIENT (2) outranks NONWILD_SERVER (1).
    const rank = (e.client !== '*' ? 2 : 0) + (e.server !== '*' ? 1 : 0);
    if (rank > bestRank) {
      best = e;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * Whether a peer may use `addr` under an entry's rules (pppd `ip_addr_check`:
 * first matching rule decides; no rules, or only host names, leaves the
 * decision to the pool → `undefined`).
 */
export function addressAllowed(rules: readonly AddressRule[], addr: number): boolean | undefined {
  if (rules.length === 0) return undefined;
  for (const r of rules) {
    if (r.kind === 'any') return true;
    if (r.kind === 'none') return false;
    if (r.kind === 'range' && addr >= r.range.start && addr <= r.range.end) return r.permit;
  }
  return rules.some((r) => r.kind === 'host' || r.kind === 'unit-offset') ? undefined : false;
}

/** The single fixed address an entry names (pppd's "suggested" address), if any. */
export function fixedAddress(rules: readonly AddressRule[]): string | undefined {
  for (const r of rules) {
    if (r.kind === 'range' && r.permit && r.range.start === r.range.end) return formatIpv4(r.range.start);
  }
  return undefined;
}

/** Quotes a word for a secrets file so `readWords` reads it back unchanged. */
export function quoteWord(s: string): string {
  if (s !== '' && /^[A-Za-z0-9._@%+=:,/-]+$/.test(s) && !s.startsWith('@') && s !== '-') return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** One secrets-file line for a user (as written by the embedded default). */
export function formatSecretLine(client: string, server: string, secret: string, address = '*'): string {
  return `${quoteWord(client)}\t${quoteWord(server)}\t${quoteWord(secret)}\t${address}`;
}
