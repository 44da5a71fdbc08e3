/**
 * pppd's word reader (`getword` in pppd/options.c), used for options files and
 * the chap-secrets/pap-secrets files, rule for rule:
 *
 *  - between words: white space is skipped; `#` comments out the rest of the
 *    line; backslash-newline is ignored (and does not start a new line);
 *  - a word runs until unquoted white space or an unquoted `#`; a `"` or `'`
 *    anywhere in it opens a quoted part that runs to the same quote character,
 *    and the word goes on after it (`'it''s'` is `its`, `"a b"c` is `a bc`);
 *    inside quotes white space, `#` and newlines are literal;
 *  - backslash escapes work inside and outside quotes: `\a \b \f \n \r \t`,
 *    `\s` (space), `\ooo` (one to three octal digits), `\xHH` (zero to two
 *    hex digits), backslash-newline (nothing), any other character stands
 *    for itself;
 *  - the word is a C string: a NUL (`\0`, `\x` without digits) ends it.
 *
 * Two differences, both errors instead of silent changes: pppd warns and
 * reads on when a quote runs to the end of the file (it swallows the rest of
 * the file), and truncates words longer than 1023 characters (a truncated
 * password); tunppp refuses both with the line.
 */
import { ConfigError } from '../core/errors.js';

/** One word and where it came from. */
export interface Word {
  text: string;
  /** 1-based line where the word starts. */
  line: number;
  /** The first word on its line (pppd's `newline` flag): starts a secrets entry. */
  startsLine: boolean;
  /** A quote character was used somewhere in the word (pppd gives this no meaning; kept for hints). */
  quoted: boolean;
}

/** pppd's MAXWORDLEN: a word keeps at most MAXWORDLEN - 1 characters. */
export const MAX_WORD_LENGTH = 1023;

/** C isspace() in the "C" locale. */
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', s: ' ', t: '\t' };

/** Splits `text` into words the way pppd reads options and secrets files. */
export function readWords(text: string, fileName: string): Word[] {
  const words: Word[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let sawNewline = true; // the first word of a file starts an entry
  for (;;) {
    // Skip white space and comments up to the first character of a word.
    let escape = false;
    let comment = false;
    for (; i < n; i++) {
      const c = text[i]!;
      if (c === '\n') {
        line++;
        if (escape) escape = false;
        else {
          sawNewline = true;
          comment = false;
        }
        continue;
      }
      if (comment || (!escape && isSpace(c))) continue;
      if (escape) break; // an escaped character starts a word
      if (c === '\\') {
        escape = true;
        continue;
      }
      if (c === '#') {
        comment = true;
        continue;
      }
      break;
    }
    if (i >= n) return words; // end of file (a lone trailing backslash makes no word)
    const startLine = line;
    let out = '';
    let quote: string | undefined;
    let quoted = false;
    while (i < n) {
      const c = text[i]!;
      if (escape) {
        escape = false;
        if (c === '\n') {
          line++;
          i++;
          continue;
        }
        if (Object.hasOwn(SIMPLE_ESCAPES, c)) {
          out += SIMPLE_ESCAPES[c];
          i++;
        } else if (isOctal(c)) {
          let v = 0;
          for (let k = 0; k < 3 && isOctal(text[i]); k++) v = v * 8 + Number(text[i++]);
          out += String.fromCharCode(v & 0xff);
        } else if (c === 'x') {
          i++;
          let v = 0;
          for (let k = 0; k < 2 && isHex(text[i]); k++) v = v * 16 + parseInt(text[i++]!, 16);
          out += String.fromCharCode(v);
        } else {
          out += c;
          i++;
        }
        continue;
      }
      if (c === '\\') {
        escape = true;
        i++;
        continue;
      }
      if (quote !== undefined) {
        if (c === quote) {
          quote = undefined;
          i++;
          continue;
        }
      } else if (c === '"' || c === "'") {
        quote = c;
        quoted = true;
        i++;
        continue;
      } else if (isSpace(c) || c === '#') {
        break;
      }
      if (c === '\n') line++;
      out += c;
      i++;
    }
    if (quote !== undefined) {
      throw new ConfigError('CONFIG_SYNTAX', `unterminated ${quote === '"' ? 'double' : 'single'} quote (pppd would read the rest of the file into this word)`, { file: fileName, line: startLine },
        `close the quote on line ${startLine}, or escape a literal quote as \\${quote}`);
    }
    // getword returns no word when the file ends before any character was stored (`""` at the very end).
    if (i >= n && out === '') return words;
    // The word is a C string: an escaped NUL ends it.
    const nul = out.indexOf('\0');
    if (nul >= 0) out = out.slice(0, nul);
    if (out.length > MAX_WORD_LENGTH) {
      throw new ConfigError('CONFIG_VALUE', `word of ${out.length} characters; pppd truncates words to ${MAX_WORD_LENGTH}`, { file: fileName, line: startLine },
        `shorten it to at most ${MAX_WORD_LENGTH} characters`);
    }
    words.push({ text: out, line: startLine, startsLine: sawNewline, quoted });
    sawNewline = false;
  }
}
