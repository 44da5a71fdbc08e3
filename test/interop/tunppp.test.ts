/**
 * `tunppp serve` and `tunppp connect` against the real peers in the UML guest
 * (issue 8, docs/interop.md): the matrix in both directions.
 *
 *  - client direction: pptp-linux + pppd and xl2tpd + pppd in the guest dial
 *    `tunppp serve` running in the namespace (MS-CHAPv2 with MPPE-128,
 *    MPPE-40, stateful; CHAP-MD5 and PAP without MPPE; IPV6CP; mtu/mru 1400,
 *    1200); the guest pings the server's tunnel address, the namespace pings
 *    the guest's, and 1 MB goes over TCP each way. With IPV6CP, ping6 runs
 *    both ways between the negotiated link-local addresses.
 *  - server direction: `tunppp connect` against stock pptpd + pppd and
 *    xl2tpd + pppd in the guest, the same matrix plus mtu/mru 1500; pings,
 *    DF pings of the link MTU, ping6, 1 MB over TCP each way, Ctrl-C.
 *  - a wrong password ends in a clean E=691 on both sides, in both directions.
 *
 * Each case prints one line; a failure carries the tunppp output and the
 * guest's syslog/pppd lines.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCandidates } from '../../src/io/native.js';
import { Proc, writeServerConfig } from '../e2e/harness.js';
import { sh, umlSkipReason, type Guest, type UmlLab } from './uml.js';
import { guestSuite } from './suite.js';

const skip =
  umlSkipReason() ?? (nativeCandidates().some((p) => existsSync(p)) ? undefined : 'the native addon is not built (npm rebuild): tunppp needs its TUN and GRE sockets');

const USER = 'interop';
const PASSWORD = 'interop secret';
/** Secrets for the guest's pppd in both roles: toward tunppp (server name "tunppp") and as pptpd/xl2tpd's server. */
const GUEST_SECRETS = `printf '%s\\n' '${USER} * "${PASSWORD}" *' >/etc/ppp/chap-secrets`;

/** A TCP sink inside `ns` on addr:port; resolves with the byte count when the sender closes. */
function tcpSink(ns: string, addr: string, port: number, timeoutMs = 30_000): { listening: Promise<void>; received: Promise<number> } {
  const js = `const n=require('net');let c=0;const s=n.createServer(k=>{k.on('data',d=>c+=d.length);k.on('end',()=>{console.log('RECEIVED '+c);process.exit(0)})});s.listen(${port},'${addr}',()=>console.log('LISTENING'));setTimeout(()=>{console.log('RECEIVED '+c);process.exit(1)},${timeoutMs});`;
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let onListen: () => void = () => {};
  const listening = new Promise<void>((r) => (onListen = r));
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('LISTENING')) onListen();
  });
  const received = new Promise<number>((resolve, reject) =>
    p.on('exit', () => {
      const m = /RECEIVED (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`tcp sink: ${out}`));
    }),
  );
  return { listening, received };
}

/** Sends `bytes` from `ns` to addr:port over TCP; fails after `timeoutMs`. */
function tcpSend(ns: string, addr: string, port: number, bytes: number, timeoutMs = 30_000): Promise<void> {
  const js = `const n=require('net');const c=n.connect(${port},'${addr}',()=>{const b=Buffer.alloc(65536,7);let left=${bytes};const pump=()=>{while(left>0){const k=Math.min(left,b.length);left-=k;if(!c.write(k===b.length?b:b.subarray(0,k))){c.once('drain',pump);return}}c.end()};pump()});c.on('close',()=>process.exit(0));c.on('error',e=>{console.error(e.message);process.exit(1)});`;
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => {
    err += `no end after ${timeoutMs} ms`;
    p.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) =>
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`tcp send to ${addr}:${port}: ${err}`));
    }),
  );
}

/**
 * Pings from the namespace until 3 replies came (10 s at most): pppd
 * configures its interface in ip-pre-up/ip-up a moment after IPCP opens, so
 * the first requests after tunppp says "connected" may go unanswered.
 */
function nsPing(lab: UmlLab, dst: string): void {
  lab.exec('ping', ['-n', '-c', '3', '-i', '0.2', '-w', '10', dst], 20_000);
}

describe('interop: tunppp serve and connect against real pppd, pptp-linux, pptpd, xl2tpd', { skip, timeout: 25 * 60_000 }, () => {
  const suite = guestSuite('cat /var/log/syslog /var/log/ppp*.log 2>/dev/null');
  const procs: Proc[] = [];
  const cleanups: (() => void)[] = [];
  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const c of cleanups.splice(0)) c();
  });

  /**
   * Runs one case with tunppp processes stopped and their output attached on
   * failure.
   */
  async function runCase(
    t: Parameters<typeof suite.runCase>[0],
    name: string,
    body: (lab: UmlLab, g: Guest, start: (args: string[], env?: Record<string, string>) => Proc) => Promise<string>,
  ): Promise<void> {
    await suite.runCase(t, name, async (lab, g) => {
      const mine: Proc[] = [];
      const start = (args: string[], env: Record<string, string> = {}): Proc => {
        const p = new Proc(lab.ns, args, env);
        mine.push(p);
        procs.push(p);
        return p;
      };
      try {
        return await body(lab, g, start);
      } catch (e) {
        for (const p of mine) if (e instanceof Error) e.message += `\n--- tunppp ${p.child.spawnargs.slice(6).join(' ')}\n${p.out}${p.err}`.slice(0, 6000);
        throw e;
      } finally {
        for (const p of mine) await p.stop('SIGTERM');
        await g.run("ipsec stop >/dev/null 2>&1; pkill -x nc; pkill -x pppd; pkill -x xl2tpd; pkill -x pptpd; pkill -x pptp; for i in $(seq 30); do pgrep -x 'pppd|pptpd|xl2tpd|pptp' >/dev/null || break; sleep 0.1; done; pkill -9 -x 'pppd|pptpd|xl2tpd|pptp'; true").catch(() => undefined);
      }
    });
  }

  /** `tunppp serve` on the host side of the TAP for PPTP and L2TP, pool 192.168.77.10-20; `ppp` overrides its PPP settings. */
  function serve(lab: UmlLab, start: (args: string[]) => Proc, ppp?: Record<string, unknown>, extra: Record<string, unknown> = {}): Proc {
    const cfg = writeServerConfig({
      listen: lab.hostIp,
      local: '192.168.77.1',
      ranges: ['192.168.77.10-192.168.77.20'],
      users: [[USER, PASSWORD]],
      extra: { listen: { pptp: { addresses: [lab.hostIp] }, l2tp: { addresses: [lab.hostIp] } }, ...(ppp ? { ppp } : {}), ...extra },
    });
    cleanups.push(cfg.cleanup);
    return start(['serve', '--config', cfg.config, '--debug']);
  }

  /** Guest → server over TCP through the tunnel: 1 MB from the guest's nc to a sink on the server's TUN address. */
  async function guestUpload(lab: UmlLab, g: Guest, to: string, port: number): Promise<number> {
    const sink = tcpSink(lab.ns, to, port);
    await sink.listening;
    await g.ok(`head -c 1000000 /dev/zero | nc -N -w 10 ${to} ${port}`, 30_000);
    return sink.received;
  }

  /** Server → guest over TCP through the tunnel: 1 MB from a sender on the server's side to `nc` on the guest's tunnel address. */
  async function guestDownload(lab: UmlLab, g: Guest, to: string, port: number): Promise<number> {
    const count = await guestSink(g, port);
    await tcpSend(lab.ns, to, port, 1_000_000);
    return count();
  }

  /**
   * IPv6 through the tunnel between the link-local addresses IPV6CP gave
   * (pppd logs both): 3 ping6 from the guest to tunppp's end over its ppp unit
   * and 3 from the namespace to the guest's over tunppp's TUN.
   */
  async function ping6Both(lab: UmlLab, g: Guest, pppdLog: string, tunName: string, guestIsLocal: boolean): Promise<string> {
    const mine = /local {2}LL address (fe80::\S+)/.exec(pppdLog)?.[1];
    const theirs = /remote LL address (fe80::\S+)/.exec(pppdLog)?.[1];
    assert.ok(mine && theirs, `IPV6CP did not open in pppd:\n${pppdLog}`);
    const guestLl = guestIsLocal ? mine : theirs;
    const tunpppLl = guestIsLocal ? theirs : mine;
    const dev = /Using interface (ppp\d+)/.exec(pppdLog)?.[1] ?? 'ppp0';
    const p6 = await g.ok(`ping -6 -n -c 3 -i 0.2 -w 10 ${tunpppLl}%${dev}`);
    assert.match(p6, /3 received/);
    lab.exec('ping', ['-6', '-n', '-c', '3', '-i', '0.2', '-w', '10', `${guestLl}%${tunName}`], 20_000);
    return `3+3 ping6 between ${guestLl} (guest) and ${tunpppLl} (tunppp)`;
  }

  /** The TUN device name of `tunppp serve` (from its start line). */
  async function serverTun(server: Proc): Promise<string> {
    return (await server.waitFor(/serving on .*; TUN (\S+)/))[1]!;
  }

  test('pptp-linux + pppd → tunppp serve: MS-CHAPv2, MPPE-128 stateless, IPCP, ping both ways, 1 MB TCP', async (t) => {
    await runCase(t, 'serve pptp ← pptp-linux', async (lab, g, start) => {
      const server = serve(lab, start);
      await server.waitFor(/serving on .*pptp/);
      await g.ok(
        [
          ': >/var/log/syslog; rm -f /var/log/ppp*.log',
          GUEST_SECRETS,
          `pppd pty "pptp ${lab.hostIp} --nolaunchpppd" name ${USER} remotename tunppp require-mppe-128 refuse-eap noauth \\`,
          '  nodefaultroute nobsdcomp nodeflate maxfail 1 debug logfile /var/log/pppd-client.log',
          'for i in $(seq 150); do grep -q "local  IP address" /var/log/pppd-client.log 2>/dev/null && break; sleep 0.1; done',
          'sleep 0.5; ip -br addr show | grep ppp',
        ].join('\n'),
        30_000,
      );
      await server.waitFor(/MS-CHAP-v2 peer interop authenticated/);
      const log = await g.ok('cat /var/log/pppd-client.log');
      assert.match(log, /MPPE 128-bit stateless compression enabled/);
      assert.match(log, /local {2}IP address 192\.168\.77\.10/);
      assert.match(log, /remote IP address 192\.168\.77\.1\b/);
      const ping = await g.ok('ping -n -c 3 -i 0.2 -w 10 192.168.77.1');
      assert.match(ping, /3 received/);
      nsPing(lab, '192.168.77.10');
      const got = await guestUpload(lab, g, '192.168.77.1', 5001);
      assert.equal(got, 1_000_000);
      assert.equal(await guestDownload(lab, g, '192.168.77.10', 5002), 1_000_000, 'server → guest');
      await g.ok('pkill -x pppd; for i in $(seq 50); do pgrep -x pppd >/dev/null || break; sleep 0.1; done');
      await server.waitFor(/link down: .*Connect time/);
      return 'pppd got 192.168.77.10, MPPE-128 stateless; 3+3 pings; 1 MB each way; pppd hang-up logged by tunppp';
    });
  });

  /**
   * The PPTP client-direction matrix of issue 8 with pptp-linux + pppd:
   * server PPP settings, the client's pppd options, and what must come out.
   */
  const matrix: {
    name: string;
    server?: Record<string, unknown>;
    pppd: string;
    auth: 'MS-CHAP-v2' | 'CHAP' | 'PAP';
    mppe?: string;
    mtu?: number;
    ipv6?: boolean;
    /** A known tunppp defect this case shows: reported as TODO (it runs, its failure does not fail the suite). */
    todo?: string;
  }[] = [
    { name: 'MPPE-40', server: { mppe: { mode: 'require', keyBits: [40] } }, pppd: 'require-mppe-40', auth: 'MS-CHAP-v2', mppe: '40-bit stateless' },
    {
      name: 'MPPE-128 stateful',
      server: { mppe: { mode: 'require', keyBits: [128], stateful: 'allow' } },
      pppd: 'require-mppe-128 mppe-stateful',
      auth: 'MS-CHAP-v2',
      mppe: '128-bit stateful',
      // pppd asks +H first even with mppe-stateful; our CCP Naks it with the mode of its own request (-H)
      // and pppd agrees: both directions stateful (src/ppp/ccp/ccp.ts reqci).
    },
    { name: 'CHAP-MD5 without MPPE', server: { authProtocols: ['chap'], mppe: { mode: 'refuse' } }, pppd: 'refuse-mschap refuse-mschap-v2 nomppe', auth: 'CHAP' },
    { name: 'PAP without MPPE', server: { authProtocols: ['pap'], mppe: { mode: 'refuse' } }, pppd: 'refuse-chap refuse-mschap refuse-mschap-v2 nomppe', auth: 'PAP' },
    { name: 'IPV6CP on', server: { ipv6: true }, pppd: 'require-mppe-128 +ipv6', auth: 'MS-CHAP-v2', mppe: '128-bit stateless', ipv6: true },
    { name: 'mtu/mru 1400', pppd: 'require-mppe-128 mtu 1400 mru 1400', auth: 'MS-CHAP-v2', mppe: '128-bit stateless', mtu: 1400 },
    { name: 'mtu/mru 1200', pppd: 'require-mppe-128 mtu 1200 mru 1200', auth: 'MS-CHAP-v2', mppe: '128-bit stateless', mtu: 1200 },
  ];

  for (const [i, k] of matrix.entries()) {
    test(`pptp-linux + pppd → tunppp serve, ${k.name}: ${k.auth}, ${k.mppe ? `MPPE ${k.mppe}` : 'no MPPE'}, ping both ways, 1 MB TCP`, k.todo ? { todo: k.todo } : {}, async (t) => {
      await runCase(t, `serve pptp ← pptp-linux, ${k.name}`, async (lab, g, start) => {
        const server = serve(lab, start, k.server);
        await server.waitFor(/serving on .*pptp/);
        await g.ok(
          [
            ': >/var/log/syslog; rm -f /var/log/ppp*.log',
            GUEST_SECRETS,
            `printf '%s\\n' '${USER} * "${PASSWORD}" *' >/etc/ppp/pap-secrets`,
            `pppd pty "pptp ${lab.hostIp} --nolaunchpppd" name ${USER} remotename tunppp ${k.pppd} refuse-eap noauth \\`,
            '  nodefaultroute nobsdcomp nodeflate maxfail 1 debug logfile /var/log/pppd-client.log',
            'for i in $(seq 150); do grep -q "local  IP address" /var/log/pppd-client.log 2>/dev/null && break; pgrep -x pppd >/dev/null || break; sleep 0.1; done',
          ].join('\n'),
          30_000,
        );
        await server.waitFor(new RegExp(`${k.auth} peer interop authenticated`));
        const log = await g.ok('cat /var/log/pppd-client.log');
        assert.match(log, /local {2}IP address 192\.168\.77\.10/, `no IPCP:\n${log}`);
        const mppe = /MPPE (\d+-bit \w+) compression enabled/.exec(log)?.[1];
        assert.equal(mppe, k.mppe, `MPPE as pppd reports it:\n${log}`);
        const notes: string[] = [];
        if (k.ipv6) notes.push(`IPV6CP up, ${await ping6Both(lab, g, log, await serverTun(server), true)}`);
        const ping = await g.ok('ping -n -c 3 -i 0.2 -w 10 192.168.77.1');
        assert.match(ping, /3 received/);
        nsPing(lab, '192.168.77.10');
        if (k.mtu) {
          const dev = /Using interface (ppp\d+)/.exec(log)?.[1] ?? 'ppp0';
          const link = await g.ok(`ip -o link show ${dev}`);
          const mtu = Number(/ mtu (\d+)/.exec(link)?.[1]);
          assert.ok(mtu <= k.mtu && mtu >= k.mtu - 8, `guest ${dev} MTU ${mtu} for mtu/mru ${k.mtu}`);
          // A full-size packet with DF passes both ways.
          const big = await g.ok(`ping -n -c 2 -i 0.2 -w 10 -M do -s ${mtu - 28} 192.168.77.1`);
          assert.match(big, /2 received/);
          notes.push(`MTU ${mtu}, DF ping of ${mtu} bytes`);
        }
        const got = await guestUpload(lab, g, '192.168.77.1', 5060 + i);
        assert.equal(got, 1_000_000);
        assert.equal(await guestDownload(lab, g, '192.168.77.10', 5070 + i), 1_000_000, 'server → guest');
        await g.ok('pkill -x pppd; for i in $(seq 50); do pgrep -x pppd >/dev/null || break; sleep 0.1; done');
        await server.waitFor(/link down: .*Connect time/);
        return `${k.auth}, ${k.mppe ? `MPPE ${k.mppe}` : 'no MPPE'}${notes.length ? `, ${notes.join(', ')}` : ''}; 3+3 pings; 1 MB each way`;
      });
    });
  }

  test('pptp-linux + pppd with a wrong password → tunppp serve: E=691 on both sides, clean end', async (t) => {
    await runCase(t, 'serve pptp ← pptp-linux, wrong password', async (lab, g, start) => {
      const server = serve(lab, start);
      await server.waitFor(/serving on .*pptp/);
      await g.ok(
        [
          ': >/var/log/syslog; rm -f /var/log/ppp*.log',
          `printf '%s\\n' '${USER} * "wrong password" *' >/etc/ppp/chap-secrets`,
          `pppd pty "pptp ${lab.hostIp} --nolaunchpppd" name ${USER} remotename tunppp require-mppe-128 refuse-eap noauth \\`,
          '  nodefaultroute nobsdcomp nodeflate maxfail 1 nodetach debug logfile /var/log/pppd-client.log >/dev/null 2>&1',
          'true',
        ].join('\n'),
        40_000,
      );
      const log = await g.ok('cat /var/log/pppd-client.log');
      // RFC 2759 §6 Failure packet, as pppd decodes it: E=691 R=1 C=<32 hex> V=3 M=<text>.
      assert.match(log, /rcvd \[CHAP Failure id=0x[0-9a-f]+ "E=691 R=1 C=[0-9A-F]{32} V=3 M=[^"]*"\]/, `pppd did not get a well-formed E=691:\n${log}`);
      assert.match(log, /MS-CHAP authentication failed/);
      await server.waitFor(/Peer interop failed MS-CHAP-v2 authentication: E=691/);
      await server.waitFor(/link down: /);
      return 'tunppp sends Failure "E=691 R=1 C=… V=3", pppd gives up and hangs up, tunppp logs the failure and the link end';
    });
  });

  /** xl2tpd (autodial LAC) + pppd in the guest toward `tunppp serve`, with extra pppd options and secret. */
  function xl2tpdLac(lab: UmlLab, pppdOptions: string[], secret = PASSWORD): string {
    return [
      ': >/var/log/syslog; rm -f /var/log/ppp*.log',
      `printf '%s\\n' '${USER} * "${secret}" *' >/etc/ppp/chap-secrets`,
      `printf '%s\\n' '${USER} * "${secret}" *' >/etc/ppp/pap-secrets`,
      'mkdir -p /etc/xl2tpd /run/xl2tpd',
      `printf '%s\\n' '[global]' 'port = 1701' '[lac tunppp]' 'lns = ${lab.hostIp}' 'name = ${USER}' 'ppp debug = yes' 'pppoptfile = /etc/ppp/options.l2tp-client' 'length bit = yes' 'redial = no' 'autodial = yes' >/etc/xl2tpd/xl2tpd.conf`,
      `printf '%s\\n' ${['name ' + USER, 'remotename tunppp', 'noauth', 'refuse-eap', 'nodefaultroute', 'nobsdcomp', 'nodeflate', 'maxfail 1', ...pppdOptions, 'debug', 'logfile /var/log/pppd-client.log'].map((o) => `'${o}'`).join(' ')} >/etc/ppp/options.l2tp-client`,
      'xl2tpd -c /etc/xl2tpd/xl2tpd.conf -p /run/xl2tpd.pid',
    ].join('\n');
  }
  const waitIpcpOrExit = 'for i in $(seq 150); do grep -q "local  IP address" /var/log/pppd-client.log 2>/dev/null && break; grep -q "Exit\\.\\|authentication failed" /var/log/pppd-client.log 2>/dev/null && break; sleep 0.1; done';

  const l2tpMatrix: { name: string; server?: Record<string, unknown>; pppd: string[]; mppe?: string; auth?: string; ipv6?: boolean }[] = [
    { name: 'MS-CHAPv2, MPPE allowed (L2TP default) and not asked for', pppd: [] },
    { name: 'MS-CHAPv2, MPPE-128 required by both', server: { mppe: { l2tpMode: 'require' } }, pppd: ['require-mppe-128'], mppe: '128-bit stateless' },
    { name: 'MS-CHAPv2, MPPE-40', server: { mppe: { l2tpMode: 'require', keyBits: [40] } }, pppd: ['require-mppe-40'], mppe: '40-bit stateless' },
    { name: 'MS-CHAPv2, MPPE-128 stateful', server: { mppe: { l2tpMode: 'require', keyBits: [128], stateful: 'allow' } }, pppd: ['require-mppe-128', 'mppe-stateful'], mppe: '128-bit stateful' },
    { name: 'MS-CHAPv2, mtu/mru 1400', pppd: ['mtu 1400', 'mru 1400'] },
    { name: 'MS-CHAPv2, mtu/mru 1200', pppd: ['mtu 1200', 'mru 1200'] },
    { name: 'CHAP-MD5 without MPPE', server: { authProtocols: ['chap'], mppe: { mode: 'refuse', l2tpMode: 'refuse' } }, pppd: ['refuse-mschap', 'refuse-mschap-v2', 'nomppe'], auth: 'CHAP' },
    { name: 'PAP without MPPE', server: { authProtocols: ['pap'], mppe: { mode: 'refuse', l2tpMode: 'refuse' } }, pppd: ['refuse-chap', 'refuse-mschap', 'refuse-mschap-v2', 'nomppe'], auth: 'PAP' },
    { name: 'MS-CHAPv2, IPV6CP on', server: { ipv6: true }, pppd: ['+ipv6'], ipv6: true },
  ];
  for (const [i, k] of l2tpMatrix.entries()) {
    test(`xl2tpd + pppd → tunppp serve (L2TP), ${k.name}: IPCP, ping both ways, 1 MB TCP`, async (t) => {
      await runCase(t, `serve l2tp ← xl2tpd, ${k.name}`, async (lab, g, start) => {
        const server = serve(lab, start, k.server);
        await server.waitFor(/serving on .*l2tp/);
        await g.ok(`${xl2tpdLac(lab, k.pppd)}\n${waitIpcpOrExit}`, 30_000);
        await server.waitFor(new RegExp(`${k.auth ?? 'MS-CHAP-v2'} peer interop authenticated`));
        const log = await g.ok('cat /var/log/pppd-client.log');
        assert.match(log, /local {2}IP address 192\.168\.77\.1\d/, `no IPCP:\n${log}`);
        const notes: string[] = [];
        const mppe = /MPPE (\d+-bit \w+) compression enabled/.exec(log)?.[1];
        assert.equal(mppe, k.mppe, `MPPE as pppd reports it:\n${log}`);
        const ping = await g.ok('ping -n -c 3 -i 0.2 -w 10 192.168.77.1');
        assert.match(ping, /3 received/);
        const mine = /local {2}IP address (\S+)/.exec(log)![1]!;
        nsPing(lab, mine);
        if (k.ipv6) notes.push(`IPV6CP up, ${await ping6Both(lab, g, log, await serverTun(server), true)}`);
        const got = await guestUpload(lab, g, '192.168.77.1', 5030 + i);
        assert.equal(got, 1_000_000);
        assert.equal(await guestDownload(lab, g, mine, 5050 + i), 1_000_000, 'server → guest');
        return `pppd got ${mine}, ${mppe ? `MPPE ${mppe}` : 'no MPPE'}${notes.length ? `, ${notes.join(', ')}` : ''}; 3+3 pings; 1 MB each way`;
      });
    });
  }

  /**
   * strongSwan's charon (IKEv1) in front of xl2tpd, with ipsec.conf as the
   * Linux L2TP/IPsec client guides write it: transport mode, PSK, UDP 1701
   * both ways; tunppp's built-in IPsec on the other end.
   */
  const IPSEC_PSK = 'interop pre-shared key 1f2e';
  function charonClient(lab: UmlLab, ike: string, esp: string): string {
    const conf = [
      'config setup',
      '  charondebug="ike 1, knl 1, cfg 0"',
      'conn L2TP-PSK',
      '  keyexchange=ikev1',
      '  authby=secret',
      '  type=transport',
      '  left=%defaultroute',
      '  leftprotoport=17/1701',
      `  right=${lab.hostIp}`,
      '  rightprotoport=17/1701',
      `  ike=${ike}`,
      `  esp=${esp}`,
      '  keyingtries=1',
      '  auto=add',
    ];
    return [
      `printf '%s\n' ${conf.map((l) => `'${l}'`).join(' ')} >/etc/ipsec.conf`,
      `printf '%s\n' ': PSK "${IPSEC_PSK}"' >/etc/ipsec.secrets`,
      'chmod 600 /etc/ipsec.secrets',
      'ipsec start >/dev/null 2>&1',
      'for i in $(seq 50); do ipsec status >/dev/null 2>&1 && break; sleep 0.1; done',
      'ipsec up L2TP-PSK',
    ].join('\n');
  }

  // The Linux guides' ipsec.conf, then the proposal sets the OS families send (issue 14), in their order.
  const ipsecMatrix = [
    { name: 'ike=aes256-sha1-modp2048! esp=aes256-sha1! (Linux guides)', ike: 'aes256-sha1-modp2048!', esp: 'aes256-sha1!', p1: 'aes256-sha1-modp2048', p2: 'aes256-sha1' },
    { name: 'Windows proposals (ECP384 first)', ike: 'aes256-sha1-ecp384,aes128-sha1-ecp256,aes256-sha1-modp2048!', esp: 'aes256-sha1,aes128-sha1!', p1: 'aes256-sha1-ecp384', p2: 'aes256-sha1' },
    { name: 'macOS/iOS proposals', ike: 'aes256-sha256-modp2048,aes128-sha1-modp2048,3des-sha1-modp1024!', esp: 'aes256-sha1,aes128-sha1,3des-sha1!', p1: 'aes256-sha256-modp2048', p2: 'aes256-sha1' },
    { name: 'old Android proposals (MODP1024)', ike: 'aes256-sha1-modp1024,3des-sha1-modp1024!', esp: 'aes256-sha1,3des-sha1!', p1: 'aes256-sha1-modp1024', p2: 'aes256-sha1' },
    { name: 'ChromeOS proposals (ESP AES-GCM-16)', ike: 'aes128-sha256-modp2048!', esp: 'aes128gcm16!', p1: 'aes128-sha256-modp2048', p2: 'aes128gcm16' },
  ];
  for (const [i, k] of ipsecMatrix.entries()) {
    test(`strongSwan charon (IKEv1, transport, PSK) + xl2tpd + pppd → tunppp serve with the built-in IPsec, ${k.name}: ping both ways, 1 MB TCP`, async (t) => {
      await runCase(t, `serve l2tp/ipsec (built in) ← charon + xl2tpd, ${k.name}`, async (lab, g, start) => {
        const server = serve(lab, start, undefined, { ipsec: { enabled: true, psk: IPSEC_PSK, address: lab.hostIp, required: true } });
        await server.waitFor(/serving on .*ipsec .*:4500/);
        const up = await g.run(charonClient(lab, k.ike, k.esp), 40_000);
        assert.match(up.output, /connection 'L2TP-PSK' established successfully/, `ipsec up:\n${up.output}`);
        await server.waitFor(new RegExp(`ISAKMP SA established with ${lab.guestIp.replace(/\./g, '\\.')}\\[4500\\]: ${k.p1}`));
        await server.waitFor(new RegExp(`CHILD_SA established with .*: ESP ${k.p2}, transport in UDP 4500`));
        await g.ok(`${xl2tpdLac(lab, [])}\n${waitIpcpOrExit}`, 30_000);
        await server.waitFor(/MS-CHAP-v2 peer interop authenticated/);
        const log = await g.ok('cat /var/log/pppd-client.log');
        assert.match(log, /local {2}IP address 192\.168\.77\.1\d/, `no IPCP:\n${log}`);
        const ping = await g.ok('ping -n -c 3 -i 0.2 -w 10 192.168.77.1');
        assert.match(ping, /3 received/);
        const mine = /local {2}IP address (\S+)/.exec(log)![1]!;
        nsPing(lab, mine);
        assert.equal(await guestUpload(lab, g, '192.168.77.1', 5120 + i), 1_000_000);
        assert.equal(await guestDownload(lab, g, mine, 5130 + i), 1_000_000, 'server → guest');
        const sa = await g.ok('ip xfrm state | grep -c "proto esp"; ip -s xfrm state | grep -m1 -A0 "encap type espinudp"');
        assert.match(sa, /espinudp/, `the kernel's ESP SA is UDP-encapsulated:\n${sa}`);
        return `charon: ${k.p1} / ESP ${k.p2} in UDP 4500 (transport); pppd got ${mine}; 3+3 pings; 1 MB each way`;
      });
    });
  }

  test('strongSwan charon with a wrong PSK → tunppp serve with the built-in IPsec: PSK mismatch logged, no SA', async (t) => {
    await runCase(t, 'serve l2tp/ipsec (built in) ← charon, wrong PSK', async (lab, g, start) => {
      const server = serve(lab, start, undefined, { ipsec: { enabled: true, psk: 'not the guest key', address: lab.hostIp, required: true } });
      await server.waitFor(/serving on .*ipsec .*:4500/);
      const up = await g.run(charonClient(lab, 'aes256-sha1-modp2048!', 'aes256-sha1!').replace('ipsec up L2TP-PSK', 'timeout 9 ipsec up L2TP-PSK'), 20_000);
      await server.waitFor(new RegExp(`PSK mismatch with ${lab.guestIp.replace(/\./g, '\\.')}\\[4500\\]: probable authentication failure \\(mismatch of preshared secrets\\?\\)`));
      assert.doesNotMatch(up.output, /established successfully/);
      // charon's message 5 goes unanswered: nothing authenticated can be sent back.
      assert.match(up.output, /sending retransmit 1 of request message ID 0, seq 3/, up.output);
      assert.doesNotMatch(server.err, /ISAKMP SA established/);
      return 'tunppp: "PSK mismatch … probable authentication failure (mismatch of preshared secrets?)"; charon retransmits its message 5, no SA';
    });
  });

  test('xl2tpd + pppd with a wrong password → tunppp serve (L2TP): E=691 on both sides', async (t) => {
    await runCase(t, 'serve l2tp ← xl2tpd, wrong password', async (lab, g, start) => {
      const server = serve(lab, start);
      await server.waitFor(/serving on .*l2tp/);
      await g.ok(`${xl2tpdLac(lab, [], 'wrong password')}\n${waitIpcpOrExit}`, 30_000);
      await server.waitFor(/Peer interop failed MS-CHAP-v2 authentication: E=691/);
      const log = await g.ok('sleep 0.5; cat /var/log/pppd-client.log');
      assert.match(log, /rcvd \[CHAP Failure id=0x[0-9a-f]+ "E=691 R=1 C=[0-9A-F]{32} V=3 M=[^"]*"\]/, `pppd did not get a well-formed E=691:\n${log}`);
      assert.doesNotMatch(log, /local {2}IP address/);
      return 'tunppp sends E=691 over L2TP, pppd gives up, no IPCP';
    });
  });

  /** The guest pppd's authentication options in the server role (pptpd's or xl2tpd's pppd). */
  const PPPD_AUTH = {
    'MS-CHAP-v2': ['refuse-pap', 'refuse-chap', 'refuse-mschap', 'require-mschap-v2'],
    CHAP: ['refuse-pap', 'refuse-mschap', 'refuse-mschap-v2', 'require-chap'],
    PAP: ['refuse-chap', 'refuse-mschap', 'refuse-mschap-v2', 'require-pap'],
  } as const;

  /** What pppd logs when it accepted our credentials, per protocol. */
  const PPPD_AUTH_OK = {
    'MS-CHAP-v2': /sent \[CHAP Success id=0x[0-9a-f]+ "S=[0-9A-F]{40} M=Access granted"\]/,
    CHAP: /sent \[CHAP Success id=0x[0-9a-f]+ "Access granted"\]/,
    PAP: /sent \[PAP AuthAck id=0x[0-9a-f]+ "Login ok"\]/,
  } as const;

  /**
   * pptpd (`localip 192.168.78.1`, pool .10–20) or xl2tpd as LNS (192.168.79.1,
   * pool .10–20) in the guest, both launching pppd with `options` (auth,
   * MPPE, mtu, +ipv6) and the user's secret in chap-secrets and pap-secrets.
   */
  async function startGuestServer(g: Guest, proto: 'pptp' | 'l2tp', options: readonly string[]): Promise<void> {
    const opts = ['nodefaultroute', 'nobsdcomp', 'nodeflate', 'debug', 'logfile /var/log/pppd.log', ...options].map((o) => `'${o}'`).join(' ');
    const lines = [
      ': >/var/log/syslog; rm -f /var/log/ppp*.log',
      `printf '%s\\n' '${USER} * "${PASSWORD}" *' | tee /etc/ppp/pap-secrets >/etc/ppp/chap-secrets`,
    ];
    if (proto === 'pptp') {
      lines.push(
        "printf '%s\\n' 'option /etc/ppp/pptpd-options' 'localip 192.168.78.1' 'remoteip 192.168.78.10-20' >/etc/pptpd.conf",
        `printf '%s\\n' 'name pptpd' ${opts} >/etc/ppp/pptpd-options`,
        'pptpd --debug',
        'for i in $(seq 100); do ss -ltn | grep -q ":1723 " && exit 0; sleep 0.1; done; exit 1',
      );
    } else {
      lines.push(
        'mkdir -p /etc/xl2tpd /run/xl2tpd',
        "printf '%s\\n' '[global]' 'port = 1701' '[lns default]' 'ip range = 192.168.79.10-192.168.79.20' 'local ip = 192.168.79.1' 'require authentication = no' 'name = xl2tpd' 'ppp debug = yes' 'pppoptfile = /etc/ppp/options.xl2tpd' 'length bit = yes' >/etc/xl2tpd/xl2tpd.conf",
        `printf '%s\\n' 'name xl2tpd' ${opts} >/etc/ppp/options.xl2tpd`,
        'xl2tpd -c /etc/xl2tpd/xl2tpd.conf -p /run/xl2tpd.pid',
        'for i in $(seq 100); do ss -lun | grep -q ":1701 " && exit 0; sleep 0.1; done; exit 1',
      );
    }
    await g.ok(lines.join('\n'));
  }

  /** A TCP listener in the guest that counts what arrives; returns a reader of the count. */
  async function guestSink(g: Guest, port: number): Promise<() => Promise<number>> {
    await g.ok(`rm -f /tmp/sink-${port}; (nc -d -l ${port} | wc -c >/tmp/sink-${port}) >/dev/null 2>&1 &\nfor i in $(seq 50); do ss -ltn | grep -q ":${port} " && exit 0; sleep 0.1; done; echo "nc is not listening on ${port}"; exit 1`);
    return async () => Number((await g.ok(`for i in $(seq 100); do [ -s /tmp/sink-${port} ] && break; sleep 0.1; done; cat /tmp/sink-${port}`)).trim());
  }

  /**
   * The server-direction matrix of issue 8: `tunppp connect` against pptpd +
   * pppd and xl2tpd + pppd with the guest pppd's options, tunppp's options,
   * and what must come out. Dimensions are combined (MPPE-40 with mtu 1200,
   * IPV6CP with mtu 1400, CHAP-MD5 with mtu 1500) to keep the run short.
   */
  const connectMatrix: {
    name: string;
    proto: 'pptp' | 'l2tp';
    auth: keyof typeof PPPD_AUTH;
    /** The guest pppd's options beyond authentication. */
    pppd: string[];
    /** tunppp connect's options. */
    args?: string[];
    /** MPPE both sides must report, e.g. '128-bit stateless'. */
    mppe?: string;
    mtu?: number;
    ipv6?: boolean;
    /**
     * The negotiated MTU does not fit the outer path: a 1500-byte packet is 1538
     * bytes with PPP, GRE and IP (1540 with PPP, L2TP, UDP and IP), and the TAP
     * and UML's eth0 stop at 1500 (the UML device maximum). tunppp sends with DF,
     * gets EMSGSIZE, must lower the link MTU and keep the call.
     */
    pmtuLowers?: boolean;
    /** tunppp gives a wrong password: E=691, exit 1. */
    wrongPassword?: boolean;
  }[] = [
    { name: 'MPPE-128', proto: 'pptp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-128'], mppe: '128-bit stateless' },
    { name: 'MPPE-40, mtu/mru 1200', proto: 'pptp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-40', 'mtu 1200', 'mru 1200'], args: ['--mtu', '1200'], mppe: '40-bit stateless', mtu: 1200 },
    { name: 'MPPE-128 stateful', proto: 'pptp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-128', 'mppe-stateful'], args: ['--mppe-stateful'], mppe: '128-bit stateful' },
    { name: 'CHAP-MD5 without MPPE, mtu/mru 1500', proto: 'pptp', auth: 'CHAP', pppd: ['nomppe', 'mtu 1500', 'mru 1500'], args: ['--mppe', 'refuse', '--mtu', '1500'], mtu: 1500, pmtuLowers: true },
    { name: 'PAP without MPPE', proto: 'pptp', auth: 'PAP', pppd: ['nomppe'], args: ['--mppe', 'refuse', '--allow-pap'] },
    { name: 'IPV6CP on, mtu/mru 1400', proto: 'pptp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-128', '+ipv6', 'mtu 1400', 'mru 1400'], args: ['--ipv6', '--mtu', '1400'], mppe: '128-bit stateless', mtu: 1400, ipv6: true },
    { name: 'wrong password', proto: 'pptp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-128'], wrongPassword: true },
    { name: 'MPPE not asked for', proto: 'l2tp', auth: 'MS-CHAP-v2', pppd: [] },
    { name: 'MPPE-128', proto: 'l2tp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-128'], args: ['--mppe', 'require'], mppe: '128-bit stateless' },
    { name: 'MPPE-40, mtu/mru 1200', proto: 'l2tp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-40', 'mtu 1200', 'mru 1200'], args: ['--mppe', 'require', '--mtu', '1200'], mppe: '40-bit stateless', mtu: 1200 },
    { name: 'MPPE-128 stateful', proto: 'l2tp', auth: 'MS-CHAP-v2', pppd: ['require-mppe-128', 'mppe-stateful'], args: ['--mppe', 'require', '--mppe-stateful'], mppe: '128-bit stateful' },
    { name: 'CHAP-MD5 without MPPE, mtu/mru 1500', proto: 'l2tp', auth: 'CHAP', pppd: ['nomppe', 'mtu 1500', 'mru 1500'], args: ['--mppe', 'refuse', '--mtu', '1500'], mtu: 1500, pmtuLowers: true },
    { name: 'PAP without MPPE', proto: 'l2tp', auth: 'PAP', pppd: ['nomppe'], args: ['--mppe', 'refuse', '--allow-pap'] },
    { name: 'IPV6CP on, mtu/mru 1400', proto: 'l2tp', auth: 'MS-CHAP-v2', pppd: ['+ipv6', 'mtu 1400', 'mru 1400'], args: ['--ipv6', '--mtu', '1400'], mtu: 1400, ipv6: true },
    { name: 'wrong password', proto: 'l2tp', auth: 'MS-CHAP-v2', pppd: [], wrongPassword: true },
  ];

  for (const [i, k] of connectMatrix.entries()) {
    const peer = k.proto === 'pptp' ? 'pptpd' : 'xl2tpd';
    const what = k.wrongPassword
      ? 'E=691, connect exits 1 naming it'
      : `${k.auth}, ${k.mppe ? `MPPE ${k.mppe}` : 'no MPPE'}, IPCP, ping, 1 MB TCP each way${k.ipv6 ? ', ping6 each way' : ''}, clean disconnect`;
    test(`tunppp connect ${k.proto}:// → ${peer} + pppd, ${k.name}: ${what}`, async (t) => {
      await runCase(t, `connect ${k.proto} → ${peer}, ${k.name}`, async (lab, g, start) => {
        const net = k.proto === 'pptp' ? '192.168.78' : '192.168.79';
        await startGuestServer(g, k.proto, [...PPPD_AUTH[k.auth], ...k.pppd]);
        const tunName = `tpc${i}-${process.pid % 10000}`;
        const client = start(['connect', `${k.proto}://${USER}@${lab.guestIp}`, '--tun', tunName, ...(k.args ?? [])], { TUNPPP_PASSWORD: k.wrongPassword ? 'not-the-password' : PASSWORD });
        if (k.wrongPassword) {
          await client.waitFor(/authentication failed: E=691/, 30_000);
          const t0 = Date.now();
          while (client.exitCode === undefined && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
          assert.equal(client.exitCode, 1, `connect exit code\n${client.out}${client.err}`);
          const log = await g.ok('sleep 0.3; cat /var/log/pppd.log');
          assert.match(log, /sent \[CHAP Failure id=0x[0-9a-f]+ "E=691/, `${peer}'s pppd did not refuse us with E=691:\n${log}`);
          assert.doesNotMatch(log, /local {2}IP address/);
          return `${peer}'s pppd sent CHAP Failure E=691; tunppp connect logged it and exited 1`;
        }
        const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)(?:, MPPE (\d+-bit \w+))?/, 30_000);
        assert.equal(m[1], `${net}.10`);
        assert.equal(m[2], `${net}.1`);
        assert.equal(m[5], k.mppe, 'MPPE as tunppp reports it');
        await client.waitFor(new RegExp(`${k.auth} authentication succeeded`));
        const log = await g.ok('for i in $(seq 30); do grep -q "local  IP address" /var/log/pppd.log && break; sleep 0.1; done; cat /var/log/pppd.log');
        assert.match(log, PPPD_AUTH_OK[k.auth], `${peer}'s pppd did not accept our ${k.auth}:\n${log}`);
        assert.equal(/MPPE (\d+-bit \w+) compression enabled/.exec(log)?.[1], k.mppe, `MPPE as pppd reports it:\n${log}`);
        const dev = /Using interface (ppp\d+)/.exec(log)?.[1] ?? 'ppp0';
        nsPing(lab, `${net}.1`);
        const notes: string[] = [];
        if (k.mtu) {
          const ours = Number(m[4]);
          const theirs = Number(/ mtu (\d+)/.exec(await g.ok(`ip -o link show ${dev}`))?.[1]);
          assert.ok(ours <= k.mtu && ours >= k.mtu - 8, `tunppp MTU ${ours} for mtu/mru ${k.mtu}`);
          assert.ok(theirs <= k.mtu && theirs >= k.mtu - 8, `guest ${dev} MTU ${theirs} for mtu/mru ${k.mtu}`);
          let size = Math.min(ours, theirs);
          if (k.pmtuLowers) {
            // The first full-size packet does not fit the outer path: EMSGSIZE, the link MTU comes down, the call stays.
            spawnSync('ip', ['netns', 'exec', lab.ns, 'ping', '-n', '-c', '1', '-w', '2', '-M', 'do', '-s', String(size - 28), `${net}.1`], { timeout: 10_000 });
            const pmtu = await client.waitFor(/path MTU to \S+ is (\d+) \(([^)]*)\); link MTU lowered from (\d+) to (\d+), TCP MSS clamped to (\d+); call kept/, 10_000);
            assert.equal(Number(pmtu[3]), ours);
            notes.push(`pmtu ${pmtu[1]} (${pmtu[2]}): link MTU ${pmtu[3]} → ${pmtu[4]}, MSS ${pmtu[5]}`);
            size = Number(pmtu[4]);
          }
          // A full-size packet with DF passes both ways: the largest both interfaces take.
          lab.exec('ping', ['-n', '-c', '2', '-i', '0.2', '-w', '10', '-M', 'do', '-s', String(size - 28), `${net}.1`], 20_000);
          const big = await g.ok(`ping -n -c 2 -i 0.2 -w 10 -M do -s ${size - 28} ${net}.10`);
          assert.match(big, /2 received/);
          notes.push(`MTU ${ours} (guest ${theirs}), DF pings of ${size} bytes both ways`);
        }
        if (k.ipv6) notes.push(`IPV6CP up, ${await ping6Both(lab, g, log, tunName, false)}`);
        const count = await guestSink(g, 5100 + i);
        await tcpSend(lab.ns, `${net}.1`, 5100 + i, 1_000_000);
        assert.equal(await count(), 1_000_000, 'client → server');
        const sink = tcpSink(lab.ns, `${net}.10`, 5200 + i);
        await sink.listening;
        await g.ok(`head -c 1000000 /dev/zero | nc -N -w 10 ${net}.10 ${5200 + i}`, 30_000);
        assert.equal(await sink.received, 1_000_000, 'server → client');
        const t0 = Date.now();
        assert.equal(await client.stop('SIGINT'), 0);
        const stopMs = Date.now() - t0;
        // The peer acks our LCP Terminate-Request at once; connect then exits (it lingered 3–5 s on a pending
        // timer before). Over L2TP it also waits up to 3 s for the ack of its StopCCN, which xl2tpd does not
        // give (docs/interop.md, findings).
        assert.ok(stopMs < (k.proto === 'pptp' ? 2500 : 4500), `connect took ${stopMs} ms to exit after Ctrl-C`);
        const end = await g.ok('for i in $(seq 30); do pgrep -x pppd >/dev/null || break; sleep 0.1; done; cat /var/log/pppd.log');
        assert.match(end, /LCP terminated by peer|Modem hangup|Connection terminated/, `${peer}'s pppd did not see the call end:\n${end}`);
        return `connected as ${m[1]}, ${k.auth}, ${m[5] ? `MPPE ${m[5]}` : 'no MPPE'}, MTU ${m[4]}${notes.length ? `; ${notes.join('; ')}` : ''}; 3 pings; 1 MB each way; Ctrl-C ends the call, exit in ${(stopMs / 1000).toFixed(1)} s`;
      });
    });
  }

  test('tunppp connect l2tp:// --ipsec-psk-file → strongSwan charon (IKEv1 responder, transport, PSK) + xl2tpd + pppd: IPCP, ping, 1 MB TCP each way, clean disconnect', async (t) => {
    await runCase(t, 'connect l2tp/ipsec (built in) → charon + xl2tpd', async (lab, g, start) => {
      await startGuestServer(g, 'l2tp', [...PPPD_AUTH['MS-CHAP-v2']]);
      const conf = [
        'config setup',
        '  charondebug="ike 1, knl 1, cfg 0"',
        'conn L2TP-PSK-server',
        '  keyexchange=ikev1',
        '  authby=secret',
        '  type=transport',
        `  left=${lab.guestIp}`,
        '  leftprotoport=17/1701',
        '  right=%any',
        '  rightprotoport=17/%any',
        '  auto=add',
      ];
      await g.ok([
        `printf '%s\\n' ${conf.map((l) => `'${l}'`).join(' ')} >/etc/ipsec.conf`,
        `printf '%s\\n' ': PSK "${IPSEC_PSK}"' >/etc/ipsec.secrets`,
        'chmod 600 /etc/ipsec.secrets',
        'ipsec start >/dev/null 2>&1',
        'for i in $(seq 50); do ipsec statusall 2>/dev/null | grep -q "L2TP-PSK-server:" && exit 0; sleep 0.1; done; exit 1',
      ].join('\n'));
      const dir = mkdtempSync(join(tmpdir(), 'tunppp-interop-psk-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'psk'), `${IPSEC_PSK}\n`, { mode: 0o600 });
      const tunName = `tpi-${process.pid % 10000}`;
      const client = start(['connect', `l2tp://${USER}@${lab.guestIp}`, '--tun', tunName, '--ipsec-psk-file', join(dir, 'psk')], { TUNPPP_PASSWORD: PASSWORD });
      const up = await client.waitFor(/ISAKMP SA (\S+) and CHILD_SA ESP (\S+) established with \S+ \(ESP in UDP 4500\)/, 30_000);
      const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)/, 30_000);
      assert.equal(m[1], '192.168.79.10');
      const sas = await g.ok('ipsec status');
      assert.match(sas, /ESTABLISHED/, sas);
      assert.match(sas, /INSTALLED, TRANSPORT, .*ESP in UDP/, sas);
      nsPing(lab, '192.168.79.1');
      const count = await guestSink(g, 5140);
      await tcpSend(lab.ns, '192.168.79.1', 5140, 1_000_000);
      assert.equal(await count(), 1_000_000, 'client → server');
      const sink = tcpSink(lab.ns, '192.168.79.10', 5141);
      await sink.listening;
      await g.ok('head -c 1000000 /dev/zero | nc -N -w 10 192.168.79.10 5141', 30_000);
      assert.equal(await sink.received, 1_000_000, 'server → client');
      assert.equal(await client.stop('SIGINT'), 0);
      const end = await g.ok('for i in $(seq 30); do pgrep -x pppd >/dev/null || break; sleep 0.1; done; cat /var/log/pppd.log');
      assert.match(end, /LCP terminated by peer|Modem hangup|Connection terminated/, `xl2tpd's pppd did not see the call end:\n${end}`);
      return `IKE ${up[1]}, ESP ${up[2]} in UDP 4500 (charon: transport, ESP in UDP); connected as ${m[1]}, MTU ${m[4]}; 3 pings; 1 MB each way; Ctrl-C ends the call`;
    });
  });

  /**
   * The seed scenario of issue 8: guest — router — tunppp, the router's link
   * toward the client (the TAP, and the guest's eth0) at MTU 1300. The real
   * pppd client negotiates MRU 1500, so tunppp's full-size GRE packets (DF)
   * draw ICMP fragmentation-needed from the router: the event that made
   * pptpd hang up. tunppp must keep the call, lower the link MTU, and a
   * 5 MB TCP transfer toward the client must complete.
   */
  test('seed scenario: pptp-linux + pppd (MRU 1500) → router (link toward the client at MTU 1300) → tunppp serve: call kept, pmtu event, 5 MB toward the client', async (t) => {
    await runCase(t, 'serve pptp ← pptp-linux via a 1300-MTU router', async (lab, g, _start) => {
      // lab.ns becomes the router: it keeps the TAP (host side lab.hostIp) and gets a veth to tunppp's namespace.
      const srv = `${lab.ns}-s`;
      const vr = `tpvr${process.pid % 100000}`;
      const vs = `tpvs${process.pid % 100000}`; // not tps…: the e2e harness names its TUN that
      sh('ip', ['netns', 'add', srv]);
      try {
        sh('ip', ['-n', srv, 'link', 'set', 'lo', 'up']);
        sh('ip', ['link', 'add', vr, 'netns', lab.ns, 'type', 'veth', 'peer', 'name', vs, 'netns', srv]);
        sh('ip', ['-n', lab.ns, 'addr', 'add', '10.213.0.1/24', 'dev', vr]);
        sh('ip', ['-n', srv, 'addr', 'add', '10.213.0.2/24', 'dev', vs]);
        sh('ip', ['-n', lab.ns, 'link', 'set', vr, 'up']);
        sh('ip', ['-n', srv, 'link', 'set', vs, 'up']);
        sh('ip', ['-n', srv, 'route', 'add', 'default', 'via', '10.213.0.1']);
        lab.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
        sh('ip', ['-n', lab.ns, 'link', 'set', lab.tap, 'mtu', '1300']);
        await g.ok('ip link set eth0 mtu 1300');

        const cfg = writeServerConfig({ listen: '10.213.0.2', local: '192.168.77.1', ranges: ['192.168.77.10-192.168.77.20'], users: [[USER, PASSWORD]] });
        cleanups.push(cfg.cleanup);
        const server = new Proc(srv, ['serve', '--config', cfg.config, '--debug']);
        procs.push(server);
        try {
          await server.waitFor(/serving on .*pptp/);
          await g.ok(
            [
              ': >/var/log/syslog; rm -f /var/log/ppp*.log',
              GUEST_SECRETS,
              'pppd pty "pptp 10.213.0.2 --nolaunchpppd" name interop remotename tunppp require-mppe-128 refuse-eap noauth mru 1500 mtu 1500 \\',
              '  nodefaultroute nobsdcomp nodeflate maxfail 1 debug logfile /var/log/pppd-client.log',
              'for i in $(seq 150); do grep -q "local  IP address" /var/log/pppd-client.log 2>/dev/null && break; pgrep -x pppd >/dev/null || break; sleep 0.1; done',
            ].join('\n'),
            30_000,
          );
          const log = await g.ok('cat /var/log/pppd-client.log');
          assert.match(log, /local {2}IP address 192\.168\.77\.10/, `no IPCP:\n${log}`);
          assert.match(log, /rcvd \[LCP ConfAck id=0x1 [^\]]*\]|sent \[LCP ConfAck/, 'LCP opened');
          // 5 MB from tunppp's side toward the client, through the 1300-MTU hop.
          const count = await guestSink(g, 5020);
          const t0 = Date.now();
          await tcpSend(srv, '192.168.77.10', 5020, 5_000_000);
          const got = await count();
          const secs = (Date.now() - t0) / 1000;
          assert.equal(got, 5_000_000, 'the whole transfer arrived');
          const pmtu = await server.waitFor(/path MTU to \S+ is (\d+) \(([^)]*)\); link MTU lowered from (\d+) to (\d+), TCP MSS clamped to (\d+); call kept/, 10_000);
          assert.equal(Number(pmtu[1]), 1300, 'the router\'s MTU reached tunppp');
          assert.ok(Number(pmtu[4]) < Number(pmtu[3]));
          const ping = await g.ok('ping -n -c 3 -i 0.2 -w 10 192.168.77.1');
          assert.match(ping, /3 received/, 'the call is still up');
          assert.doesNotMatch(server.err, /link down/, 'tunppp kept the call');
          return `pmtu ${pmtu[1]} (${pmtu[2]}): link MTU ${pmtu[3]} → ${pmtu[4]}, MSS ${pmtu[5]}; 5 MB toward the client in ${secs.toFixed(1)} s; call kept`;
        } catch (e) {
          if (e instanceof Error) e.message += `\n--- tunppp serve (router scenario)\n${server.out}${server.err}`.slice(0, 6000);
          throw e;
        } finally {
          await server.stop('SIGTERM');
        }
      } finally {
        await g.run('pkill -x pppd; sleep 0.3; ip link set eth0 mtu 1500').catch(() => undefined);
        spawnSync('ip', ['-n', lab.ns, 'link', 'set', lab.tap, 'mtu', '1500'], { timeout: 5000 });
        spawnSync('ip', ['netns', 'del', srv], { timeout: 10_000 });
      }
    });
  });
});
