import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../core/errors.js';
import { addressAllowed, fixedAddress, formatSecretLine, lookupSecret, parseChapSecrets } from './chap-secrets.js';
import { parseIpv4 } from './ipv4.js';
import { readWords } from './words.js';

// The Debian /etc/ppp/chap-secrets layout, with the kinds of entries people write.
const SECRETS = `# Secrets for authentication using CHAP
# client\tserver\tsecret\t\t\tIP addresses
alice\tpptpd\t"correct horse"\t\t*
bob     *       s3cr3t          192.168.0.240
"carol smith" pptpd 'it''s' 192.168.0.0/28 !192.168.0.1
dave\tpptpd\t@/etc/ppp/dave.secret\t-
erin pptpd "tab\\there\\x41\\101" *
frank pptpd "with # hash" 10.1.2.3-9
# a comment line
gina pptpd pw \\
  192.168.0.250
`;

test('chap-secrets: Debian-style file → entries with quoting, escapes, wildcards and addresses', () => {
  const s = parseChapSecrets(SECRETS, '/etc/ppp/chap-secrets');
  assert.deepEqual(s.entries.map((e) => e.client), ['alice', 'bob', 'carol smith', 'dave', 'erin', 'frank', 'gina']);
  const [alice, bob, carol, dave, erin, frank, gina] = s.entries;
  assert.equal(alice!.secret, 'correct horse');
  assert.equal(alice!.line, 3);
  assert.deepEqual(alice!.addresses, [{ kind: 'any' }]);
  assert.equal(bob!.server, '*');
  assert.equal(fixedAddress(bob!.addresses), '192.168.0.240');
  // pppd's getword goes on after a closing quote: 'it''s' is the secret "its".
  assert.equal(carol!.secret, 'its');
  assert.equal(carol!.addresses.length, 2);
  assert.equal(dave!.secretFile, '/etc/ppp/dave.secret');
  assert.equal(dave!.secret, '');
  assert.deepEqual(dave!.addresses, [{ kind: 'none' }]);
  assert.equal(erin!.secret, 'tab\there\x41\x41');
  assert.equal(frank!.secret, 'with # hash');
  assert.equal(addressAllowed(frank!.addresses, parseIpv4('10.1.2.5')!), true);
  assert.equal(addressAllowed(frank!.addresses, parseIpv4('10.1.2.10')!), false);
  // Backslash-newline continues the entry onto the next line.
  assert.equal(fixedAddress(gina!.addresses), '192.168.0.250');
});

test('chap-secrets: subnet with a forbidden address → first matching rule decides', () => {
  const s = parseChapSecrets(`u s p 192.168.0.0/28 !192.168.0.1\nv s p !192.168.0.1 192.168.0.0/28\n`, 'f');
  const [u, v] = s.entries;
  assert.equal(addressAllowed(u!.addresses, parseIpv4('192.168.0.1')!), true); // subnet matched first
  assert.equal(addressAllowed(v!.addresses, parseIpv4('192.168.0.1')!), false);
  assert.equal(addressAllowed(v!.addresses, parseIpv4('192.168.0.2')!), true);
  assert.equal(addressAllowed(v!.addresses, parseIpv4('10.0.0.1')!), false);
  assert.equal(addressAllowed([], 1), undefined);
});

test('chap-secrets: lookup → named client beats named server beats wildcards; first of equals', () => {
  const s = parseChapSecrets(`* * any *\n* pptpd srv *\nalice * cli *\nalice * cli2 *\n`, 'f');
  assert.equal(lookupSecret(s.entries, 'alice', 'pptpd')!.secret, 'cli');
  assert.equal(lookupSecret(s.entries, 'bob', 'pptpd')!.secret, 'srv');
  assert.equal(lookupSecret(s.entries, 'bob', 'other')!.secret, 'any');
  assert.match(s.warnings.map((w) => w.message).join('\n'), /already defined on line 3/);
  assert.match(s.warnings.map((w) => w.message).join('\n'), /wildcard client and server/);
});

test('chap-secrets: an entry without a secret → ConfigError at its line with the fix', () => {
  assert.throws(() => parseChapSecrets(`alice pptpd pw *\nbob pptpd\n`, '/etc/ppp/chap-secrets'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, '/etc/ppp/chap-secrets');
    assert.equal(e.line, 2);
    assert.match(e.message, /^\/etc\/ppp\/chap-secrets:2: entry for 'bob' has 2 fields/);
    assert.match(e.hint!, /client server secret/);
    return true;
  });
});

test('chap-secrets: unterminated quote → ConfigError at the line it opens', () => {
  assert.throws(() => parseChapSecrets(`alice pptpd pw *\nbob pptpd "open *\ncarol pptpd x *\n`, 'cs'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.line, 2);
    assert.match(e.message, /unterminated double quote/);
    assert.match(e.hint!, /close the quote on line 2/);
    return true;
  });
});

test('chap-secrets: bad addresses → ConfigError naming the address and the forms', () => {
  for (const [addr, re] of [['10.0.0.300', /bad address '10\.0\.0\.300'/], ['10.0.0.0/33', /prefix length/], ['10.0.0.9-3', /start is greater/], ['10.0.0.*', /bad address/]] as const) {
    assert.throws(() => parseChapSecrets(`# x\nalice pptpd pw ${addr}\n`, 'cs'), (e: unknown) => {
      assert.ok(e instanceof ConfigError, addr);
      assert.equal(e.line, 2, addr);
      assert.match(e.message, re, addr);
      assert.ok(e.hint && e.hint.length > 10, addr);
      return true;
    });
  }
});

test('chap-secrets: * as a secret is literal; "*" as client is a wildcard as in pppd (ISWILD compares the word read)', () => {
  const s = parseChapSecrets(`"*" pptpd "*" *\n`, 'f');
  assert.equal(s.entries[0]!.secret, '*');
  assert.equal(lookupSecret(s.entries, 'anyone', 'pptpd')?.secret, '*');
  assert.equal(s.warnings.length, 0);
});

test('chap-secrets: per-user pppd options after -- → ConfigError (pppd applies them; tunppp does not)', () => {
  assert.throws(() => parseChapSecrets('erin pptpd pw * -- ms-dns 10.0.0.53\n', 'f'),
    (e: unknown) => e instanceof ConfigError && e.line === 1 && /-- ms-dns 10.0.0.53/.test(e.message) && /remove/.test(e.hint ?? ''));
});

test('chap-secrets: a word goes on after a closing quote (getword) → one secret, not an address rule', () => {
  const s = parseChapSecrets(`alice pptpd 'it''s' *\nbob pptpd "a b"c 10.0.0.5\n`, 'f');
  assert.equal(s.entries[0]!.secret, 'its');
  assert.deepEqual(s.entries[0]!.addresses, [{ kind: 'any' }]);
  assert.equal(s.entries[1]!.secret, 'a bc');
  assert.equal(s.entries[1]!.addresses.length, 1);
});

test('chap-secrets: formatSecretLine → reads back the same user and secret (any characters)', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((u) => !u.startsWith('@') && u !== '*' && !u.includes('\0')), fc.string({ maxLength: 40 }).filter((p) => !p.startsWith('@/') && !p.includes('\0')), (user, pw) => {
    const s = parseChapSecrets(`${formatSecretLine(user, 'tunppp', pw)}\n`, 'f');
    assert.equal(s.entries.length, 1);
    assert.equal(s.entries[0]!.client, user);
    assert.equal(s.entries[0]!.secret, pw);
    assert.deepEqual(s.entries[0]!.addresses, [{ kind: 'any' }]);
  }), { numRuns: 300 });
});

test('words: # inside an unquoted word ends it; \\s is a space; octal and hex escapes', () => {
  const w = readWords('abc#def ghi\n\\s\\101\\x42 "q#"', 'f');
  assert.deepEqual(w.map((x) => x.text), ['abc', ' AB', 'q#']);
  assert.deepEqual(w.map((x) => x.startsLine), [true, true, false]);
});
