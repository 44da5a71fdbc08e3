import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeControls, escapeText } from './escape.js';

test('escapeText: printable text, non-ASCII letters and emoji → unchanged (the same string)', () => {
  for (const s of ['alice', 'DOMAIN/bob smith', 'José Müller', '用户', 'a😀b', "it's = fine"]) assert.equal(escapeText(s), s);
});

test('escapeText: line breaks, controls, quote, backslash, invisible characters → escapes', () => {
  assert.equal(escapeText('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(escapeText('"\\'), '\\"\\\\');
  assert.equal(escapeText('\x00\x1b[2J\x7f\x85'), '\\x00\\x1b[2J\\x7f\\x85');
  assert.equal(escapeText('a\u2028b\u202ec\ufeff'), 'a\\u2028b\\u202ec\\ufeff');
  assert.equal(escapeText('x\ud800y\udc00'), 'x\\ud800y\\udc00');
});

test('escapeText: any string → no line break, no control, no bare quote, one-to-one (distinct inputs stay distinct)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
      const e = escapeText(a);
      assert.doesNotMatch(e, /[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
      assert.doesNotMatch(e.replace(/\\\\/g, ''), /(?<!\\)"/);
      if (a !== b) assert.notEqual(e, escapeText(b));
    }),
    { numRuns: 5000 },
  );
});

test('escapeControls: ESC, CR and invisible characters escaped; quotes and backslashes kept (terminal display of other logs)', () => {
  assert.equal(escapeControls('pppd[1]: user "a\\b"\x1b[2J\r\u202e'), 'pppd[1]: user "a\\b"\\x1b[2J\\r\\u202e');
  assert.equal(escapeControls('plain "text"'), 'plain "text"');
});
