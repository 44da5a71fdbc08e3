/**
 * L2TP tunnel authentication end to end, configured the xl2tpd way:
 * `tunppp serve --xl2tpd-conf` with `auth file` (an l2tp-secrets file),
 * `challenge = yes` and `hostname` in [lns default], and `tunppp connect
 * l2tp:// --l2tp-secret-file` in another namespace. Our LAC always challenges
 * the LNS too when it has a secret, so both directions are checked.
 *
 *  1. the right secret → tunnel, call and PPP up, ping through it;
 *  2. a wrong secret → refused: the LAC finds the LNS's Challenge Response
 *     wrong and ends the tunnel with StopCCN result 4;
 *  3. no secret on the LAC → refused: it cannot answer the LNS's Challenge
 *     (StopCCN result 4);
 *  4. the secrets file edited (read per tunnel, no reload) so that no line
 *     matches the LAC's host name → the LNS answers the SCCRQ with StopCCN
 *     result 4 and no SCCRP.
 * The StopCCN result codes are read from a tcpdump capture on the veth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc } from './harness.js';
import { Capture, tcpdumpMissing } from './capture.js';
import { parseCapture } from '../../src/wire/pcap.js';
import { parseL2tpHeader } from '../../src/l2tp/header.js';
import { parseL2tpMessage, type L2tpMessage } from '../../src/l2tp/message.js';
import { MSG, STOPCCN_RESULT } from '../../src/l2tp/constants.js';
import { formatSecretLine } from '../../src/config/chap-secrets.js';

const skip = netnsSkipReason() ?? (tcpdumpMissing ? 'tcpdump is not installed (Debian package tcpdump)' : undefined);
const SERVER = '10.206.0.1';
const CLIENT = '10.206.0.2';

/**
 * Every L2TP control message in an Ethernet capture, with its source address;
 * retransmissions (same source, same bytes) counted once.
 */
function controlMessages(file: string): { from: string; msg: L2tpMessage }[] {
  const packets = parseCapture(new Uint8Array(readFileSync(file)));
  assert.ok(packets, `cannot read ${file}`);
  const out: { from: string; msg: L2tpMessage }[] = [];
  const seen = new Set<string>();
  for (const p of packets) {
    const ip = p.bytes.subarray(14);
    if (ip.length < 28 || ip[9] !== 17) continue;
    const ihl = (ip[0]! & 0x0f) * 4;
    const udpPayload = ip.subarray(ihl + 8);
    const h = parseL2tpHeader(udpPayload);
    if (!h.ok || !h.value.header.isControl) continue;
    const body = udpPayload.subarray(h.value.payloadStart, h.value.payloadEnd);
    if (body.length === 0) continue; // ZLB
    const from = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
    const key = `${from} ${Buffer.from(udpPayload).toString('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const m = parseL2tpMessage(body);
    if (m.ok) out.push({ from, msg: m.value });
  }
  return out;
}

test('l2tp tunnel auth e2e: xl2tpd.conf auth file + challenge = yes → right secret up; wrong, missing or unlisted host name → StopCCN result 4', { skip, timeout: 120_000 }, async () => {
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-l2tp-auth-'));
  const procs: Proc[] = [];
  let cap: Capture | undefined;
  const secrets = join(dir, 'l2tp-secrets');
  // Inner blanks belong to the secret in xl2tpd's format; our LAC sends Host Name "tunppp".
  writeFileSync(secrets, '; us       them     secret\nlns-e2e    tunppp   right tunnel secret\n', { mode: 0o600 });
  writeFileSync(join(dir, 'options.xl2tpd'), 'require-mschap-v2\n');
  writeFileSync(join(dir, 'chap-secrets'), formatSecretLine('erin', '*', 'pw erin', '*') + '\n', { mode: 0o600 });
  writeFileSync(
    join(dir, 'xl2tpd.conf'),
    `[global]\nlisten-addr = ${SERVER}\nauth file = ${secrets}\n\n[lns default]\nip range = 192.168.86.10-192.168.86.20\nlocal ip = 192.168.86.1\nchallenge = yes\nhostname = lns-e2e\nrequire authentication = yes\npppoptfile = ${join(dir, 'options.xl2tpd')}\n`,
  );
  const secretFile = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, `${text}\n`, { mode: 0o600 });
    return f;
  };
  const connect = (c: string, tun: string, extra: string[]): Proc => {
    const p = new Proc(c, ['connect', `l2tp://erin@${SERVER}`, '--tun', tun, ...extra], { TUNPPP_PASSWORD: 'pw erin' });
    procs.push(p);
    return p;
  };
  const refused = async (p: Proc): Promise<string> => {
    const m = await p.waitFor(/disconnected: (.*)|tunnel closed \((.*)\)/, 30_000);
    const code = await p.stop('SIGTERM', 15_000);
    assert.notEqual(code, 0, `refused client exits non-zero: ${p.err}`);
    return m[0];
  };
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', `${SERVER}/24`, c, 'veth-c', `${CLIENT}/24`);
    cap = new Capture(s, 'veth-s', join(dir, 'l2tp.pcap'), 'udp port 1701');
    await cap.started();
    const server = new Proc(s, ['serve', '--xl2tpd-conf', join(dir, 'xl2tpd.conf'), '--chap-secrets', join(dir, 'chap-secrets')]);
    procs.push(server);
    await server.waitFor(/serving on l2tp 10\.206\.0\.1:1701/);

    // 1. The right secret.
    const good = connect(c, 'tla0', ['--l2tp-secret-file', secretFile('right', 'right tunnel secret')]);
    const m = await good.waitFor(/connected: address (\S+)/);
    assert.equal(m[1], '192.168.86.10');
    run('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.86.1'], 20_000);
    assert.equal(await good.stop('SIGINT'), 0);

    // 2. A wrong secret: our LAC checks the LNS's answer to its own Challenge first.
    const wrong = await refused(connect(c, 'tla1', ['--l2tp-secret-file', secretFile('wrong', 'not the secret')]));
    assert.match(wrong, /tunnel authentication failed: wrong Challenge Response/);

    // 3. No secret on the LAC: it cannot answer the LNS's Challenge.
    const none = await refused(connect(c, 'tla2', []));
    assert.match(none, /no tunnel secret is configured/);

    // 4. No line for our host name any more (the file is read for each new tunnel).
    writeFileSync(secrets, 'lns-e2e    someone-else   another secret\n');
    const unlisted = await refused(connect(c, 'tla3', ['--l2tp-secret-file', secretFile('right2', 'right tunnel secret')]));
    assert.match(unlisted, /peer sent StopCCN \(result 4.*no tunnel secret for your host name/);
    await server.waitFor(/no tunnel secret for host name 'tunppp'/);

    // tcpdump without --immediate-mode hands packets over in blocks, at the latest
    // after its 1 s timeout; a stop right away can lose the last exchange.
    await new Promise((r) => setTimeout(r, 1500));
    await cap.stop();
    const msgs = controlMessages(cap.file);
    const stops = msgs.filter((x) => x.msg.messageType === MSG.STOPCCN).map((x) => `${x.from} ${x.msg.resultCode?.result}`);
    // Good tunnel: the client's StopCCN on Ctrl-C (result 1); then one result-4 StopCCN per refusal.
    assert.deepEqual(stops, [`${CLIENT} 1`, `${CLIENT} ${STOPCCN_RESULT.NOT_AUTHORIZED}`, `${CLIENT} ${STOPCCN_RESULT.NOT_AUTHORIZED}`, `${SERVER} ${STOPCCN_RESULT.NOT_AUTHORIZED}`]);
    const sccrps = msgs.filter((x) => x.msg.messageType === MSG.SCCRP);
    assert.equal(sccrps.length, 3, 'an SCCRP for cases 1-3, none for the unlisted host name');
    for (const x of sccrps) {
      assert.equal(x.msg.challenge?.length, 16, 'the LNS challenges every LAC');
      assert.equal(x.msg.hostName, 'lns-e2e', 'Host Name from xl2tpd.conf hostname');
    }
    const scccn = msgs.filter((x) => x.msg.messageType === MSG.SCCCN);
    assert.equal(scccn.length, 1);
    assert.equal(scccn[0]!.msg.challengeResponse?.length, 16);
  } catch (err) {
    appendProcLogs(err, procs);
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    await cap?.stop();
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
