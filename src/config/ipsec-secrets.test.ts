import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipsecSecretFor, parseIpsecSecrets, pskSourceFromText } from './ipsec-secrets.js';
import { ConfigError } from '../core/errors.js';
import { ConfigSchema } from './schema.js';

const text = (b: Uint8Array | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

test("ipsec.secrets as hwdsl2's vpnsetup writes it: %any %any : PSK \"...\" for every client", () => {
  const s = parseIpsecSecrets('# comment\n%any  %any  : PSK "sEcReT with space"\n', 'ipsec.secrets');
  assert.equal(s.entries.length, 1);
  assert.equal(text(ipsecSecretFor(s.entries, '198.51.100.7')), 'sEcReT with space');
});

test('ipsec.secrets: a line naming the client wins over %any; hex, base64, bare and continued lines; RSA skipped', () => {
  const s = parseIpsecSecrets([': RSA server.key', ': PSK "everyone"', '203.0.113.9 : PSK 0x6b6579', '203.0.113.10', '  : PSK 0sYmFzZTY0', '192.0.2.1 203.0.113.11 : PSK bare-token # comment', "include /etc/ipsec.d/*.secrets"].join('\n'), 'f');
  assert.equal(text(ipsecSecretFor(s.entries, '203.0.113.9')), 'key');
  assert.equal(text(ipsecSecretFor(s.entries, '203.0.113.10')), 'base64');
  assert.equal(text(ipsecSecretFor(s.entries, '203.0.113.11')), 'bare-token');
  assert.equal(text(ipsecSecretFor(s.entries, '198.51.100.1')), 'everyone');
  assert.equal(s.skipped.length, 1);
  assert.match(s.skipped[0]!, /f:7: include is not followed/);
});

test('ipsec.secrets: per-address lines only; an address without a line gets no key; one selector applies to anyone only when it is ours', () => {
  const s = parseIpsecSecrets('203.0.113.9 198.51.100.1 : PSK "a"\n', 'f');
  assert.equal(ipsecSecretFor(s.entries, '192.0.2.77'), undefined);
  const one = parseIpsecSecrets('198.51.100.1 : PSK "server"\n', 'f');
  assert.equal(text(ipsecSecretFor(one.entries, '192.0.2.77', (a) => a === '198.51.100.1')), 'server', "our own address: us, to anyone");
  assert.equal(ipsecSecretFor(one.entries, '192.0.2.77'), undefined, "another client's key is never this client's");
  assert.equal(text(ipsecSecretFor(one.entries, '198.51.100.1')), 'server');
});

test('PSK source: a bare key file; broken lines are errors naming file and line', () => {
  assert.equal(text(pskSourceFromText('\n  my key  \n', 'k').lookup('1.2.3.4')), 'my key');
  assert.throws(() => pskSourceFromText('%any : PSK "unterminated\n', 'f'), (e: unknown) => e instanceof ConfigError && /f:1: the PSK's closing " is missing/.test(e.message));
  assert.throws(() => pskSourceFromText('%any : PSK 0xabc\n', 'f'), /odd number of hex digits/);
  assert.throws(() => pskSourceFromText('', 'f'), /the PSK file is empty/);
  assert.throws(() => pskSourceFromText(': RSA my.key\n', 'f'), /no PSK line/);
});

test('config: ipsec section defaults, bounds and errors that say what to write', () => {
  const d = ConfigSchema.parse({});
  assert.equal(d.ipsec.enabled, false);
  assert.equal(d.ipsec.forceEncapsulation, true);
  assert.deepEqual(d.ipsec.dpd, { delayS: 30, timeoutS: 120 });
  const ok = ConfigSchema.parse({ ipsec: { enabled: true, psk: 'x', ike: 'aes256-sha1-modp2048,aes128-sha1-ecp256', esp: 'aes128gcm16,aes256-sha1' } });
  assert.equal(ok.ipsec.ike, 'aes256-sha1-modp2048,aes128-sha1-ecp256');
  const err = (input: unknown): string => {
    const r = ConfigSchema.safeParse(input);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };
  assert.match(err({ ipsec: { enabled: true } }), /ipsec.psk: IPsec needs exactly one pre-shared key source/);
  assert.match(err({ ipsec: { enabled: true, psk: 'a', pskFile: 'b' } }), /exactly one/);
  assert.match(err({ ipsec: { enabled: true, psk: 'a', ike: 'aes256-whirlpool-modp2048' } }), /unknown or unsupported algorithm 'whirlpool'/);
  assert.match(err({ ipsec: { enabled: true, psk: 'a', esp: 'aes128-md5' } }), /ipsec.esp: .*md5 and null are refused/);
  assert.match(err({ ipsec: { required: true } }), /ipsec.required: .*set "enabled": true/);
  assert.match(err({ ipsec: { ikeLifetime: { minS: 9000, maxS: 600 } } }), /minS 9000 is above maxS 600/);
  assert.match(err({ ipsec: { dpd: { delayS: 60, timeoutS: 30 } } }), /must be above dpd.delayS/);
  assert.match(err({ ipsec: { espLifetime: { maxS: 10 } } }), /ipsec.espLifetime.maxS/);
});
