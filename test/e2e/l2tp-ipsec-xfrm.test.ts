/**
 * L2TP/IPsec end to end without an IKE daemon: static ESP transport-mode SAs
 * and policies (ip xfrm) for UDP 1701 in both namespaces, the way strongSwan
 * installs them after Quick Mode, with inbound policies that refuse plain
 * L2TP. `tunppp serve` and `tunppp connect l2tp://` run unchanged: the kernel
 * decrypts ESP before the UDP socket, so tunppp reads L2TP on the same port.
 * On the wire there is only ESP; the SAs count the traffic.
 *
 * It needs a kernel with ESP (CONFIG_INET_ESP) and skips without one; the
 * strongSwan test (l2tp-ipsec.test.ts) runs IKE and userspace ESP instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, tcpTransfer, writeServerConfig } from './harness.js';
import { Capture, tcpdumpMissing } from './capture.js';
import { parseCapture } from '../../src/wire/pcap.js';

const AUTH_KEY = '0x' + '1f'.repeat(32); // HMAC-SHA-256 key (test only)
const ENC_KEY = '0x' + '2e'.repeat(16); // AES-128 key (test only)

/** Why ESP SAs cannot be made here (a kernel without CONFIG_INET_ESP), or undefined. */
function espSkipReason(): string | undefined {
  const ns = `tp-esp-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns], { timeout: 5000 }).status !== 0) return 'cannot create a network namespace';
  try {
    const r = spawnSync('ip', ['-n', ns, 'xfrm', 'state', 'add', 'src', '192.0.2.1', 'dst', '192.0.2.2', 'proto', 'esp', 'spi', '0x1', 'mode', 'transport', 'auth-trunc', 'hmac(sha256)', AUTH_KEY, '128', 'enc', 'cbc(aes)', ENC_KEY], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? undefined : `the kernel cannot make ESP SAs (${r.stderr.trim()}; needs CONFIG_INET_ESP and cbc(aes), hmac(sha256))`;
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { timeout: 5000 });
  }
}

const skip = netnsSkipReason() ?? espSkipReason();

/** ESP transport-mode SAs both ways and policies for L2TP (UDP 1701 on the server) in `ns`. */
function ipsec(lab: NetnsLab, ns: string, self: string, peer: string, selfIsServer: boolean): void {
  const server = selfIsServer ? self : peer;
  const client = selfIsServer ? peer : self;
  for (const [src, dst, spi] of [
    [client, server, '0x1001'],
    [server, client, '0x1002'],
  ] as const) {
    lab.ip(ns, 'xfrm', 'state', 'add', 'src', src, 'dst', dst, 'proto', 'esp', 'spi', spi, 'mode', 'transport', 'reqid', '1', 'auth-trunc', 'hmac(sha256)', AUTH_KEY, '128', 'enc', 'cbc(aes)', ENC_KEY);
  }
  // Client → server: to UDP 1701 on the server. Server → client: from UDP 1701.
  const toServer = ['src', client, 'dst', server, 'proto', 'udp', 'dport', '1701'];
  const fromServer = ['src', server, 'dst', client, 'proto', 'udp', 'sport', '1701'];
  const tmpl = (src: string, dst: string) => ['tmpl', 'src', src, 'dst', dst, 'proto', 'esp', 'mode', 'transport', 'reqid', '1'];
  if (selfIsServer) {
    lab.ip(ns, 'xfrm', 'policy', 'add', ...toServer, 'dir', 'in', ...tmpl(client, server));
    lab.ip(ns, 'xfrm', 'policy', 'add', ...fromServer, 'dir', 'out', ...tmpl(server, client));
  } else {
    lab.ip(ns, 'xfrm', 'policy', 'add', ...toServer, 'dir', 'out', ...tmpl(client, server));
    lab.ip(ns, 'xfrm', 'policy', 'add', ...fromServer, 'dir', 'in', ...tmpl(server, client));
  }
}

/** Packets the SA with `spi` has processed, from `ip -s xfrm state list`. */
function saPackets(lab: NetnsLab, ns: string, spi: number): number {
  const blocks = lab.ip(ns, '-s', 'xfrm', 'state', 'list').split(/\n(?=src )/);
  const block = blocks.find((b) => new RegExp(`spi 0x0*${spi.toString(16)}\\b`).test(b));
  const m = block ? /lifetime current:\s+(\d+)\(bytes\), (\d+)\(packets\)/.exec(block) : null;
  return m ? Number(m[2]) : -1;
}

test('l2tp/ipsec xfrm e2e: ESP transport-mode SAs on UDP 1701 (static xfrm, as strongSwan installs them) → tunppp serve/connect unchanged, only ESP on the wire', { skip, timeout: 120_000 }, async () => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({
    listen: '10.207.0.1',
    local: '192.168.87.1',
    ranges: ['192.168.87.10-192.168.87.20'],
    users: [['erin', 'pw erin']],
    extra: {
      listen: { pptp: { enabled: false }, l2tp: { addresses: ['10.207.0.1'] } },
      // docs/l2tp.md: under IPsec set the PPP sizes for the ESP overhead.
      ppp: { mtu: 1400, mru: 1400 },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-l2tp-xfrm-'));
  const procs: Proc[] = [];
  const caps: Capture[] = [];
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.207.0.1/24', c, 'veth-c', '10.207.0.2/24');
    ipsec(lab, s, '10.207.0.1', '10.207.0.2', true);
    ipsec(lab, c, '10.207.0.2', '10.207.0.1', false);
    const plain = tcpdumpMissing ? undefined : new Capture(s, 'veth-s', join(dir, 'plain.pcap'), 'udp port 1701');
    const esp = tcpdumpMissing ? undefined : new Capture(s, 'veth-s', join(dir, 'esp.pcap'), 'esp');
    for (const cap of [plain, esp]) {
      if (cap) {
        caps.push(cap);
        await cap.started();
      }
    }
    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on l2tp 10\.207\.0\.1:1701/);
    const client = new Proc(c, ['connect', 'l2tp://erin@10.207.0.1', '--tun', 'tlc1'], { TUNPPP_PASSWORD: 'pw erin' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)/);
    assert.equal(m[1], '192.168.87.10');
    assert.ok(Number(m[4]) <= 1400, `link MTU ${m[4]} fits the ESP overhead`);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.87.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.87.10'], 20_000);
    assert.equal((await tcpTransfer(s, c, '192.168.87.1', 5011, 1_000_000)).received, 1_000_000);
    assert.equal((await tcpTransfer(c, s, '192.168.87.10', 5012, 1_000_000)).received, 1_000_000);
    assert.equal(await client.stop('SIGINT'), 0);
    await server.waitFor(/Tunnel \d+ to .* closed: peer sent StopCCN/);
    // Both SAs carried the tunnel, in both namespaces.
    for (const ns of [s, c]) for (const spi of [0x1001, 0x1002]) assert.ok(saPackets(lab, ns, spi) > 500, `SA 0x${spi.toString(16)} in ${ns} used (${saPackets(lab, ns, spi)} packets)`);
    for (const cap of caps) await cap.stop();
    if (plain && esp) {
      assert.equal(parseCapture(new Uint8Array(readFileSync(plain.file)))!.length, 0, 'no plain L2TP on the wire');
      assert.ok(parseCapture(new Uint8Array(readFileSync(esp.file)))!.length > 1000, 'ESP on the wire');
    }
  } catch (err) {
    appendProcLogs(err, procs);
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    for (const cap of caps) await cap.stop();
    lab.cleanup();
    cfg.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
