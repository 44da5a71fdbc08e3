/**
 * The fast path (lines of other programs counted without cutting strings,
 * VPN lines reusing its head offsets, the message memo) gives exactly the
 * report of the full parser, for any mix of formats and programs.
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
  'Cannot determine ethernet address for proxy ARP',
  'GRE: Bad checksum from pppd.',
  "Unsupported protocol 'IPv6 Control Protocol' (0x8057) received",
  'GRE: read(fd=7,buffer=6097c0,len=8260) from network failed: status = -1 error = Message too long',
  'xl2tpd[9]: Connection 7 closed to 198.51.100.1, port 1701 (Timeout)',
  'pppd[101]: Connect: ppp0 <--> /dev/pts/1',
  'Exit.   ',
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

test('message memo: thousands of distinct messages among repeated ones (slots replaced) → the same report as the full parser', () => {
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) {
    const pid = 1000 + (i >> 4);
    const t = `Aug  1 ${String(10 + ((i >> 10) % 10))}:${String((i >> 4) % 60).padStart(2, '0')}:00 gw`;
    lines.push(`${t} pppd[${pid}]: Using interface ppp${i % 97}`);
    lines.push(`${t} pppd[${pid}]: Sent ${i * 7} bytes, received ${i} bytes.`);
    lines.push(`${t} pppd[${pid}]: ${i % 3 ? 'Exit.' : 'Cannot determine ethernet address for proxy ARP'}`);
    lines.push(`${t} pptpd[${pid + 1}]: CTRL: Client 198.51.${i % 250}.${i % 199} control connection ${i % 2 ? 'finished' : 'started'}`);
    lines.push(`${t} pptpd[${pid + 1}]: ${i % 5 ? 'GRE: Bad checksum from pppd.' : 'Exit.'}`);
  }
  const text = lines.join('\n');
  const fast = analyzeTexts([{ name: 'x', text }], { year: 2016, fastPath: true, maxSessions: 100_000 });
  const slow = analyzeTexts([{ name: 'x', text }], { year: 2016, fastPath: false, maxSessions: 100_000 });
  assert.ok(fast.summary.sessions > 500);
  assert.deepEqual(fast, slow);
});
