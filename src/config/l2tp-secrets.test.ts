import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findL2tpSecret, parseL2tpSecrets } from './l2tp-secrets.js';

const FILE = `# us        them        secret
; xl2tpd accepts both comment characters
vpn.example  lac-1       s3cret-one
*            LAC-2       two words here   ; trailing comment and blanks
vpn.example  *           default-for-vpn
*            *           "quoted"#cut here
onlytwo      fields
`;

test('l2tp-secrets: xl2tpd file → entries in order, comments cut anywhere, inner blanks and quotes kept', () => {
  const s = parseL2tpSecrets(FILE, '/etc/xl2tpd/l2tp-secrets');
  assert.deepEqual(s.entries.map((e) => [e.us, e.them, e.secret, e.line]), [
    ['vpn.example', 'lac-1', 's3cret-one', 3],
    ['*', 'LAC-2', 'two words here', 4],
    ['vpn.example', '*', 'default-for-vpn', 5],
    ['*', '*', '"quoted"', 6],
  ]);
  assert.equal(s.warnings.length, 1);
  assert.equal(s.warnings[0]!.line, 7);
  assert.match(s.warnings[0]!.message, /no secret/);
});

test('l2tp-secrets: lookup → first match wins, * matches any name, case ignored', () => {
  const { entries } = parseL2tpSecrets(FILE, 'f');
  assert.equal(findL2tpSecret(entries, 'vpn.example', 'lac-1')?.secret, 's3cret-one');
  assert.equal(findL2tpSecret(entries, 'VPN.Example', 'LAC-1')?.secret, 's3cret-one');
  assert.equal(findL2tpSecret(entries, 'other-host', 'lac-2')?.secret, 'two words here');
  assert.equal(findL2tpSecret(entries, 'vpn.example', 'someone')?.secret, 'default-for-vpn');
  assert.equal(findL2tpSecret(entries, 'other-host', 'someone')?.secret, '"quoted"');
  assert.equal(findL2tpSecret(parseL2tpSecrets('vpn lac-1 x\n', 'f').entries, 'vpn', 'lac-2'), undefined);
  assert.equal(findL2tpSecret([], 'a', 'b'), undefined);
});

test('l2tp-secrets: empty file, blank lines, CRLF → no entries; CR is blank as in xl2tpd', () => {
  assert.deepEqual(parseL2tpSecrets('', 'f').entries, []);
  assert.deepEqual(parseL2tpSecrets('\n  \n\t\n', 'f').entries, []);
  assert.deepEqual(parseL2tpSecrets('a b c\r\n', 'f').entries.map((e) => e.secret), ['c']);
});

test('l2tp-secrets: any text → never throws, every entry has three non-empty fields without comment characters', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const s = parseL2tpSecrets(text, 'f');
      for (const e of s.entries) {
        for (const f of [e.us, e.them, e.secret]) {
          assert.ok(f.length > 0);
          assert.ok(!/[#;\n]/.test(f));
        }
      }
    }),
  );
});
