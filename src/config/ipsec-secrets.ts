/**
 * The pre-shared keys of an `ipsec.secrets` file (strongSwan's and
 * libreswan's format), so a site's existing file is tunppp's PSK source:
 *
 *   %any %any : PSK "a long random key"     (hwdsl2/setup-ipsec-vpn writes this)
 *   : PSK "one key for everyone"
 *   203.0.113.7 : PSK 0x6b6579                (per client address; 0x hex, 0s base64)
 *
 * Main Mode must pick the key before the encrypted identities arrive (RFC
 * 2409 §5.4), so a line is chosen by the client's address alone: a line
 * naming that address wins over a wildcard (`%any`, `%any4`, `0.0.0.0`,
 * `*`) or selector-free line; a line with a single selector that is one of
 * this host's own addresses applies to anyone (strongSwan takes one ID as
 * "us, to anyone"). A line naming another client's address is that client's
 * key only, never another's. RSA, XAUTH, EAP and
 * other secret types are skipped; `include` is reported, not followed. A
 * file without any PSK line is not an ipsec.secrets file: its first
 * non-empty line is the key itself (`--ipsec-psk-file` with a bare key).
 */
import { ConfigError } from '../core/errors.js';

/** One PSK line. */
export interface IpsecSecret {
  /** The selectors before the colon (addresses, `%any`, IDs), as written. */
  selectors: string[];
  key: Uint8Array;
  line: number;
}

/** What the file gave. */
export interface IpsecSecrets {
  entries: IpsecSecret[];
  /** Lines that were not understood or not followed, with why (for a log line). */
  skipped: string[];
}

const SECRET_TYPES = new Set(['PSK', 'RSA', 'ECDSA', 'XAUTH', 'EAP', 'NTLM', 'PIN', 'P12', 'BLISS', 'PKCS8', 'PPK']);
const WILDCARDS = new Set(['%any', '%any4', '%any6', '0.0.0.0', '*', '::', '0::0']);

function decodeSecret(raw: string, file: string, line: number): Uint8Array {
  const q = raw[0];
  if (q === '"' || q === "'") {
    const end = raw.indexOf(q, 1);
    if (end < 0) throw new ConfigError('CONFIG_VALUE', `the PSK's closing ${q} is missing`, { file, line }, `write : PSK ${q}the key${q}`);
    return new TextEncoder().encode(raw.slice(1, end));
  }
  const token = raw.split(/\s/)[0]!;
  if (/^0x[0-9a-f]+$/i.test(token)) {
    if (token.length % 2 !== 0) throw new ConfigError('CONFIG_VALUE', `the PSK ${token.slice(0, 6)}... has an odd number of hex digits`, { file, line }, 'write whole bytes after 0x');
    return Uint8Array.from(Buffer.from(token.slice(2), 'hex'));
  }
  if (/^0s[A-Za-z0-9+/=]+$/.test(token)) return Uint8Array.from(Buffer.from(token.slice(2), 'base64'));
  return new TextEncoder().encode(token);
}

/** Reads the PSK lines of an ipsec.secrets text; throws ConfigError on a broken PSK line. */
export function parseIpsecSecrets(text: string, file: string): IpsecSecrets {
  const entries: IpsecSecret[] = [];
  const skipped: string[] = [];
  // An entry continues on lines that start with white space.
  const logical: { text: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    const hash = l.search(/(^|\s)#/);
    const noComment = (hash < 0 ? l : l.slice(0, hash)).replace(/\t/g, ' ');
    if (noComment.trim() === '') return;
    if (/^\s/.test(noComment) && logical.length > 0) logical[logical.length - 1]!.text += ` ${noComment.trim()}`;
    else logical.push({ text: noComment.trim(), line: i + 1 });
  });
  for (const { text: t, line } of logical) {
    if (/^include\s/.test(t)) {
      skipped.push(`${file}:${line}: include is not followed (put the PSK line in this file)`);
      continue;
    }
    // The colon is a token of its own (IPv6 selectors contain colons too).
    const colon = t.startsWith(': ') ? 0 : t.indexOf(' : ');
    const rest = colon < 0 ? '' : t.slice(colon + (colon === 0 ? 1 : 2)).trim();
    const type = rest.split(/\s/, 1)[0]!.toUpperCase();
    if (colon < 0 || !SECRET_TYPES.has(type)) {
      skipped.push(`${file}:${line}: not a secret line`);
      continue;
    }
    if (type !== 'PSK') continue;
    const key = decodeSecret(rest.slice(type.length).trim(), file, line);
    if (key.length === 0) throw new ConfigError('CONFIG_VALUE', 'the PSK is empty', { file, line }, 'write a long random key: : PSK "..."');
    entries.push({ selectors: t.slice(0, Math.max(colon, 0)).split(/\s/).filter((x) => x !== ''), key, line });
  }
  return { entries, skipped };
}

/**
 * The key for a client at `address`, by the rule in the header; undefined
 * when no line applies. `isOurs` says whether an address is this host's.
 */
export function ipsecSecretFor(secrets: readonly IpsecSecret[], address: string, isOurs: (address: string) => boolean = () => false): Uint8Array | undefined {
  let wildcard: IpsecSecret | undefined;
  let single: IpsecSecret | undefined;
  for (const s of secrets) {
    if (s.selectors.includes(address)) return s.key;
    if (s.selectors.length === 0 || s.selectors.some((x) => WILDCARDS.has(x))) wildcard ??= s;
    else if (s.selectors.length === 1 && isOurs(s.selectors[0]!)) single ??= s;
  }
  return (wildcard ?? single)?.key;
}

/**
 * A PSK source file: ipsec.secrets when it has a PSK line, else a file with
 * the key alone (its first non-empty line, trimmed). Returns the lookup by
 * client address and a description for the log.
 */
export function pskSourceFromText(text: string, file: string, isOurs: (address: string) => boolean = () => false): { lookup: (address: string) => Uint8Array | undefined; entries: number; skipped: string[]; bare: boolean } {
  const parsed = parseIpsecSecrets(text, file);
  if (parsed.entries.length > 0) return { lookup: (a) => ipsecSecretFor(parsed.entries, a, isOurs), entries: parsed.entries.length, skipped: parsed.skipped, bare: false };
  if (/:\s*(RSA|ECDSA|XAUTH|EAP)\s/i.test(text)) throw new ConfigError('CONFIG_VALUE', 'this ipsec.secrets file has no PSK line (only certificate, XAUTH or EAP secrets)', { file }, 'add a line %any %any : PSK "a long random key"');
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (first === undefined) throw new ConfigError('CONFIG_VALUE', 'the PSK file is empty', { file }, 'write the key on the first line, or an ipsec.secrets line %any %any : PSK "..."');
  const key = new TextEncoder().encode(first);
  return { lookup: () => key, entries: 1, skipped: [], bare: true };
}

