/**
 * Wording variants → event kinds. Each row is a message as the daemon prints
 * it (pppd 2.4/2.5, pptpd, pptp-linux, xl2tpd, strongSwan, libreswan,
 * racoon, Apple's pppd plugins).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractFor, familyOf } from './index.js';
import type { EvKind, Family } from '../types.js';

const ROWS: [Family, string, EvKind | null, Record<string, unknown>?][] = [
  ['pppd', 'LCP: timeout sending Config-Requests', 'cp-timeout', { proto: 'LCP' }],
  ['pppd', 'IPCP: timeout sending Config-Requests', 'cp-timeout', { proto: 'IPCP' }],
  ['pppd', 'No response to 4 echo-requests', 'echo-timeout', { n: 4 }],
  ['pppd', 'Serial link appears to be disconnected.', 'link-dead'],
  ['pppd', 'LCP terminated by peer (MPPE required but not available)', 'term-by-peer', { proto: 'LCP', reason: 'MPPE required but not available' }],
  ['pppd', 'LCP terminated by peer', 'term-by-peer', { reason: '' }],
  ['pppd', 'MS-CHAP authentication failed: E=691 Authentication failure', 'auth-fail', { dir: 'local', n: 691, method: 'MS-CHAP' }],
  ['pppd', 'CHAP authentication failed: E=691 R=1 C=8bf7d6f6 V=0', 'auth-fail', { n: 691 }],
  ['pppd', 'CHAP authentication failed', 'auth-fail', { dir: 'local', method: 'CHAP' }],
  ['pppd', 'PAP authentication failed', 'auth-fail', { dir: 'local', method: 'PAP' }],
  ['pppd', 'Peer alice failed CHAP authentication', 'auth-fail', { dir: 'peer', user: 'alice' }],
  ['pppd', 'PAP peer authentication failed for bob', 'auth-fail', { dir: 'peer', user: 'bob', method: 'PAP' }],
  ['pppd', 'No CHAP secret found for authenticating carol', 'no-secret', { dir: 'peer', user: 'carol' }],
  ['pppd', 'No CHAP secret found for authenticating us to server', 'no-secret', { dir: 'local' }],
  ['pppd', 'CHAP authentication succeeded', 'auth-ok', { dir: 'local' }],
  ['pppd', 'MS-CHAP-v2 peer authentication succeeded for alice', 'auth-ok', { dir: 'peer', user: 'alice', method: 'MS-CHAP-v2' }],
  ['pppd', 'peer refused to authenticate: terminating link', 'peer-refused-auth'],
  ['pppd', 'The remote system is required to authenticate itself', 'auth-required-nosecret'],
  ['pppd', 'The remote system (PPTP) is required to authenticate itself', 'auth-required-nosecret'],
  ['pppd', 'By default the remote system is required to authenticate itself', 'auth-required-nosecret'],
  ['pppd', "but I couldn't find any suitable secret (password) for it to use to do so.", 'auth-required-nosecret'],
  ['pppd', 'Please load the ppp_generic kernel module.', 'no-kernel-ppp'],
  ['pptpd', 'CTRL: EOF or bad error reading ctrl packet length.', 'ctrl-eof'],
  ['pptpd', 'CTRL: Received STOP CTRL CONN request (disconnecting)', 'ctrl-stop'],
  ['xl2tpd', "control_finish: Invalid authentication for host 'lac1'", 'l2tp-tunnel-auth-fail'],
  ['xl2tpd', "handle_challenge: no secret found for us='lns' and them='lac1'", 'l2tp-tunnel-secret-missing', { dir: 'local' }],
  ['xl2tpd', "control_finish: No secret for authenticating to 'lns'", 'l2tp-tunnel-secret-missing'],
  ['xl2tpd', "control_finish: No secret key for authenticating 'lac1'", 'l2tp-tunnel-secret-missing'],
  ['xl2tpd', 'chalresp_avp: Challenge is not the right length (8 != 16)', 'l2tp-tunnel-auth-fail'],
  ['xl2tpd', 'Connection 41 closed to 198.51.100.7, port 1701 (Invalid challenge authentication)', 'l2tp-tunnel-closed', { dir: 'local', reason: 'Invalid challenge authentication' }],
  ['xl2tpd', 'control_finish: Connection closed to 203.0.113.5, port 1701 (No secret key on our end), Local: 41, Remote: 27005', 'l2tp-tunnel-closed', { dir: 'peer', reason: 'No secret key on our end' }],
  ['xl2tpd', 'child_handler : pppd exited for call 1 with code 11', 'exit-code', { n: 11 }],
  ['pppd', 'CoId={8F0C6E5A-3B1D}: The user X\\alice dialed a connection named VPN which has failed. The error code returned on failure is 13801.', 'ras-error', { n: 13801 }],
  ['pppd', 'Device = WAN Miniport (PPTP)', 'ras-dial', { transport: 'pptp' }],
  ['pppd', 'Fehler 691: Die Remoteverbindung wurde verweigert', 'ras-error', { n: 691 }],
  ['pppd', "Couldn't open the /dev/ppp device: No such file or directory", 'dev-ppp-open', { reason: 'No such file or directory' }],
  ['pppd', "Couldn't open the /dev/ppp device: Operation not permitted", 'dev-ppp-open'],
  ['pppd', 'This system lacks kernel support for PPP.  This could be because', 'no-kernel-ppp'],
  ['pppd', 'Sorry - this system lacks PPP kernel support', 'no-kernel-ppp'],
  ['pppd', 'kernel does not support PPP filtering', null],
  ['pppd', 'MPPE required, but kernel has no support.', 'mppe-no-kernel'],
  ['pppd', 'MPPE required but peer negotiation failed', 'mppe-peer-failed'],
  ['pppd', 'MPPE required, but MS-CHAP[v2] auth not performed.', 'mppe-no-mschap'],
  ['pppd', 'MPPE 128-bit stateless compression enabled', 'mppe-up', { reason: 'MPPE 128-bit stateless' }],
  ['pppd', 'local  IP address 10.0.0.1', 'ip-local', { ip: '10.0.0.1' }],
  ['pppd', 'remote IP address 10.0.0.2', 'ip-remote', { ip: '10.0.0.2' }],
  ['pppd', 'Peer bob is not authorized to use remote address 10.0.0.9', 'ip-not-authorized', { ip: '10.0.0.9' }],
  ['pppd', 'Connect time 12.5 minutes.', 'connect-time', { n: 12.5 }],
  ['pppd', 'Sent 9063 bytes, received 3553 bytes.', 'bytes', { n: 9063, n2: 3553 }],
  ['pppd', 'Terminating on signal 15', 'signal', { n: 15 }],
  ['pppd', 'sent [LCP TermReq id=0x2 "MPPE required but not available"]', 'termreq', { dir: 'sent', reason: 'MPPE required but not available' }],
  ['pppd', 'rcvd [LCP TermAck id=0x2]', 'termack', { dir: 'rcvd' }],
  ['pppd', 'sent [LCP ConfReq id=0x1 <asyncmap 0x0> <auth chap MS-v2> <magic 0x1>]', 'lcp-confreq', { dir: 'sent', method: 'MS-CHAP-v2' }],
  ['pppd', 'rcvd [LCP ConfReq id=0x1 <mru 1400> <magic 0x2>]', 'rcvd-lcp'],
  ['pppd', 'sent [LCP EchoReq id=0x0 magic=0x1]', null],
  ['pppd', 'rcvd [CHAP Failure id=0x1 "E=691 R=1 C=0 V=0 M=Access denied"]', 'auth-fail', { n: 691, dir: 'local' }],
  ['pppd', 'rcvd [LCP ProtRej id=0x3 80 fd 01 01 00 0c]', 'ccp-protrej'],
  ['pppd', "L2TP connecting to server 'vpn.example.com' (203.0.113.5)...", 'connecting', { transport: 'l2tp', peer: '203.0.113.5' }],
  ['pppd', 'L2TP: no user shared secret found.', 'l2tp-ipsec-secret-missing'],
  ['pppd', 'IPSec connection failed <IKE Error 14 (0xe) No proposal chosen>', 'ike-no-proposal', { n: 14 }],
  ['pppd', 'IPSec connection failed', 'ike-timeout'],
  ['pptpd', 'CTRL: Client 1.2.3.4 control connection started', 'ctrl-start', { peer: '1.2.3.4' }],
  ['pptpd', 'CTRL: Reaping child PPP[4242]', 'child-reaped', { pid: 4242 }],
  ['pptpd', 'GRE: read(fd=7,buffer=6097c0,len=8260) from network failed: status = -1 error = Message too long', 'emsgsize'],
  ['pptpd', 'GRE: read(fd=7,buffer=6097c0,len=8260) from network failed: status = -1 error = Connection refused', 'gre-read-fail'],
  ['pptpd', 'GRE: xmit failed from decaps_hdlc: Message too long', 'emsgsize'],
  ['pptp', 'anon warn[open_inetsock:pptp_callmgr.c:329]: connect: Connection timed out', 'ctrl-connect-fail'],
  ['pptp', 'anon fatal[callmgr_main:pptp_callmgr.c:127]: Could not open control connection to 203.0.113.5', 'ctrl-connect-fail', { peer: '203.0.113.5' }],
  ['pptp', "anon log[ctrlp_disp:pptp_ctrl.c:754]: Outgoing call established (call ID 0, peer's call ID 512).", 'call-up'],
  ['xl2tpd', 'Maximum retries exceeded for tunnel 30555.  Closing.', 'l2tp-retries', { tunnel: 30555 }],
  ['xl2tpd', 'Connection 65351 closed to 192.0.2.9, port 46366 (Timeout)', 'l2tp-tunnel-closed', { peer: '192.0.2.9', reason: 'Timeout' }],
  ['xl2tpd', "Connection established to 192.0.2.9, 1701.  Local: 3815, Remote: 1 (ref=0/0).  LNS session is 'default'", 'l2tp-tunnel-up', { tunnel: 3815 }],
  ['xl2tpd', 'Call established with 192.0.2.9, Local: 2041, Remote: 1, Serial: 1 (ref=0/0)', 'l2tp-call-up'],
  ['xl2tpd', 'child_handler : pppd exited for call 1777 with code 16', 'exit-code', { n: 16 }],
  ['xl2tpd', 'result_code_avp: avp is incorrect size.  8 < 10', 'l2tp-avp-error'],
  ['xl2tpd', 'check_control: Out of IP addresses on tunnel 3!', 'pool-empty'],
  ['xl2tpd', 'Denied connection to unauthorized peer 198.51.100.7', 'l2tp-denied'],
  ['xl2tpd', 'message_type_avp: message type 16 (Set-Link-Info)', 'l2tp-msg', { n: 16, reason: 'SLI' }],
  ['ipsec', "09[IKE] no shared key found for '203.0.113.5' - '198.51.100.7'", 'ike-psk-missing'],
  ['ipsec', '11[IKE] received AUTHENTICATION_FAILED notify error', 'ike-auth-fail'],
  ['ipsec', '06[IKE] invalid HASH_V1 payload length, decryption failed?', 'ike-auth-fail'],
  ['ipsec', '12[IKE] received NO_PROPOSAL_CHOSEN notify error', 'ike-no-proposal'],
  ['ipsec', '14[IKE] no matching CHILD_SA config found', 'ike-no-conn', { phase: 2 }],
  ['ipsec', '16[IKE] giving up after 5 retransmits', 'ike-timeout'],
  ['ipsec', '07[IKE] remote host is behind NAT', 'nat-detected'],
  ['ipsec', '"l2tp-psk"[3] 198.51.100.7 #5: probable authentication failure (mismatch of preshared secrets?): malformed payload in packet', 'ike-auth-fail', { peer: '198.51.100.7' }],
  ['ipsec', '"l2tp-psk"[3] 198.51.100.7 #5: sending notification INVALID_ID_INFORMATION to 198.51.100.7:500', 'ike-no-conn'],
  ['ipsec', 'packet from 198.51.100.7:500: initial Main Mode message received on 203.0.113.5:500 but no connection has been authorized with policy PSK+IKEV1_ALLOW', 'ike-no-conn'],
  ['ipsec', "06[IKE] no IKE config found for 203.0.113.5...198.51.100.7, sending NO_PROPOSAL_CHOSEN", 'ike-no-conn'],
  ['ipsec', '08[IKE] peer didn\'t accept DH group ECP_256, it requested MODP_1024', 'ike-no-proposal'],
  ['ipsec', 'ERROR: failed to get sainfo.', 'ike-no-conn'],
  ['pppd', 'ppp0:alice: mschap-v2: authentication failed', 'auth-fail', { dir: 'peer' }],
  ['pppd', 'ppp0:alice: no echo reply', 'echo-timeout'],
  ['pppd', '<pptp-in1>: user alice authentication failed', 'auth-fail', { user: 'alice' }],
  ['pppd', 'CoId={3A8A}: The user DOMAIN\\bob dialed a connection named Work VPN which has failed. The error code returned on failure is 809.', 'ras-error', { n: 809 }],
  ['pptp', "nm-pptp-service-4242 log[ctrlp_disp:pptp_ctrl.c:897]: Outgoing call established (call ID 0, peer's call ID 34).", 'call-up'],
  ['ipsec', '12[CFG] <ikev2|3> constraint check failed: identity \'CN=vpn\' required', 'ike-cert-fail'],
  ['pptp', 'Error 619: A connection to the remote computer could not be established', 'ras-error', { n: 619 }],
  ['pptp', 'Sent 100 bytes, received 0 bytes.', 'bytes'],
  ['pppd', 'pptpd-logwtmp.so ip-up ppp0 alice 198.51.100.7', 'peer', { iface: 'ppp0', user: 'alice', peer: '198.51.100.7' }],
  ['pppd', 'Script /etc/ppp/ip-up started (pid 1234)', null],
  ['pppd', "In file /etc/ppp/options.pptpd: unrecognized option 'require-mppe-128'", 'options-error', { proto: 'require-mppe-128' }],
  ['pppd', "Couldn't load plugin /usr/lib/pppd/2.4.7/pptp.so", 'options-error'],
  ['pppd', 'L2TP received StopCCN', 'l2tp-msg', { n: 4 }],
  ['pppd', "Couldn't set tty to PPP discipline: Invalid argument", 'dev-ppp-open'],
  ['ipsec', 'IKE Phase1 Authentication failure.', 'ike-auth-fail'],
  ['ipsec', '"l2tp-psk"[2] 198.51.100.7 #3: next payload type of ISAKMP Hash Payload has an unknown value: 215 (0xd7)', 'ike-auth-fail'],
  ['ipsec', '11[IKE] EAP method EAP_MSCHAPV2 failed for peer 198.51.100.7', 'auth-fail'],
  ['ipsec', '"xauth-psk"[1] 198.51.100.7 #4: XAUTH: User bob: Authentication Failed: Incorrect Password', 'auth-fail'],
  ['ipsec', '14[IKE] unable to install inbound and outbound IPsec SA (SAD) in kernel', 'ipsec-kernel-fail'],
  ['ipsec', '"l2tp-psk" #1: max number of retransmissions (8) reached STATE_MAIN_I1.  No response (or no acceptable response) to our first IKEv1 message', 'ike-timeout', { phase: 1 }],
  ['ipsec', '"l2tp-psk"[1] 198.51.100.7 #1: NAT-Traversal: Result using RFC 3947 (NAT-Traversal): peer is NATed', 'nat-detected'],
  ['ipsec', 'NAT-Traversal: Result using RFC 3947 (NAT-Traversal): no NAT detected', null],
  ['ipsec', "ERROR: couldn't find the pskey for 198.51.100.7.", 'ike-psk-missing'],
  ['ipsec', 'ERROR: phase1 negotiation failed due to time up. 4f3e2d1c0b0a0908:0000000000000000', 'ike-timeout'],
  ['ipsec', 'ERROR: no suitable proposal found.', 'ike-no-proposal'],
  ['ipsec', 'INFO: ISAKMP-SA established 203.0.113.5[500]-198.51.100.7[500] spi:1', 'ike-up'],
];

for (const [family, msg, kind, fields] of ROWS) {
  test(`extract ${family}: "${msg.slice(0, 60)}" → ${kind ?? 'nothing'}`, () => {
    const ev = extractFor(family, msg);
    assert.equal(ev?.kind ?? null, kind);
    if (ev && fields) for (const [k, v] of Object.entries(fields)) assert.deepEqual((ev as unknown as Record<string, unknown>)[k], v, k);
  });
}

test('familyOf: daemon name variants → family; other programs → null', () => {
  assert.equal(familyOf('pppd'), 'pppd');
  assert.equal(familyOf('PPP'), 'pppd');
  assert.equal(familyOf('accel-pppd'), 'pppd');
  assert.equal(familyOf('pptpd'), 'pptpd');
  assert.equal(familyOf('pptp'), 'pptp');
  assert.equal(familyOf('xl2tpd'), 'xl2tpd');
  assert.equal(familyOf('charon-systemd'), 'ipsec');
  assert.equal(familyOf('pluto'), 'ipsec');
  assert.equal(familyOf('racoon'), 'ipsec');
  assert.equal(familyOf('tunppp'), 'tunppp');
  assert.equal(familyOf('sshd'), null);
  assert.equal(familyOf('kernel'), null);
});
