import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LineSplitter, utf8Text } from './lines.js';

function split(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const sp = new LineSplitter((t) => out.push(t));
  for (const c of chunks) sp.push(c);
  sp.end();
  return out;
}

test('line splitter: any split of the input → the same lines', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')), { maxLength: 20 }), fc.array(fc.nat(200), { maxLength: 6 }), fc.boolean(), (lines, cuts, crlf) => {
      const text = Buffer.from(lines.map((l) => l + (crlf ? '\r\n' : '\n')).join(''), 'utf8');
      const whole = split([text]);
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let prev = 0;
      for (const p of points) {
        chunks.push(text.subarray(prev, p));
        prev = p;
      }
      chunks.push(text.subarray(prev));
      assert.deepEqual(split(chunks), whole);
      assert.deepEqual(whole.map(utf8Text), lines);
    }),
    { numRuns: 500 },
  );
});

test('line splitter: last line without newline → emitted at end', () => {
  assert.deepEqual(split([Buffer.from('a\nb')]), ['a', 'b']);
});
