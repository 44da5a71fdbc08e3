/**
 * L2TP through a router whose link toward the client has MTU 1400: the
 * server's full-size L2TP datagrams (DF set by the addon's UDP socket) draw
 * an ICMP fragmentation-needed from the router; the server lowers the link
 * MTU and MSS clamp (event=pmtu, once), keeps the call, and answers oversize
 * inner DF packets with ICMP fragmentation-needed into its TUN. The client
 * learns the same from EMSGSIZE or the ICMP toward the server. Pings at the
 * tunnel MTU pass, one byte more is refused with the MTU, TCP moves each way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { nativeUdpAvailable } from '../../src/io/udp-socket.js';
import { Proc, countMatches as count, expectServerPmtu, pingDf as ping, tcpTransfer, writeServerConfig } from './harness.js';

const skip = netnsSkipReason() ?? (nativeUdpAvailable() ? undefined : 'the native addon has no UDP socket (npm rebuild)');

test('l2tp pmtu: router link at MTU 1400 → ICMP frag-needed to the server; call kept, event=pmtu logged once, ping at the tunnel MTU and 10 MB TCP each way', { skip, timeout: 180_000 }, async (t) => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({
    listen: '10.206.2.1',
    local: '192.168.81.1',
    ranges: ['192.168.81.10-192.168.81.20'],
    users: [['pmtu', 'pw-pmtu']],
    extra: { listen: { pptp: { enabled: false }, l2tp: { addresses: ['10.206.2.1'] } }, ppp: { mppe: { l2tpMode: 'allow' } } },
  });
  const procs: Proc[] = [];
  try {
    const { c, s } = lab.routed({ client: '10.206.1.2/24', routerClient: '10.206.1.1/24', routerServer: '10.206.2.2/24', server: '10.206.2.1/24' });
    run('ip', ['netns', 'exec', c, 'ping', '-c', '1', '-W', '2', '10.206.2.1'], 10_000);

    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on l2tp 10\.206\.2\.1:1701/);
    const client = new Proc(c, ['connect', 'l2tp://pmtu@10.206.2.1', '--tun', 'tpl0'], { TUNPPP_PASSWORD: 'pw-pmtu' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)/);
    const [clientIp, serverIp, , mtuText] = [m[1]!, m[2]!, m[3]!, m[4]!];
    const mtu0 = Number(mtuText);
    t.diagnostic(`link MTU at setup: ${mtu0}`);

    // a full-size packet from the server: its L2TP datagram no longer fits the router's link; pings up to the lowered tunnel MTU pass
    const { line } = await expectServerPmtu(server, s, clientIp, '10.206.1.2', mtu0);
    t.diagnostic(`server: ${line}`);
    // the client learns it too (EMSGSIZE on its own 1400-byte link)
    ping(c, serverIp, mtu0 - 28, 2);
    const cev = await client.waitFor(/path MTU to 10\.206\.2\.1 is 1400 \(([^)]*)\); link MTU lowered from \d+ to (\d+)/, 10_000);
    t.diagnostic(`client: ${cev[0]}`);
    for (const size of [56, 1000, Number(cev[2]) - 28]) {
      const okUp = ping(c, serverIp, size);
      assert.ok(okUp.ok, okUp.out);
    }

    const MB10 = 10 * 1024 * 1024;
    const up = await tcpTransfer(s, c, serverIp, 5111, MB10, 90_000);
    assert.equal(up.received, MB10);
    const down = await tcpTransfer(c, s, clientIp, 5112, MB10, 90_000);
    assert.equal(down.received, MB10);
    t.diagnostic(`10 MB client→server in ${up.ms} ms, server→client in ${down.ms} ms`);

    assert.equal(count(/event=pmtu/, server.err), 1, 'the PMTU event is logged once');
    assert.equal(count(/link down/, server.err), 0);
    assert.equal(count(/Call established/, server.err), 1);
    assert.equal(client.exitCode, undefined, 'the client is still connected');
    assert.equal(await client.stop('SIGINT'), 0);
    await server.waitFor(/link down: .*Connect time/);
  } catch (err) {
    for (const p of procs) (err as Error).message += `\n--- ${p.child.spawnargs.slice(5).join(' ')}\n${p.out.slice(-4000)}\n${p.err.slice(-8000)}`;
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    lab.cleanup();
    cfg.cleanup();
  }
});
