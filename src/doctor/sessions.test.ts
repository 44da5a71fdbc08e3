/**
 * Session rebuild: interleaved calls are linked pptpd → pppd by launch order
 * and by "Reaping child", xl2tpd tunnels by peer and tunnel id, pid-less
 * logs split at pppd's exit, IKE SAs by charon's unique id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTexts } from './analyze.js';

const S = (t: string, prog: string, msg: string): string => `Jun  5 ${t} gw ${prog}: ${msg}`;

test('two interleaved PPTP calls: each pppd joins the pptpd that launched it', () => {
  const text = [
    S('10:00:00', 'pptpd[100]', 'CTRL: Client 198.51.100.1 control connection started'),
    S('10:00:00', 'pptpd[200]', 'CTRL: Client 198.51.100.2 control connection started'),
    S('10:00:00', 'pptpd[100]', 'CTRL: Starting call (launching pppd, opening GRE)'),
    S('10:00:00', 'pptpd[200]', 'CTRL: Starting call (launching pppd, opening GRE)'),
    S('10:00:00', 'pppd[101]', 'Using interface ppp0'),
    S('10:00:00', 'pppd[201]', 'Using interface ppp1'),
    S('10:00:02', 'pppd[201]', 'MS-CHAP authentication failed: E=691 Authentication failure'),
    S('10:00:03', 'pppd[101]', 'local  IP address 10.0.0.1'),
    S('10:00:03', 'pppd[101]', 'remote IP address 10.0.0.10'),
    S('10:00:04', 'pppd[201]', 'Exit.'),
    S('10:00:04', 'pptpd[200]', 'CTRL: Reaping child PPP[201]'),
    S('10:00:04', 'pptpd[200]', 'CTRL: Client 198.51.100.2 control connection finished'),
    S('10:05:00', 'pppd[101]', 'LCP terminated by peer'),
    S('10:05:00', 'pppd[101]', 'Exit.'),
    S('10:05:00', 'pptpd[100]', 'CTRL: Client 198.51.100.1 control connection finished'),
  ].join('\n');
  const r = analyzeTexts([{ name: 'x.log', text }], { year: 2024 });
  assert.equal(r.sessions.length, 2);
  const a = r.sessions.find((s) => s.client === '198.51.100.1')!;
  const b = r.sessions.find((s) => s.client === '198.51.100.2')!;
  assert.equal(a.controlPid, 100);
  assert.equal(a.pppdPid, 101);
  assert.equal(a.interface, 'ppp0');
  assert.equal(a.remoteIp, '10.0.0.10');
  assert.equal(a.outcome, 'ok');
  assert.deepEqual(a.causes, []);
  assert.equal(b.controlPid, 200);
  assert.equal(b.pppdPid, 201);
  assert.equal(b.interface, 'ppp1');
  assert.equal(b.outcome, 'failed');
  assert.deepEqual(b.causes, ['auth-bad-credentials']);
  assert.equal(r.findings[0]!.sessionCount, 1);
});

test('xl2tpd: tunnel by peer, call launches pppd, "Maximum retries" by tunnel id → one L2TP session', () => {
  const text = [
    S('10:00:00', 'xl2tpd[900]', "Connection established to 198.51.100.7, 1701.  Local: 3815, Remote: 12 (ref=0/0).  LNS session is 'default'"),
    S('10:00:00', 'xl2tpd[900]', 'Call established with 198.51.100.7, Local: 2041, Remote: 1, Serial: 1 (ref=0/0)'),
    S('10:00:00', 'pppd[4242]', 'pppd 2.4.9 started by root, uid 0'),
    S('10:00:01', 'pppd[4242]', 'local  IP address 192.168.42.1'),
    S('10:00:01', 'pppd[4242]', 'remote IP address 192.168.42.10'),
    S('10:09:00', 'xl2tpd[900]', 'Maximum retries exceeded for tunnel 3815.  Closing.'),
    S('10:09:00', 'xl2tpd[900]', 'Terminating pppd: sending TERM signal to pid 4242'),
    S('10:09:00', 'pppd[4242]', 'Terminating on signal 15'),
    S('10:09:00', 'pppd[4242]', 'Exit.'),
    S('10:09:00', 'xl2tpd[900]', 'Connection 12 closed to 198.51.100.7, port 1701 (Timeout)'),
  ].join('\n');
  const r = analyzeTexts([{ name: 'l.log', text }], { year: 2024 });
  assert.equal(r.sessions.length, 1);
  const s = r.sessions[0]!;
  assert.equal(s.kind, 'l2tp');
  assert.equal(s.client, '198.51.100.7');
  assert.equal(s.controlPid, 900);
  assert.equal(s.pppdPid, 4242);
  assert.equal(s.remoteIp, '192.168.42.10');
  assert.equal(s.outcome, 'dropped');
  assert.equal(s.ended?.by, 'network');
  assert.deepEqual(s.causes, ['l2tp-tunnel-timeout']);
});

test('pid-less pppd log: a new run after Exit starts a new session', () => {
  const text = ['Using interface ppp0', 'LCP: timeout sending Config-Requests', 'Exit.', 'Using interface ppp0', 'local  IP address 10.1.1.1', 'Exit.'].join('\n');
  const r = analyzeTexts([{ name: 'p.log', text }]);
  assert.equal(r.sessions.length, 2);
  assert.deepEqual(r.sessions[0]!.causes, ['gre-blocked']);
  assert.deepEqual(r.sessions[1]!.causes, []);
});

test('charon: lines of two IKE SAs interleaved → split by <conn|N>', () => {
  const text = [
    S('10:00:00', 'charon[1]', '07[IKE] <l2tp|1> remote host is behind NAT'),
    S('10:00:00', 'charon[1]', "09[IKE] <l2tp|2> IKE_SA l2tp[2] established between 203.0.113.5[203.0.113.5]...198.51.100.9[198.51.100.9]"),
    S('10:00:01', 'charon[1]', '10[IKE] <l2tp|2> CHILD_SA l2tp{2} established with SPIs c1_i c2_o and TS 203.0.113.5/32[udp/l2f] === 198.51.100.9/32[udp]'),
    S('10:00:20', 'charon[1]', '16[IKE] <l2tp|1> giving up after 5 retransmits'),
  ].join('\n');
  const r = analyzeTexts([{ name: 'c.log', text }], { year: 2024 });
  assert.equal(r.sessions.length, 2);
  const bad = r.sessions.find((s) => s.causes.length)!;
  assert.deepEqual(bad.causes, ['ipsec-nat-t']);
  const good = r.sessions.find((s) => !s.causes.length)!;
  assert.equal(good.outcome, 'open');
});

test('L2TP/IPsec: pluto SA for the peer, then the xl2tpd tunnel → one L2TP session with both', () => {
  const text = [
    S('10:00:00', 'pluto[50]', '"l2tp-psk"[1] 198.51.100.7 #1: NAT-Traversal: Result using RFC 3947 (NAT-Traversal): peer is NATed'),
    S('10:00:01', 'pluto[50]', '"l2tp-psk"[1] 198.51.100.7 #2: STATE_QUICK_R2: IPsec SA established transport mode'),
    S('10:00:02', 'xl2tpd[900]', "Connection established to 198.51.100.7, 1701.  Local: 7, Remote: 3 (ref=0/0).  LNS session is 'default'"),
    S('10:00:02', 'xl2tpd[900]', 'Call established with 198.51.100.7, Local: 9, Remote: 1, Serial: 1 (ref=0/0)'),
    S('10:00:02', 'pppd[77]', 'Connect: ppp0 <--> /dev/pts/0'),
    S('10:00:03', 'pppd[77]', 'MS-CHAP authentication failed: E=691 Authentication failure'),
  ].join('\n');
  const r = analyzeTexts([{ name: 'li.log', text }], { year: 2024 });
  assert.equal(r.sessions.length, 1);
  assert.equal(r.sessions[0]!.kind, 'l2tp');
  assert.equal(r.sessions[0]!.firstLine, 'li.log:1');
  assert.deepEqual(r.sessions[0]!.causes, ['auth-bad-credentials']);
});

test('rotated files given in order: a session that spans the rotation stays one session', () => {
  const a = [S('23:59:58', 'pptpd[100]', 'CTRL: Client 198.51.100.1 control connection started'), S('23:59:58', 'pptpd[100]', 'CTRL: Starting call (launching pppd, opening GRE)'), S('23:59:59', 'pppd[101]', 'Using interface ppp0')].join('\n');
  const b = [S('00:00:30', 'pppd[101]', 'LCP: timeout sending Config-Requests'), S('00:00:30', 'pppd[101]', 'Exit.'), S('00:00:30', 'pptpd[100]', 'CTRL: Client 198.51.100.1 control connection finished')].join('\n');
  const r = analyzeTexts([{ name: 'syslog.1', text: a }, { name: 'syslog', text: b }], { year: 2024 });
  assert.equal(r.sessions.length, 1);
  assert.equal(r.sessions[0]!.firstLine, 'syslog.1:1');
  assert.equal(r.sessions[0]!.lastLine, 'syslog:3');
  assert.deepEqual(r.sessions[0]!.causes, ['gre-blocked']);
});

test('pid-less excerpts in two files → never mixed', () => {
  const r = analyzeTexts([{ name: 'a.log', text: 'Using interface ppp0\nLCP: timeout sending Config-Requests\n' }, { name: 'b.log', text: 'Using interface ppp1\nNo response to 5 echo-requests\n' }]);
  assert.equal(r.sessions.length, 2);
});

test('a failed auth attempt followed by a working link, and mutual CHAP on an up link → no findings', () => {
  const text = [
    S('10:00:00', 'pppd[5]', 'sent [LCP ConfReq id=0x1 <auth chap MS-v2> <magic 0x1>]'),
    S('10:00:00', 'pppd[5]', 'rcvd [LCP ConfReq id=0x1 <auth chap MS-v2> <magic 0x2>]'),
    S('10:00:01', 'pppd[5]', 'Peer alice failed CHAP authentication'),
    S('10:00:05', 'pppd[5]', 'CHAP peer authentication succeeded for alice'),
    S('10:00:06', 'pppd[5]', 'local  IP address 10.0.0.1'),
    S('10:00:06', 'pppd[5]', 'remote IP address 10.0.0.2'),
  ].join('\n');
  const r = analyzeTexts([{ name: 'retry.log', text }], { year: 2024 });
  assert.equal(r.findings.length, 0);
});
