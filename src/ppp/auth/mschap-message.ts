/**
 * The text of MS-CHAP Success and Failure messages, which, unlike plain
 * CHAP, drives the protocol (RFC 2433 §8, RFC 2759 §5–6):
 *
 *   Failure: "E=691 R=1 C=<challenge hex> V=3 M=<text>"
 *   Success (v2): "S=<40 hex digits> M=<text>"
 *
 * Windows and macOS parse these fields; unknown text is ignored
 * (RFC 2433 §8 "accept but ignore additional text"). Parsers never throw.
 */

/** The fields of an MS-CHAP Failure message. */
export interface MsChapFailure {
  /** E=: error code (MSCHAP_ERROR); undefined when missing or not a number. */
  code: number | undefined;
  /** R=1: the peer may retry. */
  retry: boolean;
  /** C=: the next challenge (16 octets for v2, 8 for v1), when present and well formed. */
  challenge: Uint8Array | undefined;
  /** V=: password-change protocol version. */
  version: number | undefined;
  /** M=: the human-readable rest of the message. */
  message: string | undefined;
}

function hexUpper(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

function parseHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Formats a Failure message. `challenge` is required for v2 (RFC 2759 §6:
 * "MUST be present") and optional for v1 (RFC 2433 §8). `version` is 3 for
 * v2 and 2 for v1 as the RFCs recommend.
 */
export function formatMsChapFailure(f: { code: number; retry: boolean; challenge?: Uint8Array; version: number; message?: string }): string {
  let s = `E=${f.code} R=${f.retry ? 1 : 0}`;
  if (f.challenge) s += ` C=${hexUpper(f.challenge)}`;
  s += ` V=${f.version}`;
  if (f.message !== undefined) s += ` M=${f.message}`;
  return s;
}

/** Parses a Failure message; missing fields come back undefined (R defaults to no retry). */
export function parseMsChapFailure(text: string): MsChapFailure {
  const out: MsChapFailure = { code: undefined, retry: false, challenge: undefined, version: undefined, message: undefined };
  const m = text.indexOf('M=');
  const head = m >= 0 ? text.slice(0, m) : text;
  if (m >= 0) out.message = text.slice(m + 2);
  for (const tok of head.split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq !== 1) continue;
    const key = tok[0]!.toUpperCase();
    const val = tok.slice(2);
    // At most 9 digits: a hostile peer's E=999…9 would otherwise read as Infinity.
    if (key === 'E' && /^\d{1,9}$/.test(val)) out.code = Number(val);
    else if (key === 'R') out.retry = val === '1';
    else if (key === 'C') out.challenge = parseHex(val);
    else if (key === 'V' && /^\d{1,9}$/.test(val)) out.version = Number(val);
  }
  return out;
}

/** Formats an MS-CHAPv2 Success message: "S=<auth> M=<text>" (RFC 2759 §5). */
export function formatMsChapV2Success(authenticatorResponse: string, message?: string): string {
  return message === undefined ? authenticatorResponse : `${authenticatorResponse} M=${message}`;
}

/** The S= value (as "S=" + 40 hex digits) and M= text of an MS-CHAPv2 Success message. */
export function parseMsChapV2Success(text: string): { authenticatorResponse: string | undefined; message: string | undefined } {
  const s = /(?:^|\s)S=([0-9A-Fa-f]{40})(?=\s|$)/.exec(text);
  const m = text.indexOf('M=');
  return { authenticatorResponse: s ? `S=${s[1]!}` : undefined, message: m >= 0 ? text.slice(m + 2) : undefined };
}

/** Bytes → text for messages; invalid UTF-8 is replaced, never thrown. */
export function messageText(b: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(b);
}
