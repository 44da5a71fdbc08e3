/**
 * words.ts against pppd's getword (pppd/options.c). The reference below is a
 * separate transcription of getword's control flow over a byte stream with
 * getc/ungetc, kept deliberately close to the C shape (and unlike words.ts),
 * so a property test can compare the two on random input made of the
 * characters that matter: quotes, backslashes, `#`, white space, newlines,
 * octal and hex digits, escape letters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/errors.js';
import { readWords } from '../../src/config/words.js';

const EOF = -1;
const MAXWORDLEN = 1024;

class Stream {
  private pos = 0;
  constructor(private readonly s: string) {}
  getc(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos++) : EOF;
  }
  ungetc(): void {
    this.pos--;
  }
}

const ch = (c: string) => c.charCodeAt(0);
const cIsSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const cIsOctal = (c: number) => c >= ch('0') && c < ch('8');
const cIsXdigit = (c: number) => (c >= ch('0') && c <= ch('9')) || (c >= ch('a') && c <= ch('f')) || (c >= ch('A') && c <= ch('F'));

/** One getword() call: the word (as a C string), the newline flag, whether a quote ran to EOF; undefined at end of file. */
function getword(f: Stream): { word: string; newline: boolean; quotedAtEof: boolean } | undefined {
  let newline = false;
  const word: number[] = [];
  let escape = false;
  let comment = false;
  let quoted = 0;
  let c: number;
  for (;;) {
    c = f.getc();
    if (c === EOF) break;
    if (c === ch('\n')) {
      if (!escape) {
        newline = true;
        comment = false;
      } else escape = false;
      continue;
    }
    if (comment) continue;
    if (escape) break;
    if (c === ch('\\')) {
      escape = true;
      continue;
    }
    if (c === ch('#')) {
      comment = true;
      continue;
    }
    if (!cIsSpace(c)) break;
  }
  while (c !== EOF) {
    if (escape) {
      escape = false;
      if (c === ch('\n')) {
        c = f.getc();
        continue;
      }
      let got = false;
      let value: number;
      switch (String.fromCharCode(c)) {
        case 'a': value = 7; break;
        case 'b': value = 8; break;
        case 'f': value = 12; break;
        case 'n': value = 10; break;
        case 'r': value = 13; break;
        case 's': value = 32; break;
        case 't': value = 9; break;
        default:
          if (cIsOctal(c)) {
            value = 0;
            for (let n = 0; n < 3 && cIsOctal(c); ++n) {
              value = (value << 3) + (c & 7);
              c = f.getc();
            }
            got = true;
            break;
          }
          if (c === ch('x')) {
            value = 0;
            c = f.getc();
            for (let n = 0; n < 2 && cIsXdigit(c); ++n) {
              let digit = String.fromCharCode(c).toUpperCase().charCodeAt(0) - ch('0');
              if (digit > 10) digit += ch('0') + 10 - ch('A');
              value = (value << 4) + digit;
              c = f.getc();
            }
            got = true;
            break;
          }
          value = c;
      }
      if (word.length < MAXWORDLEN) word.push(value & 0xff);
      if (!got) c = f.getc();
      continue;
    }
    if (c === ch('\\')) {
      escape = true;
      c = f.getc();
      continue;
    }
    if (quoted) {
      if (c === quoted) {
        quoted = 0;
        c = f.getc();
        continue;
      }
    } else if (c === ch('"') || c === ch("'")) {
      quoted = c;
      c = f.getc();
      continue;
    } else if (cIsSpace(c) || c === ch('#')) {
      f.ungetc();
      break;
    }
    if (word.length < MAXWORDLEN) word.push(c);
    c = f.getc();
  }
  if (c === EOF && word.length === 0) return quoted ? { word: '', newline, quotedAtEof: true } : undefined;
  const nul = word.indexOf(0);
  const text = String.fromCharCode(...(nul >= 0 ? word.slice(0, nul) : word));
  return { word: text, newline, quotedAtEof: c === EOF && quoted !== 0 };
}

function reference(s: string): { words: { text: string; startsLine: boolean }[]; quotedAtEof: boolean } {
  const f = new Stream(s);
  const words: { text: string; startsLine: boolean }[] = [];
  let first = true;
  for (;;) {
    const w = getword(f);
    if (!w) return { words, quotedAtEof: false };
    if (w.quotedAtEof) return { words, quotedAtEof: true };
    words.push({ text: w.word, startsLine: first || w.newline });
    first = false;
  }
}

const ALPHABET = ['a', 'b', 'x', 's', 'n', 't', '0', '1', '7', '8', 'F', '"', "'", '\\', '#', ' ', '\t', '\n', '\r', '*', '-', '@', '/'];
const text = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 60 }).map((a) => a.join(''));

test('words: readWords = getword (transcribed) on random text of quotes, escapes, comments and newlines', () => {
  fc.assert(fc.property(text, (s) => {
    const ref = reference(s);
    let got: { text: string; startsLine: boolean }[];
    try {
      got = readWords(s, 'f').map((w) => ({ text: w.text, startsLine: w.startsLine }));
    } catch (err) {
      // The one deliberate difference: a quote that runs to the end of the file is an error, not a warning.
      assert.ok(err instanceof ConfigError && /unterminated/.test(err.message), String(err));
      assert.equal(ref.quotedAtEof, true, `readWords refused ${JSON.stringify(s)} but getword reads it without a runaway quote`);
      return;
    }
    assert.equal(ref.quotedAtEof, false, `getword's quote runs to EOF in ${JSON.stringify(s)}`);
    assert.deepEqual(got, ref.words, JSON.stringify(s));
  }), { numRuns: 5000 });
});

test('words: a closing quote does not end the word (pppd getword) → it\'s, a bc', () => {
  assert.deepEqual(readWords(`'it''s' "a b"c x"#y"z`, 'f').map((w) => w.text), ['its', 'a bc', 'x#yz']);
});

test('words: escapes → \\s space, \\101 octal, \\x42 hex, \\x without digits ends the word (NUL), backslash-newline joins', () => {
  assert.deepEqual(readWords('\\s\\101\\x42 ab\\xcd ab\\x\\n ab\\\ncd \\#x', 'f').map((w) => w.text), [' AB', 'ab\xcd', 'ab', 'abcd', '#x']);
});

test('words: a quoted newline is part of the word and does not start an entry', () => {
  const w = readWords('a "b\nc" d\ne', 'f');
  assert.deepEqual(w.map((x) => [x.text, x.line, x.startsLine]), [['a', 1, true], ['b\nc', 1, false], ['d', 2, false], ['e', 3, true]]);
});

test('words: a word pppd would truncate (over 1023 characters) → ConfigError naming the limit', () => {
  assert.throws(() => readWords(`user * ${'p'.repeat(1024)}\n`, 'f'), (e: unknown) => e instanceof ConfigError && /1023/.test(e.message) && e.line === 1);
  assert.equal(readWords('p'.repeat(1023), 'f')[0]!.text.length, 1023);
});
