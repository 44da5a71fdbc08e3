import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitKvTail, unquoteValue } from './kv-tail.js';

test('splitKvTail: a logger line → message and fields, quoted values with escapes', () => {
  const line = 'Peer bob failed CHAP authentication (rejected) session=3 user="alice \\"the\\" smith\\\\" empty= code=691 event=auth-failed';
  const t = splitKvTail(line);
  assert.equal(line.slice(0, t.start), 'Peer bob failed CHAP authentication (rejected)');
  assert.deepEqual(t.fields.map((f) => [f.key, f.quoted ? unquoteValue(f.value) : f.value]), [
    ['session', '3'],
    ['user', 'alice "the" smith\\'],
    ['empty', ''],
    ['code', '691'],
    ['event', 'auth-failed'],
  ]);
});

test('splitKvTail: no tail, or text after the last field → start is the line length, no fields', () => {
  for (const line of ['', 'link down', 'a=b', 'x a=b c', 'x a="b" c', 'x a="b c']) {
    assert.deepEqual(splitKvTail(line), { start: line.length, fields: [] }, line);
  }
});

test('splitKvTail: a quoted value that does not reach the end as a string is read as a plain value', () => {
  const t = splitKvTail('m a="x b="y"');
  assert.equal(t.start, 1);
  assert.deepEqual(t.fields, [
    { key: 'a', value: '"x', quoted: false },
    { key: 'b', value: 'y', quoted: true },
  ]);
});

// The regular expression the doctor used before (exponential on ` a="`): the same tail on short strings.
// eslint-disable-next-line regexp/no-super-linear-move -- the old, exponential expression: the oracle, on strings of 16 characters at most
const OLD = /((?: [\w.-]+=(?:"(?:[^"\\]|\\.)*"|\S*))+)$/;

test('splitKvTail: any short line over a hostile alphabet → the tail the old regular expression found', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(' ', 'a', '=', '"', '\\', '.', '\t', '\n', 'é'), { maxLength: 16 }), (chars) => {
      const line = chars.join('');
      const m = OLD.exec(line);
      assert.equal(splitKvTail(line).start, m ? m.index : line.length, JSON.stringify(line));
    }),
    { numRuns: 20000 },
  );
});
