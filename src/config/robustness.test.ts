import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../core/errors.js';
import { parseChapSecrets } from './chap-secrets.js';
import { parsePppOptions } from './ppp-options.js';
import { parsePptpdConf } from './pptpd-conf.js';
import { parseTunpppJson } from './schema.js';
import { parseXl2tpdConf } from './xl2tpd-conf.js';

// Config text built from the characters and words these formats are made of, so
// the generator reaches deep into each parser rather than failing at byte one.
const pieces = ['\n', ' ', '\t', '#', ';', '"', "'", '\\', '=', '[', ']', ',', '-', '/', '*', '@/', '.', ':', '{', '}',
  '10.0.0.1', '192.168.0.234-238', 'localip', 'remoteip', 'option', 'mtu', '1400', 'ms-dns', 'require-mppe-128',
  'mppe', 'required,no40', 'ipv6', '[lns default]', 'ip range', 'local ip', 'yes', 'no', 'alice', 'pptpd', '"listen"', '"ppp"', '0x10'];
const configText = fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((a) => a.join(''));
const anyText = fc.oneof(configText, fc.string({ maxLength: 200 }));

const parsers: [string, (t: string) => unknown][] = [
  ['chap-secrets', (t) => parseChapSecrets(t, 'chap-secrets')],
  ['pptpd.conf', (t) => parsePptpdConf(t, 'pptpd.conf')],
  ['pppd options', (t) => parsePppOptions(t, 'options')],
  ['xl2tpd.conf', (t) => parseXl2tpdConf(t, 'xl2tpd.conf')],
  ['tunppp.json', (t) => parseTunpppJson(t, 'tunppp.json')],
];

for (const [name, parse] of parsers) {
  test(`${name}: any text → a value or a ConfigError with the file name and a hint, nothing else`, () => {
    fc.assert(fc.property(anyText, (t) => {
      try {
        parse(t);
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${name} threw ${String(e)}`);
        assert.ok(e.file !== undefined && e.message.startsWith(e.file));
        assert.ok(e.hint && e.hint.length > 0, `${name}: no hint for ${e.message}`);
        if (e.line !== undefined) assert.ok(e.line >= 1 && e.line <= t.split('\n').length, `${name}: line ${e.line} outside the text`);
      }
    }), { numRuns: 400 });
  });
}
