/**
 * The `key=value…` tail of a text-format log line (src/log/logger.ts writes
 * `MESSAGE key=value key="quoted value" … event=id`), found in time linear
 * in the line's length.
 *
 * The tail is the longest suffix made of ` key=value` tokens: key is
 * `[\w.-]+`, value either a quoted string (`"…"`, backslash escapes) or a run
 * of non-white-space characters. A regular expression for that,
 * `/((?: [\w.-]+=(?:"(?:[^"\\]|\\.)*"|\S*))+)$/`, backtracks exponentially on
 * a repeated ` a="` (issue 12: a 130-character user name froze the server
 * for a minute). This scanner decides, right to left, for each position
 * whether a token sequence starting there reaches the end of the line: every
 * position is looked at a constant number of times.
 */

/** One field of the tail. `value` is as written: for a quoted value, the text between the quotes, escapes kept. */
export interface TailField {
  key: string;
  value: string;
  quoted: boolean;
}

/** The tail of `line`: where it starts (`line.length` when there is none) and its fields, in order. */
export interface KvTail {
  start: number;
  fields: TailField[];
}

function isKeyChar(c: number): boolean {
  // [\w.-]
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
}

/** JavaScript's \s. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `.` does not match these (the `\\.` escape of a quoted value). */
function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

const NONE = -1;
const QUOTED = 1;
const PLAIN = 2;

/** Splits the `key=value…` tail off `line` (see the file comment). */
export function splitKvTail(line: string): KvTail {
  const n = line.length;
  // Per position p (all filled right to left, each from positions > p):
  //   keyEnd[p]  end of the [\w.-] run starting at p
  //   wordEnd[p] end of the \S run starting at p
  //   quoteAt[p] the closing quote of a quoted value whose text starts at p, or NONE
  //   choice[p]  how a token starting at p (a space) reaches the end: QUOTED, PLAIN, or 0 (it does not)
  const keyEnd = new Int32Array(n + 2);
  const wordEnd = new Int32Array(n + 2);
  const quoteAt = new Int32Array(n + 2);
  const choice = new Uint8Array(n + 1);
  keyEnd[n] = n;
  wordEnd[n] = n;
  quoteAt[n] = NONE;
  quoteAt[n + 1] = NONE;
  let start = n;
  for (let p = n - 1; p >= 0; p--) {
    const c = line.charCodeAt(p);
    keyEnd[p] = isKeyChar(c) ? keyEnd[p + 1]! : p;
    wordEnd[p] = isSpace(c) ? p : wordEnd[p + 1]!;
    if (c === 0x22) quoteAt[p] = p;
    else if (c === 0x5c) quoteAt[p] = p + 1 < n && !isLineTerminator(line.charCodeAt(p + 1)) ? quoteAt[p + 2]! : NONE;
    else quoteAt[p] = quoteAt[p + 1]!;
    if (c !== 0x20) continue;
    const k = keyEnd[p + 1]!;
    if (k === p + 1 || k >= n || line.charCodeAt(k) !== 0x3d) continue;
    const v = k + 1;
    if (v < n && line.charCodeAt(v) === 0x22) {
      const q = quoteAt[v + 1]!;
      if (q !== NONE && (q + 1 === n || choice[q + 1] !== 0)) {
        choice[p] = QUOTED;
        start = p;
        continue;
      }
    }
    const e = wordEnd[v]!;
    if (e === n || choice[e] !== 0) {
      choice[p] = PLAIN;
      start = p;
    }
  }
  const fields: TailField[] = [];
  for (let p = start; p < n; ) {
    const k = keyEnd[p + 1]!;
    const key = line.slice(p + 1, k);
    const v = k + 1;
    if (choice[p] === QUOTED) {
      const q = quoteAt[v + 1]!;
      fields.push({ key, value: line.slice(v + 1, q), quoted: true });
      p = q + 1;
    } else {
      const e = wordEnd[v]!;
      fields.push({ key, value: line.slice(v, e), quoted: false });
      p = e;
    }
  }
  return { start, fields };
}

/** A quoted value's text with `\"` and `\\` undone; other escapes (\n, \xNN) stay as written, as text. */
export function unquoteValue(value: string): string {
  return value.indexOf('\\') < 0 ? value : value.replace(/\\(["\\])/g, '$1');
}
