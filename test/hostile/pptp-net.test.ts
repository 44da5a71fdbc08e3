/**
 * Black-box PPTP attacks from the attacker namespace of the hostile lab
 * (test/hostile/net/harness.ts), issue 12: control connections that never
 * send FIN (finding 7), a forged ICMP fragmentation-needed (finding 9), and
 * GRE swept over every Call ID from the attacker's address and spoofed as
 * the client (random Call IDs, the GRE sequence window). Each time a
 * legitimate PPTP session keeps answering pings and the API keeps answering.
 *
 * Finding 8 (IPv6 with a spoofed source from inside a tunnel) is in
 * test/hostile/ipv6-source.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { netnsSkipReason } from '../io/netns.js';
import { apiRequest, type ApiTarget } from '../../src/api/client.js';
import { bestTunnelMtu } from '../../src/mtu/overhead.js';
import { fetchMetrics, metricValue, type Proc } from '../e2e/harness.js';
import { ATTACKER_IP, CLIENT_IP, hostileRun, SERVER_IP } from './net/harness.js';

const skip = netnsSkipReason();
/** The raw-packet attacks send through python3's socket module (test/hostile/net/raw-ipv4.ts). */
const skipRaw = skip || (spawnSync('python3', ['-c', 'import socket'], { timeout: 10_000 }).status === 0 ? false : 'python3 is needed to send raw IPv4 from the attacker namespace');

/** The pid of the server's node process (`ip netns exec` execs it, but look at its children if it forked). */
function nodePid(p: Proc): number {
  const pid = p.child.pid!;
  if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node') return pid;
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const node = kids.find((k) => readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'node');
  assert.ok(node !== undefined, `no node process under ${pid}`);
  return node;
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/**
 * Descriptors of `pid` that are TCP sockets on local port 1723 other than
 * the listener: its socket inodes matched against its namespace's
 * /proc/net/tcp (a socket whose descriptor was closed has inode 0 there).
 */
function controlFds(pid: number): number {
  const inodes = new Set<string>();
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10 && f[1]!.endsWith(':06BB') && f[3] !== '0A') inodes.add(f[9]!);
  }
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

async function metric(api: ApiTarget, series: string): Promise<number> {
  const v = metricValue(await fetchMetrics(api), series);
  return Number.isNaN(v) ? 0 : v;
}

async function sessions(api: ApiTarget): Promise<{ mtu: number; protocol?: string }[]> {
  const r = await apiRequest(api, 'GET', '/sessions');
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body) as { sessions?: { mtu: number }[] } | { mtu: number }[];
  return Array.isArray(body) ? body : (body.sessions ?? []);
}

test('PPTP control connections that never send FIN (finding 7): the server holds no more descriptors than maxConnectionsPerSource allows; the legitimate session lives', { skip, timeout: 120_000 }, async (t) => {
  await hostileRun(
    {
      protocols: ['pptp'],
      extra: {
        listen: { pptp: { addresses: [SERVER_IP], startTimeoutS: 1 }, l2tp: { enabled: false } },
        limits: { maxConnectionsPerSource: 4, connectRatePerSource: 1000 },
      },
    },
    async (h) => {
      const legit = await h.legit('pptp');
      const pid = nodePid(h.server);
      await new Promise((r) => setTimeout(r, 500));
      const baseline = openFds(pid);
      assert.equal(controlFds(pid), 1, 'the legitimate control connection');
      let peak = baseline;
      let peakControl = 1;
      const sampler = setInterval(() => {
        peak = Math.max(peak, openFds(pid));
        peakControl = Math.max(peakControl, controlFds(pid));
      }, 50);
      let r;
      try {
        r = await h.attack('test/hostile/net/attacks/pptp-no-fin.ts', [SERVER_IP, '8', '100'], 30_000);
      } finally {
        clearInterval(sampler);
      }
      t.diagnostic(`attack: ${r.out.trim()}; server descriptors: ${baseline} before, ${peak} at most during the attack; TCP 1723 descriptors at most ${peakControl}`);
      const m = /ATTEMPTS (\d+) CONNECTED (\d+) FIN (\d+)/.exec(r.out);
      assert.ok(m, r.err);
      assert.ok(Number(m[3]) >= 8, 'the handshake timeout ended connections one after another');
      assert.ok(peakControl <= 4 + 1, `the server held ${peakControl} control sockets at once (4 per source, plus the legitimate one)`);
      // The same from the whole descriptor table, with room for the API polls that come and go.
      assert.ok(peak - baseline <= 4 + 4, `the server held ${peak - baseline} more descriptors during the attack`);
      assert.ok((await metric(h.api, 'tunppp_refusals_total{reason="too-many-from-source"}')) > 0, 'connections over the limit were refused');
      await legit.watch.assertAlive();
    },
  );
});

test('forged ICMP fragmentation-needed claiming MTU 112 (finding 9): the call’s link MTU is that of a 552-byte path, counted as clamped; the session lives', { skip: skipRaw, timeout: 120_000 }, async (t) => {
  await hostileRun({ protocols: ['pptp'] }, async (h) => {
    const legit = await h.legit('pptp');
    const [before] = await sessions(h.api);
    assert.ok(before, 'one session');
    const r = await h.attack('test/hostile/net/attacks/icmp-frag-needed.ts', [SERVER_IP, CLIENT_IP, ATTACKER_IP, '112', '3']);
    assert.match(r.out, /SENT 3/, r.err);
    const line = await h.server.waitFor(/path MTU to 10\.201\.0\.2 is (\d+) \(([^)]*)\); link MTU lowered from (\d+) to (\d+)/, 10_000);
    t.diagnostic(line[0]);
    const floor = bestTunnelMtu(552, { proto: 'pptp' }).ipMtu;
    const [after] = await sessions(h.api);
    assert.equal(after?.mtu, floor, `link MTU ${after?.mtu}: a 552-byte path allows ${floor}, a 112-byte one 68`);
    assert.equal(line[1], '552');
    assert.match(line[2]!, /claimed 112, below the floor 552/);
    assert.ok((await metric(h.api, 'tunppp_pmtu_changes_total{change="clamped"}')) >= 1);
    assert.equal(await metric(h.api, 'tunppp_pmtu_changes_total{change="lowered"}'), 1, 'lowered once; the next ICMPs change nothing');
    await legit.watch.assertAlive();
    assert.doesNotMatch(h.server.err, /link down/);
  });
});

test('GRE for every Call ID from the attacker’s address, then spoofed as the client with an LCP Terminate-Request far out of sequence: all dropped and counted; the session lives', { skip: skipRaw, timeout: 180_000 }, async (t) => {
  await hostileRun({ protocols: ['pptp'] }, async (h) => {
    const legit = await h.legit('pptp');
    const unknown0 = await metric(h.api, 'tunppp_drops_total{source="gre",reason="unknown-call"}');
    const own = await h.attack('test/hostile/net/attacks/gre-sweep.ts', [SERVER_IP, ATTACKER_IP, '2147483648', '30000'], 60_000);
    assert.match(own.out, /SENT 65535/, own.err);
    const unknown1 = await metric(h.api, 'tunppp_drops_total{source="gre",reason="unknown-call"}');
    t.diagnostic(`from the attacker's address: ${unknown1 - unknown0} of 65535 counted as unknown-call`);
    assert.ok(unknown1 - unknown0 >= 65535 * 0.9, `only ${unknown1 - unknown0} counted`);
    const spoofed = await h.attack('test/hostile/net/attacks/gre-sweep.ts', [SERVER_IP, CLIENT_IP, '2147483648', '30000'], 60_000);
    assert.match(spoofed.out, /SENT 65535/, spoofed.err);
    // Had the Terminate-Request been taken, LCP would end the link within its 3 s restart timer.
    await new Promise((r) => setTimeout(r, 4000));
    const oow = await metric(h.api, 'tunppp_drops_total{source="gre",reason="out-of-window"}');
    t.diagnostic(`spoofed as the client: ${oow} out-of-window (the live call's Call ID), the rest unknown-call`);
    assert.doesNotMatch(h.server.err, /link down/, 'the spoofed Terminate-Request ended the call');
    assert.ok(oow >= 1, 'the packet that named the live call was dropped as out-of-window');
    await legit.watch.assertAlive();
    assert.equal((await sessions(h.api)).length, 1);
  });
});
