/**
 * The seed scenario: client — router — server, the router's link toward the
 * client at MTU 1400. The server's full-size GRE packets (DF set) draw an
 * ICMP fragmentation-needed from the router — the event that made pptpd hang
 * up. Here the call survives: the server logs the path-MTU event once
 * (event=pmtu) with what it did, lowers the link MTU, and answers oversize
 * inner DF packets with ICMP fragmentation-needed into its TUN, so senders on
 * both ends learn the smaller MTU; ping at the tunnel MTU passes, one byte
 * more is refused with the MTU, and 50 MB of TCP move each way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { Proc, countMatches as count, expectServerPmtu, pingDf as ping, tcpTransfer, writeServerConfig } from './harness.js';

const skip = netnsSkipReason();

test('pptp pmtu: router link at MTU 1400 → ICMP frag-needed to the server; call kept, event=pmtu logged once, ping at the tunnel MTU and 50 MB TCP each way', { skip, timeout: 240_000 }, async (t) => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({ listen: '10.205.2.1', local: '192.168.79.1', ranges: ['192.168.79.10-192.168.79.20'], users: [['pmtu', 'pw-pmtu']] });
  const procs: Proc[] = [];
  try {
    const { c, s } = lab.routed({ client: '10.205.1.2/24', routerClient: '10.205.1.1/24', routerServer: '10.205.2.2/24', server: '10.205.2.1/24' });
    run('ip', ['netns', 'exec', c, 'ping', '-c', '1', '-W', '2', '10.205.2.1'], 10_000);

    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on pptp 10\.205\.2\.1:1723/);
    const client = new Proc(c, ['connect', 'pptp://pmtu@10.205.2.1', '--tun', 'tpm0'], { TUNPPP_PASSWORD: 'pw-pmtu' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+), MPPE (128-bit \w+)/);
    const [clientIp, serverIp, , mtuText] = [m[1]!, m[2]!, m[3]!, m[4]!];
    const mtu0 = Number(mtuText);
    t.diagnostic(`link MTU at setup: ${mtu0}`);

    // a full-size packet from the server: its GRE no longer fits the router's link; pings up to the lowered tunnel MTU pass
    const { line, mtu: mtu1 } = await expectServerPmtu(server, s, clientIp, '10.205.1.2', mtu0);
    t.diagnostic(`server: ${line}`);
    // the client learns it too (EMSGSIZE on its own 1400-byte link, or the first oversize send)
    ping(c, serverIp, mtu0 - 28, 2);
    for (const size of [56, 1000, 1300, mtu1 - 28]) {
      const okUp = ping(c, serverIp, size);
      assert.ok(okUp.ok, okUp.out);
    }
    const cev = await client.waitFor(/path MTU to 10\.205\.2\.1 is 1400 \(([^)]*)\); link MTU lowered from \d+ to (\d+)/, 10_000);
    t.diagnostic(`client: ${cev[0]}`);
    const tooBigUp = ping(c, serverIp, Number(cev[2]) - 27);
    assert.ok(!tooBigUp.ok);
    assert.match(tooBigUp.out, new RegExp(`mtu ?= ?${cev[2]}`), tooBigUp.out);

    // 50 MB each way over TCP through the tunnel
    const MB50 = 50 * 1024 * 1024;
    const up = await tcpTransfer(s, c, serverIp, 5101, MB50, 120_000);
    assert.equal(up.received, MB50);
    const down = await tcpTransfer(c, s, clientIp, 5102, MB50, 120_000);
    assert.equal(down.received, MB50);
    t.diagnostic(`50 MB client→server in ${up.ms} ms, server→client in ${down.ms} ms`);

    // one call all along, one event
    assert.equal(count(/event=pmtu/, server.err), 1, 'the PMTU event is logged once');
    assert.equal(count(/link down/, server.err), 0);
    assert.equal(count(/Starting call/, server.err), 1);
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
