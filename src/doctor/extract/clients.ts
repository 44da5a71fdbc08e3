/**
 * VPN client error reports that name a RAS error code: Windows RasClient
 * events 20227 / 20226 ("CoId={…}: … The error code returned on failure is
 * 691."), rasdial and rasphone ("Error 809: ..."), the Windows 10/11 error
 * dialog ("Error code: 809", or only its sentence), and the same codes quoted
 * in router and support logs. The code is the event; rules/windows-error.ts
 * maps it to a cause.
 *
 * Users paste event text in their own language ("Der bei dem Fehler
 * zurückgegebene Fehlercode ist 809.", "失败时返回的错误代码为 809。"): the
 * RasClient description starts with `CoId={GUID}:` in every language and ends
 * with the code, so a CoId line is read by its last number, never by its
 * sentence. Lines arrive latin1-decoded (lines.ts), so non-ASCII words are
 * matched as their UTF-8 bytes.
 */
import type { EvFields } from '../types.js';

/** The UTF-8 bytes of `s` as a latin1 string (how a line holds them). */
const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** "Error 809", "error code: 809", "Fehler 809", "Fehlercode: 809", "Erreur 809", "错误 809", "错误代码: 809"… */
const RAS = new RegExp(`error code returned on failure is (\\d{3,5})|(?:\\b[Ee]rror|\\bERROR|\\bFehler|\\bErreur|\\bErrore|\\bErro|${bytes('错误')}|${bytes('錯誤')}|${bytes('エラー')}|${bytes('Ошибка')})(?: ?(?:code|Code|[Cc]ódigo|${bytes('代码')}|${bytes('代碼')}|${bytes('コード')}))?(?::| ?${bytes('：')})? ?(\\d{3,5})\\b(?! bytes)`);

/** Known RAS codes (raserror.h, and 13801/13806 of the IKEv2 client) this doctor diagnoses. */
export const RAS_CODES = new Set([619, 628, 629, 691, 718, 720, 734, 735, 741, 742, 768, 781, 788, 789, 800, 806, 809, 812, 813, 850, 13801, 13806]);

/**
 * The Windows 10/11 dialog's sentences (English) for the codes it often
 * shows without a number; localized dialogs name the code in the event log.
 */
const DIALOG: [string, number][] = [
  ['the remote server is not responding', 809],
  ['the attempted VPN tunnels failed', 800],
  ['user name and password combination you provided is not recognized', 691],
  ['because of a policy configured on your RAS/VPN server', 812],
  ['IKE authentication credentials are unacceptable', 13801],
  ['security layer encountered a processing error during initial negotiations', 789],
  ['the port used for this connection was closed', 619],
];

const escapeRe = (x: string): string => x.replace(/[.*+?^${}()|[\]\\/]/g, (c) => `\\${c}`);
/** One pass over a message for every dialog sentence (most pppd messages have none). */
const DIALOG_ANY = new RegExp(DIALOG.map(([t]) => escapeRe(t)).join('|'));
/** The words RAS needs before its regex runs: "rror" (Error, error), Fehler, Erreur, Erro, or any non-ASCII byte (localized words). */
const RAS_ANY = /rror|ehler|rreur|Erro|[^\x00-\x7f]/;

/** `WAN Miniport (PPTP)` and the like in RasClient 20221/20222: the tunnel type being dialled. */
const MINIPORT: [string, string][] = [
  ['(PPTP)', 'pptp'],
  ['(L2TP)', 'l2tp'],
  ['(IKEv2)', 'ikev2'],
  ['(SSTP)', 'sstp'],
];

/** The last run of 3–5 digits in `s` from `from`, standing alone (not inside a word or an address), or -1. */
function lastCode(s: string, from: number): number {
  let i = s.length - 1;
  while (i >= from) {
    if (!isDigit(s.charCodeAt(i))) {
      i--;
      continue;
    }
    const end = i + 1;
    while (i >= from && isDigit(s.charCodeAt(i))) i--;
    const len = end - i - 1;
    const after = s.charCodeAt(end);
    // A sentence's full stop may follow; an address's dot and digit may not.
    const afterOk = after === 46 ? !isDigit(s.charCodeAt(end + 1)) : !isWordChar(after);
    if (len >= 3 && len <= 5 && !isWordChar(s.charCodeAt(i)) && afterOk) return Number(s.slice(i + 1, end));
    return -1;
  }
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95;
}

/** A client RAS error code → event. */
export function extractWindows(msg: string): EvFields | null {
  // RasClient 20221's settings: `VpnStrategy = PPTP`, `Device = WAN Miniport (PPTP)`.
  const vs = msg.indexOf('VpnStrategy = ');
  if (vs >= 0) {
    const v = msg.slice(vs + 14, vs + 18).toLowerCase();
    return v === 'pptp' || v === 'l2tp' ? { kind: 'ras-dial', transport: v, reason: v } : null;
  }
  const co = msg.indexOf('CoId=');
  if (co >= 0) {
    // The GUID ends at its '}': the code is after it.
    const close = msg.indexOf('}', co);
    const body = close >= 0 ? close + 1 : co + 5;
    const code = lastCode(msg, body);
    if (RAS_CODES.has(code)) return { kind: 'ras-error', n: code, reason: msg.slice(0, 200) };
    return null;
  }
  if (msg.includes('WAN Miniport (')) for (const [token, transport] of MINIPORT) if (msg.includes(token)) return { kind: 'ras-dial', transport: transport === 'pptp' || transport === 'l2tp' ? transport : undefined, reason: transport };
  const m = RAS_ANY.test(msg) ? RAS.exec(msg) : null;
  if (m) {
    const code = Number(m[1] ?? m[2]);
    if (RAS_CODES.has(code)) return { kind: 'ras-error', n: code, reason: msg.slice(0, 200) };
  }
  if (!DIALOG_ANY.test(msg)) return null;
  for (const [sentence, code] of DIALOG) if (msg.includes(sentence)) return { kind: 'ras-error', n: code, reason: msg.slice(0, 200) };
  return null;
}
