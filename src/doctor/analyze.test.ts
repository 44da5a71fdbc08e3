/**
 * The fast path (lines of other programs counted without cutting strings)
 * gives exactly the report of the full parser, for any mix of formats and
 * programs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyzeTexts } from './analyze.js';

const PROGS = ['kernel', 'sshd[7]', 'CRON[12]', 'pppd[101]', 'pptpd[100]', 'xl2tpd[9]', 'charon', 'systemd[1]', 'ppp', 'sshd', 'kernel:'];
const MSGS = [
  'Using interface ppp0',
  'LCP: timeout sending Config-Requests',
  'CTRL: Client 198.51.100.1 control connection started',
  'CTRL: Starting call (launching pppd, opening GRE)',
  'Accepted publickey for root from 192.0.2.1 port 5000 ssh2',
  'Exit.',
  'Maximum retries exceeded for tunnel 7.  Closing.',
  '',
];
const STAMPS = ['Aug  1 14:05:34 gw ', 'Aug 11 04:05:06 gw ', '2016-08-01T14:05:34+0200 gw ', 'Aug  1 14:05:34 2016 gw ', '<30>Aug  1 14:05:34 gw ', 'Aug  1 14:05:34 ', ''];

test('fast path: any mix of syslog lines → the same report as the full parser', () => {
  const line = fc.tuple(fc.constantFrom(...STAMPS), fc.constantFrom(...PROGS), fc.constantFrom(': ', ' ', ''), fc.constantFrom(...MSGS)).map(([a, b, c, d]) => a + b + c + d);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 40 }), fc.boolean(), (lines, crlf) => {
      const text = lines.join(crlf ? '\r\n' : '\n');
      const fast = analyzeTexts([{ name: 'x', text }], { year: 2016, fastPath: true });
      const slow = analyzeTexts([{ name: 'x', text }], { year: 2016, fastPath: false });
      assert.deepEqual(fast, slow);
    }),
    { numRuns: 400 },
  );
});
