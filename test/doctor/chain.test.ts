/**
 * The first cause in the chain (rules/chain.ts): in a session, the earliest
 * failure that explains the later ones comes first, whatever words the
 * teardown after it carries; in the report, a cause that only ever followed
 * another is listed after it, with a note. A cause that stands on its own in
 * some session keeps its own rank.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';

const S = (prog: string, msg: string, t = '10:00:00'): string => `Mar  3 ${t} vpn ${prog}: ${msg}`;

/** A PPTP call whose peer may not use the address it asks for; the peer then hangs up with MPPE words. */
const ipThenTeardown = (ctl: number, ppp: number, h = 10): string[] => [
  S(`pptpd[${ctl}]`, 'CTRL: Client 198.51.100.7 control connection started', `${h}:00:00`),
  S(`pptpd[${ctl}]`, 'CTRL: Starting call (launching pppd, opening GRE)', `${h}:00:00`),
  S(`pppd[${ppp}]`, 'Connect: ppp0 <--> /dev/pts/1', `${h}:00:00`),
  S(`pppd[${ppp}]`, 'MS-CHAP-v2 peer authentication succeeded for alice', `${h}:00:01`),
  S(`pppd[${ppp}]`, 'Peer alice is not authorized to use remote address 10.0.0.9', `${h}:00:02`),
  S(`pppd[${ppp}]`, 'rcvd [LCP TermReq id=0x2 "MPPE required but not available"]', `${h}:00:03`),
  S(`pppd[${ppp}]`, 'Connection terminated.', `${h}:00:03`),
  S(`pppd[${ppp}]`, 'Exit.', `${h}:00:03`),
  S(`pptpd[${ctl}]`, 'CTRL: Client 198.51.100.7 control connection finished', `${h}:00:03`),
];

test('chain: an IPCP address refusal comes before the teardown that follows it, whatever its words', () => {
  const r = analyzeTexts([{ name: 'a.log', text: `${ipThenTeardown(100, 101).join('\n')}\n` }], { year: 2025 });
  assert.deepEqual(r.sessions[0]?.causes, ['ip-address-conflict', 'mppe-not-negotiated']);
  assert.equal(r.summary.topCause, 'ip-address-conflict');
  const mppe = r.findings.find((f) => f.cause === 'mppe-not-negotiated');
  assert.match(mppe?.detail ?? '', /followed ip-address-conflict/);
});

test('chain: an empty pool explains the address refusal after it', () => {
  const lines = [
    S('xl2tpd[900]', "Connection established to 198.51.100.7, 1701.  Local: 11, Remote: 5 (ref=0/0).  LNS session is 'default'"),
    S('xl2tpd[900]', 'Call established with 198.51.100.7, Local: 21, Remote: 1, Serial: 1 (ref=0/0)'),
    S('xl2tpd[900]', 'check_control: Out of IP addresses on tunnel 11!'),
    S('pppd[901]', 'Connect: ppp0 <--> /dev/pts/1', '10:00:01'),
    S('pppd[901]', 'Could not determine remote IP address: defaulting to 10.64.64.64', '10:00:02'),
  ];
  const r = analyzeTexts([{ name: 'p.log', text: `${lines.join('\n')}\n` }], { year: 2025 });
  assert.deepEqual(r.sessions[0]?.causes, ['ip-pool-exhausted', 'ip-address-conflict']);
  assert.match(r.findings[1]?.detail ?? '', /followed ip-pool-exhausted/);
});

test('chain: a cause that stands on its own in another session keeps its rank', () => {
  const own = [
    S('pppd[301]', 'Connect: ppp0 <--> /dev/pts/2', '12:00:00'),
    S('pppd[301]', 'MPPE required but peer negotiation failed', '12:00:01'),
    S('pppd[301]', 'Exit.', '12:00:01'),
  ];
  const r = analyzeTexts([{ name: 'b.log', text: `${[...ipThenTeardown(100, 101), ...own].join('\n')}\n` }], { year: 2025 });
  assert.equal(r.summary.topCause, 'mppe-not-negotiated');
  assert.equal(r.findings.find((f) => f.cause === 'mppe-not-negotiated')?.detail, null);
});
