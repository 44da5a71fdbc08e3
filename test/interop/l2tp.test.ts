/**
 * L2TP control against real xl2tpd in the UML guest (docs/interop.md), with
 * tunppp's L2TP endpoint (tunnel + session machines, reliable channel) on
 * our side:
 *
 *  - LAC role: xl2tpd is the LNS. Tunnel (SCCRQ/SCCRP/SCCCN) and session
 *    (ICRQ/ICRP/ICCN) come up, xl2tpd launches pppd, whose LCP
 *    Configure-Request reaches us as an L2TP data message; then we end it.
 *  - LNS role: xl2tpd + pppd in the guest dial our LNS on UDP 1701.
 *
 * We run no PPP on the session, so the guest's pppd never gets past LCP; the
 * checks are the control exchange, the reliable channel against a real
 * peer, and the data path's first step: pppd's LCP frame read through our
 * L2TP data header, PPP and LCP parsers equals what pppd logs it sent.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { umlSkipReason, type Guest, type UmlLab } from './uml.js';
import { guestSuite } from './suite.js';
import { startDriver, type DriverLine } from './driver.js';

const skip = umlSkipReason();

/** Control messages of a transcript without the ZLB acks, e.g. "→SCCRQ ←SCCRP →SCCCN". */
function controlTranscript(lines: readonly DriverLine[]): string {
  return lines
    .filter((l) => l['dir'] !== undefined && (l['msg'] as { type?: string }).type !== 'ZLB')
    .map((l) => `${l['dir'] === 'out' ? '→' : '←'}${String((l['msg'] as { type?: string }).type)}`)
    .join(' ');
}

function msgs(lines: readonly DriverLine[], dir: 'in' | 'out', type: string): Record<string, unknown>[] {
  return lines.filter((l) => l['dir'] === dir && (l['msg'] as { type?: string }).type === type).map((l) => l['msg'] as Record<string, unknown>);
}

function events(lines: readonly DriverLine[], type: string): Record<string, unknown>[] {
  return lines.filter((l) => (l['event'] as { type?: string } | undefined)?.type === type).map((l) => l['event'] as Record<string, unknown>);
}

/** pppd's first LCP Configure-Request, read off the L2TP session by our parsers, equals pppd's own log line. */
function sameLcpAsPppd(lines: readonly DriverLine[], log: string): string {
  const up = events(lines, 'session-up')[0];
  const data = lines.map((l) => l['data'] as { sessionId?: number; ppp?: string; error?: string } | undefined).filter((d) => d !== undefined);
  assert.deepEqual(data.filter((d) => d.error !== undefined), [], 'L2TP data from the peer that our parsers refused');
  const first = data.find((d) => d.ppp?.startsWith('LCP ConfReq id=0x1 '));
  assert.ok(first, `no LCP Configure-Request id 1 arrived on the session (got ${JSON.stringify(data)})`);
  assert.equal(first.sessionId, up?.['sessionId'], 'the data message names our Session ID');
  const logged = /sent \[(LCP ConfReq id=0x1 [^\]]*)\]/.exec(log)?.[1];
  assert.ok(logged, 'pppd logged no LCP Configure-Request id 1');
  assert.equal(first.ppp, logged.trim(), 'our decode of the L2TP data message equals what pppd says it sent');
  return logged.trim();
}

describe('interop: L2TP control against real xl2tpd', { skip, timeout: 25 * 60_000 }, () => {
  const suite = guestSuite();
  const runCase = suite.runCase.bind(suite);

  /** Runs the driver to its end; checks what every case shares. */
  async function drive(lab: UmlLab, role: 'lac' | 'lns', end: 'stop' | 'clear', start: () => Promise<void>): Promise<{ lines: DriverLine[]; tr: string; reason: string }> {
    const d = startDriver(lab.ns, 'l2tp-control-driver.ts', [role, role === 'lac' ? lab.guestIp : lab.hostIp], { HOLD_MS: '1500', END: end, PEER_WAIT_MS: '1000' });
    let done: DriverLine;
    try {
      await d.waitFor((l) => l['listening'] !== undefined || l['bound'] !== undefined, 'the UDP socket');
      await start();
      done = await d.waitFor((l) => l['done'] === true, 'the end of the exchange', 20_000);
    } finally {
      d.kill();
    }
    const tr = controlTranscript(d.lines);
    assert.equal(done['ok'], true, `exchange did not complete: ${String(done['error'])}\ntranscript: ${tr}\n${d.stderr}`);
    // Once we sent CDN or StopCCN the peer's pppd may still send (LCP TermReq on hang-up): dropping that is right.
    const ending = d.lines.findIndex((l) => l['dir'] === 'out' && ['CDN', 'STOPCCN'].includes(String((l['msg'] as { type?: string }).type)));
    // Data for another tunnel is a previous case's pppd still hanging up: not ours to judge here.
    const ours = d.lines.find((l) => (l['event'] as { type?: string } | undefined)?.type === 'tunnel-up')?.['tunnelId'] as number | undefined;
    const stale = (l: DriverLine): boolean => l['drop'] === 'unknown-tunnel' && !String(l['detail']).endsWith(` ${ours}`);
    const drops = d.lines.filter((l, i) => l['drop'] !== undefined && !stale(l) && !(ending >= 0 && i > ending && l['drop'] === 'unknown-session'));
    assert.deepEqual(drops, [], 'our endpoint dropped messages from the peer');
    const sccr = msgs(d.lines, 'in', role === 'lac' ? 'SCCRP' : 'SCCRQ')[0]!;
    assert.deepEqual(sccr['protocolVersion'], { version: 1, revision: 0 });
    assert.equal(sccr['vendorName'], 'xelerance.com', 'the peer is xl2tpd');
    const up = events(d.lines, 'tunnel-up')[0];
    assert.ok(up, 'no tunnel-up');
    assert.equal(up['peerTunnelId'], sccr['assignedTunnelId']);
    // The reliable channel works against a real peer: our StopCCN is acknowledged.
    const stopAt = d.lines.findIndex((l) => l['dir'] === 'out' && (l['msg'] as { type?: string }).type === 'STOPCCN');
    const stopNs = (d.lines[stopAt]?.['msg'] as { ns?: number } | undefined)?.ns;
    assert.ok(
      d.lines.slice(stopAt + 1).some((l) => l['dir'] === 'in' && typeof (l['msg'] as { nr?: number }).nr === 'number' && (l['msg'] as { nr: number }).nr === ((stopNs ?? 0) + 1) % 65536),
      'the peer did not acknowledge our StopCCN',
    );
    return { lines: d.lines, tr, reason: String(done['reason']) };
  }

  let mode: 'none' | 'lns' | 'lac' = 'none';
  /** (Re)starts xl2tpd in the guest as LNS (our LAC dials it) or as LAC dialing `lns`. */
  async function startXl2tpd(g: Guest, as: 'lns' | 'lac', lns?: string): Promise<void> {
    const conf =
      as === 'lns'
        ? ['[global]', 'port = 1701', 'debug tunnel = yes', 'debug state = yes', '[lns default]', 'ip range = 192.168.78.10-192.168.78.20', 'local ip = 192.168.78.1',
           'require authentication = no', 'name = xl2tpd', 'ppp debug = yes', 'pppoptfile = /etc/ppp/options.xl2tpd', 'length bit = yes']
        : ['[global]', 'port = 1701', 'debug tunnel = yes', 'debug state = yes', '[lac tunppp]', `lns = ${lns}`, 'name = interop', 'ppp debug = yes',
           'pppoptfile = /etc/ppp/options.l2tp-client', 'length bit = yes', 'redial = no', 'autodial = yes'];
    const ppp =
      as === 'lns'
        ? ['name xl2tpd', 'require-mschap-v2', 'require-mppe-128', 'nodefaultroute', 'nobsdcomp', 'nodeflate', 'debug', 'logfile /var/log/pppd.log']
        : ['name interop', 'remotename tunppp', 'noauth', 'require-mppe-128', 'refuse-eap', 'nodefaultroute', 'nobsdcomp', 'nodeflate', 'debug', 'logfile /var/log/pppd-client.log'];
    await g.ok(
      [
        'pkill -x xl2tpd; pkill -9 -x pppd; for i in $(seq 30); do pgrep -x xl2tpd >/dev/null || break; sleep 0.1; done',
        ': >/var/log/syslog; rm -f /var/log/pppd*.log',
        'mkdir -p /etc/xl2tpd /run/xl2tpd',
        `printf '%s\\n' ${conf.map((l) => `'${l}'`).join(' ')} >/etc/xl2tpd/xl2tpd.conf`,
        `printf '%s\\n' ${ppp.map((l) => `'${l}'`).join(' ')} >${as === 'lns' ? '/etc/ppp/options.xl2tpd' : '/etc/ppp/options.l2tp-client'}`,
        'echo "interop * secret *" >/etc/ppp/chap-secrets',
        'xl2tpd -c /etc/xl2tpd/xl2tpd.conf -p /run/xl2tpd.pid',
        'for i in $(seq 100); do ss -lun | grep -q ":1701 " && exit 0; sleep 0.1; done',
        'echo "xl2tpd is not listening on 1701"; exit 1',
      ].join('\n'),
    );
    mode = as;
  }

  const logs = 'sleep 0.3; cat /var/log/syslog; echo ---; cat /var/log/pppd*.log';
  /** Ends the previous case's pppd (still hanging up) at once and clears the logs. */
  const quiet = 'pkill -9 -x pppd; : >/var/log/syslog; rm -f /var/log/pppd*.log';

  test('tunppp LAC → xl2tpd LNS: tunnel and session up, xl2tpd launches pppd, StopCCN → tunnel down', async (t) => {
    await runCase(t, 'l2tp-control tunppp→xl2tpd stop', async (lab, g) => {
      if (mode !== 'lns') await startXl2tpd(g, 'lns');
      await g.ok(quiet);
      const { lines, tr, reason } = await drive(lab, 'lac', 'stop', async () => {});
      assert.equal(tr, '→SCCRQ ←SCCRP →SCCCN →ICRQ ←ICRP →ICCN →STOPCCN');
      assert.equal(reason, 'administrative');
      const out = await g.ok(logs);
      assert.match(out, /Call established with \S+, PID: \d+/, 'xl2tpd did not launch pppd');
      assert.match(out, /Stop-Control-Connection-Notification\(4\)/);
      assert.match(out, /Terminating pppd/);
      assert.match(out, /Using interface ppp\d/, 'pppd did not get a kernel ppp unit');
      const lcp = sameLcpAsPppd(lines, out);
      return `${tr}; pppd on ${/Using interface (ppp\d+)/.exec(out)?.[1]}; its LCP on the session decodes as "${lcp}"`;
    });
  });

  test('tunppp LAC → xl2tpd LNS: CDN → xl2tpd ends the call', async (t) => {
    await runCase(t, 'l2tp-control tunppp→xl2tpd clear', async (lab, g) => {
      if (mode !== 'lns') await startXl2tpd(g, 'lns');
      await g.ok(quiet);
      const { lines, tr, reason } = await drive(lab, 'lac', 'clear', async () => {});
      // xl2tpd ends the call and its pppd but keeps the tunnel: we stop it after PEER_WAIT_MS.
      assert.equal(tr, '→SCCRQ ←SCCRP →SCCCN →ICRQ ←ICRP →ICCN →CDN →STOPCCN');
      assert.equal(reason, 'administrative');
      const out = await g.ok(logs);
      assert.match(out, /Call-Disconnect-Notify\(14\)/);
      assert.match(out, /Terminating pppd/);
      sameLcpAsPppd(lines, out);
      return `${tr}; xl2tpd hangs up pppd on our CDN and keeps the tunnel until our StopCCN`;
    });
  });

  /** xl2tpd (autodial) + pppd in the guest dial our LNS; the driver is already listening. */
  const dial = (lab: UmlLab, g: Guest) => () => startXl2tpd(g, 'lac', lab.hostIp);

  test('xl2tpd LAC → tunppp LNS: tunnel and session up, pppd runs, StopCCN → tunnel down', async (t) => {
    await runCase(t, 'l2tp-control xl2tpd→tunppp stop', async (lab, g) => {
      const { lines, tr, reason } = await drive(lab, 'lns', 'stop', dial(lab, g));
      assert.equal(tr, '←SCCRQ →SCCRP ←SCCCN ←ICRQ →ICRP ←ICCN →STOPCCN');
      assert.equal(reason, 'administrative');
      const out = await g.ok(logs);
      assert.match(out, /Call established with \S+, Local: \d+, Remote: \d+/);
      assert.match(out, /Stop-Control-Connection-Notification\(4\)/);
      const lcp = sameLcpAsPppd(lines, out);
      return `${tr}; its pppd's LCP on the session decodes as "${lcp}"`;
    });
  });

  test('xl2tpd LAC → tunppp LNS: CDN → xl2tpd ends the call', async (t) => {
    await runCase(t, 'l2tp-control xl2tpd→tunppp clear', async (lab, g) => {
      const { lines, tr, reason } = await drive(lab, 'lns', 'clear', dial(lab, g));
      assert.equal(tr, '←SCCRQ →SCCRP ←SCCCN ←ICRQ →ICRP ←ICCN →CDN →STOPCCN');
      assert.equal(reason, 'administrative');
      const out = await g.ok(logs);
      assert.match(out, /Call-Disconnect-Notify\(14\)/);
      assert.match(out, /Terminating pppd/);
      sameLcpAsPppd(lines, out);
      return `${tr}; xl2tpd hangs up pppd on our CDN and keeps the tunnel until our StopCCN`;
    });
  });
});
