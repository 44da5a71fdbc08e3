/**
 * The one escape for text that came from a peer (user names, L2TP Host
 * Names, Result Code messages, Reply-Messages, Terminate-Request data) on its
 * way into a log line, the log ring the API and `tunppp doctor` read, a JSON
 * field or a page. The logger applies it to every message and field value it
 * writes (src/log/logger.ts), so no call site can forget it.
 *
 * After escaping, a string holds no line break (a peer cannot forge a whole
 * log line), no other control character (no terminal escape sequences), no
 * `"` or `\` unescaped (it cannot close a quoted value or start a forged one),
 * and no invisible or direction-changing character (Unicode format
 * characters, line/paragraph separators, unpaired surrogates).
 *
 *   \\  \"  \n  \r  \t       backslash, quote, the usual controls
 *   \xNN                     any other C0 control, DEL, C1 control
 *   \uNNNN                   format characters, separators, lone surrogates
 *
 * Printable text, including non-ASCII letters, is kept as it is.
 */

/** Any character `escapeText` rewrites (a character class: linear). */
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** True for a UTF-16 code unit escapeText writes as \uNNNN (not a paired surrogate). */
function invisible(c: number): boolean {
  return c === 0xad || c === 0x61c || c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c === 0xfeff || (c >= 0xfff9 && c <= 0xfffb);
}

/** Any character escapeControls rewrites: escapeText's set without `"`, `\` and tab. */
const CONTROL_OR_INVISIBLE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/;

/** `s` with every control, quote, backslash and invisible character escaped (see above). */
export function escapeText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? rewrite(s, true) : s;
}

/**
 * `s` with control and invisible characters escaped but `"`, `\` and tab kept:
 * for showing lines of other programs' logs on a terminal (`tunppp doctor`'s
 * evidence), where a raw ESC or CR would rewrite the screen.
 */
export function escapeControls(s: string): string {
  return CONTROL_OR_INVISIBLE.test(s) ? rewrite(s, false) : s;
}

function rewrite(s: string, quotes: boolean): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x5c) rep = quotes ? '\\\\' : undefined;
    else if (c === 0x22) rep = quotes ? '\\"' : undefined;
    else if (c === 0x0a) rep = '\\n';
    else if (c === 0x0d) rep = '\\r';
    else if (c === 0x09) rep = quotes ? '\\t' : undefined;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) rep = `\\x${hex(c, 2)}`;
    else if (invisible(c)) rep = `\\u${hex(c, 4)}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) i++; // a pair: an astral character, kept
      else rep = `\\u${hex(c, 4)}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) rep = `\\u${hex(c, 4)}`;
    if (rep === undefined) continue;
    out += s.slice(from, i) + rep;
    from = i + 1;
  }
  return out + s.slice(from);
}

/** `fields` with escapeText applied to every key and string value (log records: the API log ring). */
export function escapeFields<T extends string | number | boolean | undefined>(fields: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(fields)) out[escapeText(k)] = (typeof v === 'string' ? escapeText(v) : v) as T;
  return out;
}
