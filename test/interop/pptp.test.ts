/**
 * PPTP control against real third-party peers in the UML guest
 * (docs/interop.md), with tunppp's control machine (PptpControl) on our side:
 *
 *  - client role: stock pptpd (+ pppd) in the guest is the PAC; we are the
 *    PNS. Start-Control-Connection and Outgoing-Call succeed, pptpd launches
 *    pppd (its log shows LCP starting on a kernel ppp unit), then we clear
 *    the call and stop the control connection cleanly.
 *  - server role: pptp-linux + pppd in the guest dial our PAC listening on
 *    TCP 1723 in the namespace; the call comes up (pptp-linux logs "Outgoing
 *    call established"), then we clear it and stop. We carry no GRE here, so
 *    the guest's pppd never gets past LCP; the check is the control exchange.
 *
 * Each case prints one "interop PASS|FAIL" line; a failure shows the
 * transcript, the guest's syslog and pppd log lines that explain it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { nativeCandidates } from '../../src/io/native.js';
import { umlSkipReason, type Guest, type UmlLab } from './uml.js';
import { guestSuite } from './suite.js';
import { messages, startDriver, transcript, type DriverLine } from './driver.js';

const skip =
  umlSkipReason() ??
  (nativeCandidates().some((p) => existsSync(p)) ? undefined : 'the native addon is not built (npm rebuild); the driver needs its raw GRE socket');

/**
 * Checks that the peer's pppd sent its first LCP Configure-Request through
 * GRE to our Call ID, and that our GRE/PPP/LCP parsers read it exactly as
 * pppd's debug log prints what it sent. Returns that text.
 */
function sameLcpAsPppd(lines: readonly DriverLine[], log: string): string {
  const unavailable = lines.find((l) => l['greUnavailable'] !== undefined);
  assert.equal(unavailable, undefined, `no GRE socket in the driver: ${String(unavailable?.['greUnavailable'])}`);
  const callUp = lines.find((l) => (l['event'] as { type?: string } | undefined)?.type === 'call-up');
  const ourCallId = (callUp?.['event'] as { callId?: number } | undefined)?.callId;
  const gre = lines.map((l) => l['gre'] as { callId?: number; ppp?: string; error?: string } | undefined).filter((g) => g !== undefined);
  const bad = gre.filter((g) => g.error !== undefined);
  assert.deepEqual(bad, [], 'GRE from the peer that our parsers refused');
  const first = gre.find((g) => g.ppp?.startsWith('LCP ConfReq id=0x1 '));
  assert.ok(first, `no LCP Configure-Request id 1 arrived over GRE (got ${JSON.stringify(gre)})`);
  assert.equal(first.callId, ourCallId, 'GRE key is our Call ID');
  const logged = /sent \[(LCP ConfReq id=0x1 [^\]]*)\]/.exec(log)?.[1];
  assert.ok(logged, 'pppd logged no LCP Configure-Request id 1');
  assert.equal(first.ppp, logged.trim(), 'our decode of the GRE frame equals what pppd says it sent');
  return logged.trim();
}


/** Secrets for both directions: pptpd's pppd (server "pptpd") and pptp-linux's pppd toward us (server "tunppp"). */
const chapSecrets = "printf '%s\\n' 'interop pptpd secret *' 'interop tunppp secret *' >/etc/ppp/chap-secrets";

describe('interop: PPTP against real pptpd and pptp-linux', { skip, timeout: 25 * 60_000 }, () => {
  const suite = guestSuite();
  const runCase = suite.runCase.bind(suite);

  /** Starts pptpd in the guest (once per boot) with MS-CHAPv2 + MPPE-128 required, as a stock setup does. */
  let pptpdUp = false;
  async function startPptpd(g: Guest): Promise<void> {
    if (pptpdUp) return;
    await g.ok(
      [
        'cat >/etc/pptpd.conf <<EOF',
        'option /etc/ppp/pptpd-options',
        'localip 192.168.77.1',
        'remoteip 192.168.77.10-20',
        'EOF',
        'cat >/etc/ppp/pptpd-options <<EOF',
        'name pptpd',
        'refuse-pap',
        'refuse-chap',
        'refuse-mschap',
        'require-mschap-v2',
        'require-mppe-128',
        'nodefaultroute',
        'nobsdcomp',
        'nodeflate',
        'debug',
        'logfile /var/log/pppd.log',
        'EOF',
        chapSecrets,
        'pptpd --debug',
        'for i in $(seq 100); do ss -ltn | grep -q ":1723 " && exit 0; sleep 0.1; done',
        'echo "pptpd is not listening on 1723"; exit 1',
      ].join('\n'),
    );
    pptpdUp = true;
  }

  /** Runs the driver to its end and checks what every case shares; returns the transcript. */
  async function drive(lab: UmlLab, role: 'client' | 'server', end: 'stop' | 'clear', start: () => Promise<void>): Promise<{ lines: DriverLine[]; tr: string; reason: string }> {
    const d = startDriver(lab.ns, 'pptp-control-driver.ts', [role, role === 'client' ? lab.guestIp : lab.hostIp], { HOLD_MS: '1500', END: end });
    let done: DriverLine;
    try {
      if (role === 'server') await d.waitFor((l) => l['listening'] !== undefined, 'the listener');
      await start();
      done = await d.waitFor((l) => l['done'] === true, 'the end of the exchange', 20_000);
    } finally {
      d.kill();
    }
    const tr = transcript(d.lines);
    assert.equal(done['ok'], true, `exchange did not complete: ${String(done['error'])}\ntranscript: ${tr}\n${d.stderr}`);
    // Only what a peer sends after the connection ended may be dropped (pptp-linux sends a CCRQ after its StopCCRP).
    assert.deepEqual(d.lines.filter((l) => l['drop'] !== undefined && l['drop'] !== 'after-close'), [], 'our machine dropped messages from the peer');
    const sccr = messages(d.lines, 'in', role === 'client' ? 'SCCRP' : 'SCCRQ')[0]!;
    assert.equal(sccr['protocolVersion'], 0x0100);
    if (role === 'client') {
      assert.equal(sccr['resultCode'], 1, 'SCCRP result: connected');
      const ocrp = messages(d.lines, 'in', 'OCRP')[0]!;
      assert.equal(ocrp['resultCode'], 1, 'OCRP result: connected');
      assert.equal(ocrp['peerCallId'], messages(d.lines, 'out', 'OCRQ')[0]!['callId'], 'OCRP names our Call ID');
    } else {
      assert.equal(messages(d.lines, 'out', 'OCRP')[0]!['peerCallId'], messages(d.lines, 'in', 'OCRQ')[0]!['callId'], 'our OCRP names their Call ID');
    }
    return { lines: d.lines, tr, reason: String(done['reason']) };
  }

  test('tunppp PNS → pptpd: call up, pptpd launches pppd, StopCCRQ with the call up → StopCCRP', async (t) => {
    await runCase(t, 'pptp-control tunppp→pptpd stop', async (lab, g) => {
      await startPptpd(g);
      await g.ok(': >/var/log/syslog; rm -f /var/log/pppd.log');
      const { lines, tr, reason } = await drive(lab, 'client', 'stop', async () => {});
      assert.equal(tr, '→SCCRQ ←SCCRP →OCRQ ←OCRP →STOPCCRQ ←STOPCCRP');
      assert.equal(reason, 'local-stop');
      const logs = await g.ok('sleep 0.3; cat /var/log/syslog; echo ---; cat /var/log/pppd.log');
      assert.match(logs, /CTRL: Starting call \(launching pppd, opening GRE\)/, 'pptpd did not launch pppd');
      assert.match(logs, /Using interface ppp\d/, 'pppd did not get a kernel ppp unit');
      assert.match(logs, /CTRL: Received STOP CTRL CONN request/);
      const lcp = sameLcpAsPppd(lines, logs);
      return `${tr}; pppd on ${/Using interface (ppp\d+)/.exec(logs)?.[1]}; its GRE decodes as "${lcp}"`;
    });
  });

  test('tunppp PNS → pptpd: CCRQ → pptpd hangs up pppd and closes TCP without CDN (its known RFC deviation)', async (t) => {
    await runCase(t, 'pptp-control tunppp→pptpd clear', async (lab, g) => {
      await startPptpd(g);
      await g.ok(': >/var/log/syslog; rm -f /var/log/pppd.log');
      const { lines, tr, reason } = await drive(lab, 'client', 'clear', async () => {});
      // pptpctrl.c answers Call-Clear-Request with "goto leave_drop_call" ("violating RFC"): no
      // Call-Disconnect-Notify, no Stop-Control-Connection; the TCP connection just closes.
      assert.equal(tr, '→SCCRQ ←SCCRP →OCRQ ←OCRP →CCRQ');
      assert.equal(reason, 'tcp-closed');
      const down = lines.find((l) => (l['event'] as { type?: string } | undefined)?.type === 'call-down')?.['event'] as { reason?: string };
      assert.equal(down.reason, 'control-down', 'the call ends with the control connection');
      const logs = await g.ok('sleep 0.3; cat /var/log/syslog; echo ---; cat /var/log/pppd.log');
      assert.match(logs, /CTRL: Received CALL CLR request \(closing call\)/);
      assert.match(logs, /pppd\[\d+\]: (Modem hangup|Exit)/, 'pptpd did not end its pppd');
      sameLcpAsPppd(lines, logs);
      return `${tr} then pptpd closes TCP; pppd hung up`;
    });
  });

  /** Starts pptp-linux + pppd in the guest toward our PAC. */
  async function dialFromGuest(lab: UmlLab, g: Guest): Promise<void> {
    await g.ok(
      [
        'pkill -x pppd; : >/var/log/syslog; rm -f /var/log/pppd-client.log',
        chapSecrets,
        `pppd pty "pptp ${lab.hostIp} --nolaunchpppd" name interop remotename tunppp require-mppe-128 refuse-eap noauth \\`,
        '  nodefaultroute nobsdcomp nodeflate nodetach maxfail 1 debug logfile /var/log/pppd-client.log >/dev/null 2>&1 &',
      ].join('\n'),
    );
  }

  const clientLogs = 'for i in $(seq 30); do pgrep -x pppd >/dev/null || break; sleep 0.1; done; pkill -x pppd; cat /var/log/syslog; echo ---; cat /var/log/pppd-client.log';

  test('pptp-linux PNS → tunppp PAC: call established, StopCCRQ with the call up → StopCCRP', async (t) => {
    await runCase(t, 'pptp-control pptp-linux→tunppp stop', async (lab, g) => {
      const { lines, tr, reason } = await drive(lab, 'server', 'stop', () => dialFromGuest(lab, g));
      // pptp-linux answers, then clears its call anyway: a CCRQ may follow its StopCCRP (dropped as after-close).
      assert.match(tr, /^←SCCRQ →SCCRP ←OCRQ →OCRP →STOPCCRQ ←STOPCCRP( ←CCRQ)?$/);
      assert.equal(reason, 'local-stop');
      const logs = await g.ok(clientLogs);
      assert.match(logs, /Outgoing call established \(call ID \d+, peer's call ID \d+\)/, 'pptp-linux did not see the call established');
      assert.match(logs, /Connect: ppp\d <--> \/dev\/pts\/\d+/, 'pppd did not attach to the pptp pty');
      const lcp = sameLcpAsPppd(lines, logs);
      return `${tr}; pptp-linux: call established, pppd on ${/Connect: (ppp\d+)/.exec(logs)?.[1]}; its GRE decodes as "${lcp}"`;
    });
  });

  test('pptp-linux PNS → tunppp PAC: CDN → pptp-linux ends the call and the connection', async (t) => {
    await runCase(t, 'pptp-control pptp-linux→tunppp clear', async (lab, g) => {
      const { lines, tr, reason } = await drive(lab, 'server', 'clear', () => dialFromGuest(lab, g));
      // pptp-linux takes the CDN as the end of everything: it closes TCP without a Stop-Control-Connection.
      assert.equal(tr, '←SCCRQ →SCCRP ←OCRQ →OCRP →CDN');
      assert.equal(reason, 'tcp-closed');
      const logs = await g.ok(clientLogs);
      assert.match(logs, /Call disconnect notification received \(call id \d+\)/, 'pptp-linux did not take our CDN');
      assert.match(logs, /Result code is 3 'Administrative Shutdown'/, 'pptp-linux did not read our CDN result code');
      assert.match(logs, /Modem hangup/, 'pppd did not see the pty close');
      sameLcpAsPppd(lines, logs);
      return `${tr} then pptp-linux closes TCP; its pppd hung up`;
    });
  });

  test('tunppp PPTP client (PptpControl + GreChannel + PppSession) → pptpd + pppd: MS-CHAPv2, MPPE-128 stateless, IPCP, pings answered', async (t) => {
    await runCase(t, 'pptp-ppp tunppp→pptpd', async (lab, g) => {
      await startPptpd(g);
      await g.ok(': >/var/log/syslog; rm -f /var/log/pppd.log');
      const d = startDriver(lab.ns, 'pptp-ppp-driver.ts', [lab.guestIp], { PINGS: '3' });
      let done: DriverLine;
      try {
        done = await d.waitFor((l) => l['done'] === true, 'the end of the session', 30_000);
      } finally {
        d.kill();
      }
      const ev = (type: string): Record<string, unknown>[] => d.lines.filter((l) => (l['event'] as { type?: string } | undefined)?.type === type).map((l) => l['event'] as Record<string, unknown>);
      const ctl = d.lines.filter((l) => l['ctl'] !== undefined).map((l) => String(l['ctl'])).join(' ');
      const logs = await g.ok('sleep 0.3; cat /var/log/syslog; echo ---; cat /var/log/pppd.log');
      assert.equal(done['ok'], true, `session did not complete: ${String(done['error'])}\ncontrol: ${ctl}\ndrops: ${JSON.stringify(d.lines.filter((l) => l['drop']))}\n${d.stderr}`);
      assert.equal(ctl, '→SCCRQ ←SCCRP →OCRQ ←OCRP →STOPCCRQ ←STOPCCRP');
      assert.deepEqual(ev('auth-ok').map((e) => [e['protocol'], e['direction']]), [['mschap-v2', 'self']], 'we authenticated to pppd with MS-CHAPv2 (and it proved itself back)');
      assert.deepEqual(ev('mppe-up').map((e) => [e['strength'], e['stateless']]), [[128, true]]);
      const ip = ev('ipv4-up')[0];
      assert.equal(ip?.['localAddress'], '192.168.77.10', 'pptpd remoteip given to us');
      assert.equal(ip?.['peerAddress'], '192.168.77.1', 'pptpd localip');
      const pingLines = d.lines.filter((l) => l['ping'] !== undefined).map((l) => l['ping'] as { seq: number; rttMs: number; from: string });
      assert.equal(pingLines.length, 3, 'three echo requests through MPPE answered by the guest kernel');
      assert.ok(pingLines.every((p) => p.from === '192.168.77.1'));
      const pppdLog = logs.split('\n---\n')[1] ?? logs;
      // pppd 2.4.9 as server logs the Success it sends and "peer from calling number … authorized".
      assert.match(pppdLog, /sent \[CHAP Success id=0x[0-9a-f]+ "S=[0-9A-F]{40} M=Access granted"\]/, `pppd did not accept our MS-CHAPv2 response:\n${pppdLog}`);
      assert.match(pppdLog, /peer from calling number \S+ authorized/, `pppd did not authorize us:\n${pppdLog}`);
      assert.match(logs, /MPPE 128-bit stateless compression enabled/, `pppd did not enable MPPE:\n${pppdLog}`);
      assert.match(pppdLog, /Sent (\d+) bytes, received \1 bytes/, 'pppd counted as many IP bytes each way (our echo requests and its replies)');
      assert.match(logs, /remote IP address 192\.168\.77\.10/);
      // pppd offers IPV6CP (the guest has IPv6); our session runs IPv4 only and Protocol-Rejects it, as it should.
      const drops = d.lines.filter((l) => l['drop'] !== undefined).map((l) => `${String(l['drop'])}: ${String(l['detail'])}`);
      assert.deepEqual(drops.filter((x) => x !== 'ppp protocol-unknown: IPV6CP (Protocol-Reject sent)'), [], 'nothing else dropped on our side');
      const rtt = pingLines.map((p) => p.rttMs).join('/');
      return `${ctl}; MS-CHAPv2 both ways, MPPE-128 stateless, IPCP 192.168.77.10↔192.168.77.1, 3 pings answered (${rtt} ms), LCP closed cleanly`;
    });
  });
});
