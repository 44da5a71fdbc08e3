import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressBook } from './addresses.js';
import { ConfigSchema } from '../config/schema.js';

const book = (): AddressBook =>
  new AddressBook(
    ConfigSchema.parse({
      pools: [
        { name: 'staff', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.11'] },
        { name: 'guests', local: '10.97.0.1', ranges: ['10.97.0.10'], protocols: ['l2tp'] },
      ],
    }),
    [],
    'tunppp',
  );

test('allocate with a pool name (RADIUS Framed-Pool): only from that pool, for the protocols it serves; no such pool → none', () => {
  const b = book();
  assert.equal(b.allocate('l2tp', 'alice', 'guests'), '10.97.0.10');
  assert.equal(b.allocate('l2tp', 'bob', 'guests'), undefined, 'guests is full: not another pool');
  assert.equal(b.allocate('pptp', 'carol', 'guests'), undefined, 'guests serves only L2TP');
  assert.equal(b.allocate('pptp', 'carol', 'nope'), undefined);
  assert.equal(b.allocate('pptp', 'carol'), '10.96.0.10', 'no name: the first pool with room');
  assert.equal(b.hasPool('l2tp', 'guests'), true);
  assert.equal(b.hasPool('pptp', 'guests'), false);
});
