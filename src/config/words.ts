/**
 * pppd's word reader (`getword` in pppd/options.c), used for options files and
 * the chap-secrets/pap-secrets files: words are separated by white space;
 * `#` at the start of a word comments out the rest of the line; a word that
 * starts with `"` or `'` runs to the matching quote (white space and `#` inside
 * are literal); backslash escapes work inside and outside quotes (`\n \r \t \s`
 * (space) `\a \b \f`, `\ooo` octal, `\xHH` hex, any other character stands for
 * itself); backslash-newline is ignored. pppd silently ends an unterminated
 * quote at end of file; we report it, because it always swallows the rest of
 * the file.
 */
import { ConfigError } from '../core/errors.js';

/** One word and where it came from. */
export interface Word {
  text: string;
  /** 1-based line where the word starts. */
  line: number;
  /** The first word on its line (pppd's `newline` flag): starts a secrets entry. */
  startsLine: boolean;
  /** Written in quotes (so `*` or `-` are literal secrets, not wildcards). */
  quoted: boolean;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Splits `text` into words the way pppd reads options and secrets files. */
export function readWords(text: string, fileName: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  let line = 1;
  let sawNewline = true; // the first word of a file starts an entry
  const n = text.length;
  while (i < n) {
    // Skip white space and comments.
    let c = text[i]!;
    if (c === '\n') {
      line++;
      sawNewline = true;
      i++;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      // Backslash-newline between words is ignored and does not start a line.
      i += 2;
      line++;
      continue;
    }
    // A word starts here.
    const startLine = line;
    let quote: string | undefined;
    if (c === '"' || c === "'") {
      quote = c;
      i++;
    }
    let out = '';
    let closed = quote === undefined;
    while (i < n) {
      c = text[i]!;
      if (c === '\\') {
        const e = text[i + 1];
        if (e === undefined) {
          i++;
          break;
        }
        if (e === '\n') {
          line++;
          i += 2;
          continue;
        }
        i += 2;
        switch (e) {
          case 'a': out += '\x07'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 's': out += ' '; break;
          case 't': out += '\t'; break;
          case 'x': {
            let v = 0;
            let k = 0;
            while (k < 2 && isHex(text[i])) {
              v = v * 16 + parseInt(text[i]!, 16);
              i++;
              k++;
            }
            out += String.fromCharCode(v);
            break;
          }
          default:
            if (isOctal(e)) {
              let v = parseInt(e, 8);
              let k = 1;
              while (k < 3 && isOctal(text[i])) {
                v = v * 8 + parseInt(text[i]!, 8);
                i++;
                k++;
              }
              out += String.fromCharCode(v & 0xff);
            } else {
              if (e === '\n') line++;
              out += e;
            }
        }
        continue;
      }
      if (quote !== undefined) {
        if (c === quote) {
          i++;
          closed = true;
          break;
        }
        if (c === '\n') line++;
      } else if (isSpace(c) || c === '#') {
        break;
      }
      out += c;
      i++;
    }
    if (!closed) {
      throw new ConfigError('CONFIG_SYNTAX', `unterminated ${quote === '"' ? 'double' : 'single'} quote`, { file: fileName, line: startLine },
        `close the quote on line ${startLine}, or escape a literal quote as \\${quote}`);
    }
    words.push({ text: out, line: startLine, startsLine: sawNewline, quoted: quote !== undefined });
    sawNewline = false;
  }
  return words;
}
