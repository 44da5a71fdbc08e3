import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { headHost, headMessage, headTime, newHead, parseHead } from './line-head.js';

const CASES: { name: string; line: string; format: string; host: string | null; prog: string | null; pid: number; msg: string; iso: string | null }[] = [
  { name: 'RFC 3164', line: 'Aug  1 14:05:34 s1 pppd[21967]: Using interface ppp0', format: 'rfc3164', host: 's1', prog: 'pppd', pid: 21967, msg: 'Using interface ppp0', iso: '2016-08-01T14:05:34' },
  { name: 'RFC 3164 with PRI', line: '<30>Aug 11 04:05:06 gw pptpd[7]: CTRL: Starting call', format: 'rfc3164', host: 'gw', prog: 'pptpd', pid: 7, msg: 'CTRL: Starting call', iso: '2016-08-11T04:05:06' },
  { name: 'journalctl short-precise', line: 'Aug 01 14:05:34.250311 vpn xl2tpd[900]: Listening on IP address 0.0.0.0, port 1701', format: 'rfc3164', host: 'vpn', prog: 'xl2tpd', pid: 900, msg: 'Listening on IP address 0.0.0.0, port 1701', iso: '2016-08-01T14:05:34' },
  { name: 'journalctl short-iso', line: '2016-08-01T14:05:34+0200 vpn pppd[5]: Exit.', format: 'iso', host: 'vpn', prog: 'pppd', pid: 5, msg: 'Exit.', iso: '2016-08-01T14:05:34' },
  { name: 'rsyslog high precision', line: '2024-03-02T10:00:01.123456+01:00 vpn charon: 09[IKE] giving up after 5 retransmits', format: 'iso', host: 'vpn', prog: 'charon', pid: -1, msg: '09[IKE] giving up after 5 retransmits', iso: '2024-03-02T10:00:01' },
  { name: 'journalctl short-full', line: 'Mon 2016-08-01 14:05:34 CEST vpn pppd[5]: Modem hangup', format: 'iso', host: 'vpn', prog: 'pppd', pid: 5, msg: 'Modem hangup', iso: '2016-08-01T14:05:34' },
  { name: 'RFC 5424', line: '<30>1 2016-08-01T14:05:34.003Z vpn pppd 4789 - - LCP: timeout sending Config-Requests', format: 'rfc5424', host: 'vpn', prog: 'pppd', pid: 4789, msg: 'LCP: timeout sending Config-Requests', iso: '2016-08-01T14:05:34' },
  { name: 'RFC 5424 with structured data', line: '<30>1 2016-08-01T14:05:34Z vpn pluto 12 ID47 [x@1 a="b\\]c"] "l2tp"[1] 1.2.3.4 #1: no suitable connection', format: 'rfc5424', host: 'vpn', prog: 'pluto', pid: 12, msg: '"l2tp"[1] 1.2.3.4 #1: no suitable connection', iso: '2016-08-01T14:05:34' },
  { name: 'macOS ppp.log', line: 'Mon Aug  1 14:05:34 2016 : L2TP connecting to server \'vpn.example.com\' (203.0.113.5)...', format: 'macos-ppp', host: null, prog: null, pid: -1, msg: "L2TP connecting to server 'vpn.example.com' (203.0.113.5)...", iso: '2016-08-01T14:05:34' },
  { name: 'OpenWrt logread', line: 'Sat Mar 29 13:08:32 2025 daemon.info pptpd[18434]: CTRL: Client 1.2.3.4 control connection started', format: 'ctime', host: null, prog: 'pptpd', pid: 18434, msg: 'CTRL: Client 1.2.3.4 control connection started', iso: '2025-03-29T13:08:32' },
  { name: 'router table export', line: '186\tAug 1 22:45:15\tPPP\tERROR\tUser request', format: 'tabbed', host: null, prog: 'PPP', pid: -1, msg: 'User request', iso: '2016-08-01T22:45:15' },
  { name: 'bare with pid', line: 'pppd[4789]: Exit.', format: 'bare', host: null, prog: 'pppd', pid: 4789, msg: 'Exit.', iso: null },
  { name: 'bare with path', line: '/usr/sbin/pppd: Sorry - this system lacks PPP kernel support', format: 'bare', host: null, prog: 'pppd', pid: -1, msg: 'Sorry - this system lacks PPP kernel support', iso: null },
  { name: 'bare with level prefix', line: 'ERROR:  pppd: The kernel does not support PPP', format: 'bare', host: null, prog: 'pppd', pid: -1, msg: 'The kernel does not support PPP', iso: null },
  { name: 'bare message that looks like a program', line: 'LCP: timeout sending Config-Requests', format: 'bare', host: null, prog: null, pid: -1, msg: 'LCP: timeout sending Config-Requests', iso: null },
  { name: 'BusyBox syslogd', line: 'Mar  3 10:00:01 OpenWrt daemon.info pppd[19]: MPPE required but peer negotiation failed', format: 'rfc3164', host: 'OpenWrt', prog: 'pppd', pid: 19, msg: 'MPPE required but peer negotiation failed', iso: '2016-03-03T10:00:01' },
  { name: 'journalctl --no-hostname', line: 'Mar 03 10:00:01 xl2tpd[900]: Listening on IP address 0.0.0.0, port 1701', format: 'rfc3164', host: null, prog: 'xl2tpd', pid: 900, msg: 'Listening on IP address 0.0.0.0, port 1701', iso: '2016-03-03T10:00:01' },
  { name: 'docker compose v1', line: 'pptpd_1  | Mar  3 10:00:01 vpn pptpd[7]: CTRL: Starting call', format: 'rfc3164', host: 'vpn', prog: 'pptpd', pid: 7, msg: 'CTRL: Starting call', iso: '2016-03-03T10:00:01' },
  { name: 'docker logs -t of a syslog line', line: '2016-03-03T10:00:02.123456789Z Mar  3 10:00:01 vpn pppd[8]: Exit.', format: 'rfc3164', host: 'vpn', prog: 'pppd', pid: 8, msg: 'Exit.', iso: '2016-03-03T10:00:01' },
  { name: 'compose --timestamps of a foreground daemon', line: 'vpn-l2tp-1  | 2016-03-03T10:00:02.123456789Z xl2tpd[1]: Connection established', format: 'iso', host: null, prog: 'xl2tpd', pid: 1, msg: 'Connection established', iso: '2016-03-03T10:00:02' },
  { name: 'kubectl --timestamps of a bare pppd message', line: '2016-03-03T10:00:02.5Z Connect: ppp0 <--> /dev/pts/0', format: 'bare', host: null, prog: null, pid: -1, msg: 'Connect: ppp0 <--> /dev/pts/0', iso: '2016-03-03T10:00:02' },
  { name: 'macOS Console copy', line: '3/2/17 10:08:54.513 PM pppd[412]: L2TP connection established.', format: 'console', host: null, prog: 'pppd', pid: 412, msg: 'L2TP connection established.', iso: '2017-03-02T22:08:54' },
  { name: 'macOS log show', line: '2024-03-02 10:08:54.513456-0800 0x2c3d     Default     0x0                  412    0    racoon: [com.apple.ipsec:x] IKE phase 1 failed', format: 'macos-log', host: null, prog: 'racoon', pid: 412, msg: 'IKE phase 1 failed', iso: '2024-03-02T10:08:54' },
  { name: 'bare pptpd message', line: 'CTRL: Client 1.2.3.4 control connection finished', format: 'bare', host: null, prog: null, pid: -1, msg: 'CTRL: Client 1.2.3.4 control connection finished', iso: null },
];

for (const c of CASES) {
  test(`line head: ${c.name} → format, host, program[pid], message, time`, () => {
    const h = newHead();
    parseHead(c.line, h);
    assert.equal(h.format, c.format);
    assert.equal(headHost(c.line, h), c.host);
    assert.equal(h.progStart >= 0 ? c.line.slice(h.progStart, h.progEnd) : null, c.prog);
    assert.equal(h.pid, c.pid);
    assert.equal(headMessage(c.line, h), c.msg);
    const ms = headTime(c.line, h, { year: 2016, lastMonth: -1 });
    assert.equal(Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 19) : null, c.iso);
  });
}

test('line head: JSON line (pino) → message, program, pid, host, time', () => {
  const h = newHead();
  const line = '{"level":40,"time":1795000000000,"pid":42,"hostname":"vpn1","name":"tunppp","event":"auth-failed","msg":"MS-CHAP authentication failed: E=691"}';
  parseHead(line, h);
  assert.equal(h.format, 'json');
  assert.equal(h.json?.program, 'tunppp');
  assert.equal(h.pid, 42);
  assert.equal(headHost(line, h), 'vpn1');
  assert.equal(headMessage(line, h), 'MS-CHAP authentication failed: E=691');
  assert.equal(headTime(line, h, { year: 2016, lastMonth: -1 }), 1795000000000);
});

test('line head: RFC 3164 across New Year → year advances', () => {
  const h = newHead();
  const ctx = { year: 2020, lastMonth: -1 };
  const a = 'Dec 31 23:59:59 h pppd[1]: Exit.';
  const b = 'Jan  1 00:00:01 h pppd[1]: Exit.';
  parseHead(a, h);
  assert.equal(new Date(headTime(a, h, ctx)).getUTCFullYear(), 2020);
  parseHead(b, h);
  assert.equal(new Date(headTime(b, h, ctx)).getUTCFullYear(), 2021);
});

test('line head: any string → never throws, message offset within the line', () => {
  const h = newHead();
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('', 'Aug  1 14:05:34 ', '<13>1 ', '2016-08-01T14:05:34Z ', 'Mon Aug  1 14:05:34 2016 ', '12\t', '{'), (s, prefix) => {
      const line = prefix + s;
      parseHead(line, h);
      assert.ok(h.msgStart >= 0 && h.msgStart <= line.length);
      headMessage(line, h);
      headTime(line, h, { year: 2000, lastMonth: -1 });
    }),
    { numRuns: 2000 },
  );
});
