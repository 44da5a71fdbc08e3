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
import { netnsSkipReason, run } from '../io/netns.js';
import { e2eRun, expectPmtuCallKept, expectServerPmtu, pingDf as ping, PMTU_LOG_TAIL, tcpBothWays } from './harness.js';

const skip = netnsSkipReason();

test('pptp pmtu: router link at MTU 1400 → ICMP frag-needed to the server; call kept, event=pmtu logged once, ping at the tunnel MTU and 50 MB TCP each way', { skip, timeout: 240_000 }, async (t) => {
  await e2eRun({ listen: '10.205.2.1', local: '192.168.79.1', ranges: ['192.168.79.10-192.168.79.20'], users: [['pmtu', 'pw-pmtu']] }, async (e2e) => {
    const { c, s } = e2e.lab.routed({ client: '10.205.1.2/24', routerClient: '10.205.1.1/24', routerServer: '10.205.2.2/24', server: '10.205.2.1/24' });
    run('ip', ['netns', 'exec', c, 'ping', '-c', '1', '-W', '2', '10.205.2.1'], 10_000);

    const server = e2e.serve(s);
    await server.waitFor(/serving on pptp 10\.205\.2\.1:1723/);
    const { client, address: clientIp, serverAddress: serverIp, mtu: mtu0, mppe } = await e2e.connect(c, 'pptp://pmtu@10.205.2.1', 'tpm0', 'pw-pmtu');
    assert.match(mppe ?? '', /^128-bit \w+/);
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
    const { upMs, downMs } = await tcpBothWays(s, c, serverIp, clientIp, 5101, 50 * 1024 * 1024, 120_000);
    t.diagnostic(`50 MB client→server in ${upMs} ms, server→client in ${downMs} ms`);

    // one call all along, one event
    await expectPmtuCallKept(server, client, /Starting call/);
  }, PMTU_LOG_TAIL);
});
