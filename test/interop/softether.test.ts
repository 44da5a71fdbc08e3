/**
 * `tunppp connect l2tp://` against SoftEther VPN Server (issue 17; Debian
 * softether-vpnserver 5.01.9674, docs/interop.md): raw L2TP without IPsec,
 * MS-CHAPv2, the address from SecureNAT's virtual DHCP server.
 *
 * SoftEther's PPP is not pppd's: it waits for the client's LCP before
 * sending its own, asks for EAP (we Nak with MS-CHAPv2), rejects ACCM,
 * Magic-Number, PFC and ACFC, Protocol-Rejects CCP (no MPPE), rejects the
 * DNS options its DHCP lease has no value for, and answers IPCP only once
 * the hub's DHCP server gave it an address for the client. The test keeps
 * that path working end to end and, from a capture, checks that the run went
 * through those steps. vpnserver runs in a namespace of its own on the host
 * (test/interop/softether.ts), the client in another, a veth between them;
 * nothing leaves the two namespaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, tcpdumpMissing } from '../e2e/capture.js';
import { Proc, waitConnected } from '../e2e/harness.js';
import { haveTshark } from '../helpers/tshark.js';
import { NetnsLab, netnsSkipReason } from '../io/netns.js';
import { SoftEther, softetherSkipReason } from './softether.js';

const skip = netnsSkipReason() ?? (process.env['TUNPPP_INTEROP'] === '0' ? 'TUNPPP_INTEROP=0 turns the interop suite off' : undefined) ?? softetherSkipReason();

const HUB = 'TUNPPP';
const USER = 'alice';
/** SecureNAT's defaults: the virtual host (gateway, DHCP and DNS server) and the DHCP range. */
const GATEWAY = '192.168.30.1';
const DHCP_FIRST = 10;
const DHCP_LAST = 200;
const CLIENT_OUTER = '10.203.0.2';
const SERVER_OUTER = '10.203.0.1';

/** One PPP control frame of the capture, as tshark decodes it: who sent it and the fields the checks use. */
interface PppControl {
  from: 'client' | 'server';
  /** "lcp 1", "ipcp 4", "chap 3", "ccp 1": protocol and code. */
  what: string;
  /** Option types (LCP or IPCP), comma-separated as tshark prints them. */
  opts: string;
  authProtocol: string;
  algorithm: string;
  rejectedProtocol: string;
}

const PROTO_NAMES: Record<string, string> = { '0xc021': 'lcp', '0x8021': 'ipcp', '0xc223': 'chap', '0x80fd': 'ccp' };

/** The PPP control frames of a capture on the client's veth, in order. */
function pppControl(file: string): PppControl[] {
  const fields = ['ip.src', 'ppp.protocol', 'ppp.code', 'chap.code', 'lcp.opt.type', 'ipcp.opt.type', 'lcp.opt.auth_protocol', 'lcp.opt.algorithm', 'lcp.rej_proto'];
  const r = spawnSync('tshark', ['-r', file, '-d', 'udp.port==1701,l2tp', '-Y', 'lcp or ipcp or chap or ccp', '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, `tshark: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [src, proto, code, chapCode, lcpOpts, ipcpOpts, auth, alg, rej] = line.split('|');
      const name = PROTO_NAMES[proto!] ?? proto!;
      // A Protocol-Reject carries the rejected frame, whose code tshark lists too: the first is the reject's.
      return {
        from: src === CLIENT_OUTER ? 'client' : 'server',
        what: `${name} ${(name === 'chap' ? chapCode : code)!.split(',')[0]}`,
        opts: lcpOpts || ipcpOpts || '',
        authProtocol: auth ?? '',
        algorithm: alg ?? '',
        rejectedProtocol: rej ?? '',
      };
    });
}

/** Asserts the capture shows SoftEther's way through LCP, MS-CHAPv2, CCP and IPCP, and our answers. */
function checkNegotiation(frames: PppControl[]): void {
  const dump = frames.map((f) => `${f.from} ${f.what} ${f.opts} ${f.authProtocol} ${f.algorithm} ${f.rejectedProtocol}`.trimEnd()).join('\n');
  const find = (from: PppControl['from'], what: string, pred: (f: PppControl) => boolean = () => true): number => {
    const i = frames.findIndex((f) => f.from === from && f.what === what && pred(f));
    assert.ok(i >= 0, `no ${from} ${what} as expected in:\n${dump}`);
    return i;
  };
  assert.equal(frames[0]?.from, 'client', `SoftEther waits for the client's LCP:\n${dump}`);
  const eap = find('server', 'lcp 1', (f) => f.authProtocol === '0xc227');
  const nak = find('client', 'lcp 3', (f) => f.authProtocol === '0xc223' && f.algorithm === '129');
  assert.ok(nak > eap, `the Nak answers SoftEther's EAP request:\n${dump}`);
  find('server', 'lcp 4', (f) => f.opts === '2,5,7,8');
  find('server', 'lcp 1', (f) => f.authProtocol === '0xc223' && f.algorithm === '129');
  find('server', 'chap 3');
  find('server', 'lcp 8', (f) => f.rejectedProtocol === '0x80fd');
  const dnsReject = find('server', 'ipcp 4');
  assert.ok(frames[dnsReject]!.opts.split(',').every((o) => o === '129' || o === '131'), `SoftEther rejects only DNS options:\n${dump}`);
  find('client', 'ipcp 2');
  find('server', 'ipcp 2');
}

test('connect l2tp → SoftEther VPN Server: raw L2TP, MS-CHAPv2, address from SecureNAT DHCP, ping the gateway, Ctrl-C', { skip, timeout: 60_000 }, async () => {
  const lab = new NetnsLab();
  const procs: Proc[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-softether-test-'));
  let se: SoftEther | undefined;
  let cap: Capture | undefined;
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(c, 'c0', `${CLIENT_OUTER}/24`, s, 's0', `${SERVER_OUTER}/24`);
    se = await SoftEther.start(s);
    const password = `pw-${randomBytes(6).toString('hex')}`;
    se.setAdminPassword(`admin-${randomBytes(6).toString('hex')}`);
    se.vpncmd([
      `HubCreate ${HUB} /PASSWORD:hub-${randomBytes(6).toString('hex')}`,
      `Hub ${HUB}`,
      `UserCreate ${USER} /GROUP:none /REALNAME:none /NOTE:none`,
      `UserPasswordSet ${USER} /PASSWORD:${password}`,
      'SecureNatEnable',
      // The PSK is required by the command and unused: IPsec stays off.
      `IPsecEnable /L2TP:no /L2TPRAW:yes /ETHERIP:no /PSK:psk-${randomBytes(6).toString('hex')} /DEFAULTHUB:${HUB}`,
    ]);
    await se.waitUdpListening(1701);

    const capturing = !tcpdumpMissing && haveTshark();
    if (capturing) {
      cap = new Capture(c, 'c0', join(dir, 'softether.pcap'));
      await cap.started();
    }
    const client = new Proc(c, ['connect', `l2tp://${USER}@${SERVER_OUTER}`, '--tun', 'tpse0', '--debug'], { TUNPPP_PASSWORD: password });
    procs.push(client);
    const conn = await waitConnected(client, 30_000);
    assert.equal(conn.serverAddress, GATEWAY);
    const host = /^192\.168\.30\.(\d+)$/.exec(conn.address);
    assert.ok(host && Number(host[1]) >= DHCP_FIRST && Number(host[1]) <= DHCP_LAST, `${conn.address} is not in SecureNAT's DHCP range`);
    assert.equal(conn.mppe, undefined, 'SoftEther has no MPPE');
    assert.match(client.out, new RegExp(`DNS: ${GATEWAY.replace(/\./g, '\\.')}`));
    const addr = conn.address.replace(/\./g, '\\.');
    assert.match(se.log(), new RegExp(`An IP address is assigned\\. IP Address of Client: ${addr},`), 'SoftEther got the address from its DHCP server');
    assert.match(se.vpncmd([`Hub ${HUB}`, 'DhcpTable']), new RegExp(`\\|${addr}\\s*$`, 'm'), "the lease is in SecureNAT's table");

    lab.exec(c, 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', GATEWAY);

    assert.equal(await client.stop('SIGINT'), 0);
    assert.match(client.out + client.err, /disconnected: user request/);
    const t0 = Date.now();
    const ended = new RegExp(`L2TP PPP Session \\[${CLIENT_OUTER.replace(/\./g, '\\.')}:\\d+\\]: The PPP session is disconnected\\.`);
    while (!ended.test(se.log())) {
      assert.ok(Date.now() - t0 < 10_000, 'SoftEther did not log the end of the PPP session');
      await new Promise((r) => setTimeout(r, 100));
    }
    if (cap) {
      await cap.stop();
      checkNegotiation(pppControl(cap.file));
    }
  } catch (err) {
    if (err instanceof Error) {
      for (const p of procs) err.message += `\n${p.describe()}`;
      if (se) err.message += `\n--- SoftEther server log\n${se.log().slice(-6000)}`;
    }
    throw err;
  } finally {
    await cap?.stop();
    for (const p of procs) await p.stop('SIGTERM');
    await se?.stop();
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
