import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressBook } from './addresses.js';
import { ConfigSchema } from '../config/schema.js';
import { parseChapSecrets } from '../config/chap-secrets.js';

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

test('a fixed chap-secrets address: reserved in the pool that holds it whatever the protocol, never handed out twice; outside a named Framed-Pool → none', () => {
  const secrets = parseChapSecrets('dave * x 10.97.0.10\n', 'chap-secrets').entries;
  const b = new AddressBook(
    ConfigSchema.parse({
      pools: [
        { name: 'staff', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.11'] },
        { name: 'guests', local: '10.97.0.1', ranges: ['10.97.0.10'], protocols: ['l2tp'] },
      ],
    }),
    secrets,
    'tunppp',
  );
  assert.equal(b.allocate('pptp', 'dave', 'staff'), undefined, "Framed-Pool staff: dave's fixed address is in guests");
  assert.equal(b.allocate('pptp', 'dave'), '10.97.0.10', 'over PPTP, from the L2TP-only pool that holds it');
  assert.equal(b.allocate('l2tp', 'erin', 'guests'), undefined, 'guests has no other address: not given twice');
});
