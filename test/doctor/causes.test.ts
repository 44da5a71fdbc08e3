/**
 * Every documented cause id fires on a log written in its daemon's words,
 * and the catalogue is complete: ids unique, each with an explanation and a
 * fix, each listed in docs/doctor.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { CAUSES } from '../../src/doctor/causes.js';

const S = (prog: string, msg: string, t = '10:00:00'): string => `Mar  3 ${t} vpn ${prog}: ${msg}`;

/** cause → a log that shows it. */
const LOGS: Record<string, string[]> = {
  'gre-path-mtu': [
    S('pptpd[100]', 'CTRL: Client 198.51.100.7 control connection started'),
    S('pptpd[100]', 'CTRL: Starting call (launching pppd, opening GRE)'),
    S('pppd[101]', 'Using interface ppp0'),
    S('pppd[101]', 'local  IP address 10.0.0.1'),
    S('pptpd[100]', 'GRE: xmit failed from decaps_hdlc: Message too long', '10:00:09'),
    S('pptpd[100]', 'CTRL: PTY read or GRE write failed (pty,gre)=(6,7)', '10:00:09'),
  ],
  'kernel-ppp-missing': ["pppd[7]: Couldn't open the /dev/ppp device: No such device", 'pppd[7]: This system lacks kernel support for PPP.'],
  'dev-ppp-permission': [S('pppd[7]', "Couldn't open the /dev/ppp device: Operation not permitted"), S('pppd[7]', 'Sorry - this system lacks PPP kernel support')],
  'mppe-no-kernel-support': [S('pppd[7]', 'CHAP authentication succeeded'), S('pppd[7]', 'MPPE required, but kernel has no support.')],
  'mppe-not-negotiated': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'MPPE required but peer negotiation failed')],
  'gre-blocked': [
    S('pptpd[300]', 'CTRL: Client 198.51.100.7 control connection started'),
    S('pptpd[300]', 'CTRL: Starting call (launching pppd, opening GRE)'),
    S('pppd[301]', 'Connect: ppp0 <--> /dev/pts/1'),
    S('pppd[301]', 'LCP: timeout sending Config-Requests', '10:00:30'),
    S('pppd[301]', 'Exit.', '10:00:30'),
  ],
  'l2tp-ppp-no-answer': [
    S('xl2tpd[900]', "Connection established to 198.51.100.7, 1701.  Local: 11, Remote: 5 (ref=0/0).  LNS session is 'default'"),
    S('xl2tpd[900]', 'Call established with 198.51.100.7, Local: 21, Remote: 1, Serial: 1 (ref=0/0)'),
    S('pppd[901]', 'Connect: ppp0 <--> /dev/pts/1'),
    S('pppd[901]', 'LCP: timeout sending Config-Requests', '10:00:30'),
  ],
  'auth-bad-credentials': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'MS-CHAP authentication failed: E=691 Authentication failure')],
  'auth-unknown-user': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'No CHAP secret found for authenticating mallory'), S('pppd[7]', 'Peer mallory failed CHAP authentication')],
  'auth-client-requires-server-auth': [S('pppd[7]', 'The remote system is required to authenticate itself'), S('pppd[7]', 'but I couldn\'t find any suitable secret (password) for it to use to do so.')],
  'auth-protocol-mismatch': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'peer refused to authenticate: terminating link')],
  'lcp-echo-timeout': [S('pppd[7]', 'local  IP address 10.0.0.1'), S('pppd[7]', 'No response to 4 echo-requests', '11:00:00'), S('pppd[7]', 'Serial link appears to be disconnected.', '11:00:00')],
  'ipsec-dpd-timeout': [S('pluto[2]', '"l2tp-psk"[4] 198.51.100.7 #9: DPD: No response from peer - declaring peer dead')],
  'pptp-keepalive-timeout': [S('pptpd[5]', 'CTRL: Client 198.51.100.7 control connection started'), S('pptpd[5]', 'CTRL: Session timed out, ending call')],
  'ip-pool-exhausted': [S('xl2tpd[900]', 'check_control: Out of IP addresses on tunnel 3!')],
  // tunppp's own lines: the client's and the server's, with FreeRADIUS's Reply-Message (test/radius/shared-pool.test.ts).
  'auth-already-logged-in': [
    '2026-12-08T04:30:42+0000 vm tunppp[9932]: warn: MS-CHAP-v2 authentication failed: E=691 (rejected): You are already logged in - access denied proto=l2tp link=1 peer=10.211.2.1 code=691 final=false event=auth-failed',
  ],
  'ip-address-conflict': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'Peer alice is not authorized to use remote address 10.0.0.9')],
  'ipcp-not-negotiated': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'CHAP authentication succeeded'), S('pppd[7]', 'IPCP: timeout sending Config-Requests')],
  'l2tp-ipsec-secret-missing': ["Mon Mar  3 10:00:00 2025 : L2TP connecting to server 'vpn.example.com' (203.0.113.5)...", 'Mon Mar  3 10:00:00 2025 : L2TP: no user shared secret found.'],
  'l2tp-tunnel-timeout': [S('xl2tpd[900]', 'Maximum retries exceeded for tunnel 30555.  Closing.'), S('xl2tpd[900]', 'Connection 30555 closed to 198.51.100.7, port 1701 (Timeout)')],
  'l2tp-tunnel-auth-failed': [S('xl2tpd[900]', 'handle_challenge: Tunnel authentication failed for 198.51.100.7')],
  'l2tp-avp-rejected': [S('xl2tpd[900]', 'result_code_avp: avp is incorrect size.  8 < 10'), S('xl2tpd[900]', 'handle_avps: Bad exit status handling attribute 1 (Result Code) on mandatory packet.')],
  'l2tp-peer-denied': [S('xl2tpd[900]', 'Denied connection to unauthorized peer 198.51.100.7')],
  'ipsec-psk-missing': [S('charon[1]', "09[IKE] <l2tp-psk|4> no shared key found for '203.0.113.5' - '192.168.1.20'")],
  'ipsec-psk-mismatch': [S('pluto[2]', '"l2tp-psk"[3] 198.51.100.7 #5: probable authentication failure (mismatch of preshared secrets?): malformed payload in packet')],
  'ipsec-cert-rejected': [S('charon[1]', "09[CFG] <ikev2|7> no trusted RSA public key found for 'vpn.example.com'")],
  'ipsec-proposal-mismatch': [S('charon[1]', '12[IKE] <l2tp-psk|5> received NO_PROPOSAL_CHOSEN notify error')],
  'ipsec-no-matching-connection': [S('pluto[2]', '"l2tp-psk"[3] 198.51.100.7 #6: sending notification INVALID_ID_INFORMATION to 198.51.100.7:4500')],
  'ipsec-nat-t': [S('charon[1]', '07[IKE] <l2tp-psk|6> remote host is behind NAT'), S('charon[1]', '16[IKE] <l2tp-psk|6> giving up after 5 retransmits', '10:01:00')],
  'ipsec-unreachable': [S('racoon[3]', 'ERROR: phase1 negotiation failed due to time up. 4f3e2d1c0b0a0908:0000000000000000')],
  'pptp-control-unreachable': [S('pptp[44]', 'anon warn[open_inetsock:pptp_callmgr.c:329]: connect: Connection refused'), S('pptp[44]', 'anon fatal[callmgr_main:pptp_callmgr.c:127]: Could not open control connection to 203.0.113.5')],
  'pppd-options-error': [S('pptpd[5]', 'CTRL: Client 198.51.100.7 control connection started'), S('pptpd[5]', 'CTRL: Starting call (launching pppd, opening GRE)'), S('pppd[6]', "In file /etc/ppp/pptpd-options: unrecognized option 'mppe-128'")],
  'ipsec-kernel-support': [S('charon[1]', '14[IKE] <l2tp|3> CHILD_SA l2tp{3} established with SPIs ...'), S('charon[1]', '14[IKE] <l2tp|3> unable to install inbound and outbound IPsec SA (SAD) in kernel')],
  'lcp-terminated-by-peer': [S('pppd[7]', 'Connect: ppp0 <--> /dev/pts/1'), S('pppd[7]', 'LCP terminated by peer (Idle timeout)')],
  'l2tp-tunnel-secret-missing': [S('xl2tpd[900]', "handle_challenge: no secret found for us='lns' and them='lac1'"), S('xl2tpd[900]', "control_finish: No secret for 'lac1'"), S('xl2tpd[900]', 'Connection 41 closed to 198.51.100.7, port 1701 (No secret on our side)')],
  'pptp-client-vanished': [
    S('pptpd[100]', 'CTRL: Client 198.51.100.7 control connection started'),
    S('pptpd[100]', 'CTRL: Starting call (launching pppd, opening GRE)'),
    S('pppd[101]', 'Connect: ppp0 <--> /dev/pts/1'),
    S('pppd[101]', 'remote IP address 10.0.0.2'),
    S('pptpd[100]', 'CTRL: EOF or bad error reading ctrl packet length.', '11:00:00'),
    S('pptpd[100]', "CTRL: couldn't read packet header (exit)", '11:00:00'),
  ],
  'auth-server-no-secrets': [
    S('pptpd[100]', 'CTRL: Client 198.51.100.7 control connection started'),
    S('pptpd[100]', 'CTRL: Starting call (launching pppd, opening GRE)'),
    S('pppd[101]', 'The remote system is required to authenticate itself'),
    S('pppd[101]', "but I couldn't find any suitable secret (password) for it to use to do so."),
  ],
};

test('cause catalogue: ids unique, every cause explained with a fix', () => {
  const ids = CAUSES.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const c of CAUSES) {
    assert.ok(c.explanation.length > 80, c.id);
    assert.ok(c.fix.length > 0 && c.fix.every((f) => f.lines.length > 0 && f.target), c.id);
  }
});

test('cause catalogue: every cause id is documented in docs/doctor.md', () => {
  const doc = readFileSync(new URL('../../docs/doctor.md', import.meta.url), 'utf8');
  for (const c of CAUSES) assert.ok(doc.includes(`\`${c.id}\``), `docs/doctor.md does not list ${c.id}`);
});

test('cause catalogue: every cause has a log case below', () => {
  for (const c of CAUSES) assert.ok(LOGS[c.id], `no log case for ${c.id}`);
});

for (const [id, lines] of Object.entries(LOGS)) {
  test(`cause ${id}: its daemon's log lines → ${id} first`, () => {
    const r = analyzeTexts([{ name: `${id}.log`, text: `${lines.join('\n')}\n` }], { year: 2025 });
    assert.equal(r.findings[0]?.cause, id, `got ${r.findings.map((f) => f.cause).join(', ') || 'nothing'}`);
    assert.ok(r.findings[0]!.evidence.length > 0);
  });
}

const RAS: [number, string][] = [
  [619, 'gre-blocked'],
  [691, 'auth-bad-credentials'],
  [741, 'mppe-not-negotiated'],
  [809, 'ipsec-nat-t'],
  [789, 'ipsec-psk-mismatch'],
  [720, 'ipcp-not-negotiated'],
  [13801, 'ipsec-cert-rejected'],
];
for (const [code, id] of RAS) {
  test(`Windows client: RasClient error ${code} → ${id}`, () => {
    const line = `CoId={5DDC2AB0-3C4A}: The user VPN\\bob dialed a connection named Office which has failed. The error code returned on failure is ${code}.`;
    const r = analyzeTexts([{ name: 'ras.log', text: `${line}\n` }]);
    assert.equal(r.findings[0]?.cause, id);
  });
}

test('xl2tpd: pppd exit status → its cause when pppd\'s own lines are elsewhere (pppd.h EXIT_*)', () => {
  const call = [S('xl2tpd[900]', "Connection established to 198.51.100.9, 1701.  Local: 7316, Remote: 1 (ref=0/0).  LNS session is 'default'"), S('xl2tpd[900]', 'Call established with 198.51.100.9, PID: 1310, Local: 47502, Remote: 1, Serial: 1')];
  const exit = (code: number): string => `${[...call, S('xl2tpd[900]', `child_handler : pppd exited for call 1 with code ${code}`)].join('\n')}\n`;
  const cases: [number, string | undefined][] = [[2, 'pppd-options-error'], [4, 'kernel-ppp-missing'], [11, 'auth-bad-credentials'], [15, 'lcp-echo-timeout'], [19, 'auth-bad-credentials'], [5, undefined], [16, undefined], [12, undefined]];
  for (const [code, id] of cases) {
    const r = analyzeTexts([{ name: 'x.log', text: exit(code) }]);
    assert.equal(r.findings[0]?.cause, id, `exit ${code}`);
  }
});

test('GRE socket error "Connection refused" (ICMP protocol unreachable) → gre-blocked', () => {
  const r = analyzeTexts([{ name: 'g.log', text: `${S('pptpd[5]', 'GRE: read(fd=7,buffer=60,len=8260) from network failed: status = -1 error = Connection refused')}\n${S('pptpd[5]', 'CTRL: GRE read or PTY write failed (gre,pty)=(7,6)')}\n` }]);
  assert.equal(r.findings[0]?.cause, 'gre-blocked');
});

test('tunppp + FreeRADIUS sqlippool: "E=691 (rejected): pool exhausted" (client) and "RADIUS rejected u5 …: pool exhausted" (server) → ip-pool-exhausted, not a wrong password', () => {
  for (const text of [
    '2026-12-08T04:28:18+0000 vm tunppp[4491]: warn: MS-CHAP-v2 authentication failed: E=691 (rejected): pool exhausted proto=pptp link=1 peer=10.211.5.1 code=691 final=false event=auth-failed',
    [
      '2026-12-08T04:28:18+0000 vm tunppp[77]: RADIUS rejected u5 (mschap-v2): pool exhausted link=1 proto=pptp peer=10.211.5.2 user=u5 event=radius-auth',
      '2026-12-08T04:28:18+0000 vm tunppp[77]: warn: Peer u5 failed MS-CHAP-v2 authentication: E=691 (rejected, may retry) link=1 proto=pptp peer=10.211.5.2 user=u5 code=691 final=false event=auth-failed',
    ].join('\n'),
  ]) {
    const r = analyzeTexts([{ name: 'pool.log', text: `${text}\n` }]);
    assert.deepEqual(r.findings.map((f) => f.cause), ['ip-pool-exhausted']);
  }
});

test('healthy session: up, ended by the client → no findings, outcome ok', () => {
  const r = analyzeTexts([
    {
      name: 'ok.log',
      text: [
        S('pptpd[100]', 'CTRL: Client 198.51.100.7 control connection started'),
        S('pptpd[100]', 'CTRL: Starting call (launching pppd, opening GRE)'),
        S('pppd[101]', 'Using interface ppp0'),
        S('pppd[101]', 'Connect: ppp0 <--> /dev/pts/1'),
        S('pppd[101]', 'MPPE 128-bit stateless compression enabled'),
        S('pppd[101]', 'local  IP address 10.0.0.1'),
        S('pppd[101]', 'remote IP address 10.0.0.2'),
        S('pppd[101]', 'LCP terminated by peer', '10:30:00'),
        S('pppd[101]', 'Connect time 30.0 minutes.', '10:30:00'),
        S('pppd[101]', 'Sent 100 bytes, received 200 bytes.', '10:30:00'),
        S('pppd[101]', 'Connection terminated.', '10:30:00'),
        S('pppd[101]', 'Exit.', '10:30:00'),
        S('pptpd[100]', 'CTRL: Client 198.51.100.7 control connection finished', '10:30:00'),
      ].join('\n'),
    },
  ]);
  assert.equal(r.findings.length, 0);
  assert.equal(r.sessions.length, 1);
  assert.equal(r.sessions[0]!.outcome, 'ok');
  assert.equal(r.sessions[0]!.ended?.by, 'peer');
  assert.equal(r.sessions[0]!.connectSeconds, 1800);
});
