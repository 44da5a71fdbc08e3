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
import { netnsSkipReason, run } from '../io/netns.js';
import { nativeUdpAvailable } from '../../src/io/udp-socket.js';
import { e2eRun, expectPmtuCallKept, expectServerPmtu, pingDf as ping, PMTU_LOG_TAIL, tcpBothWays, type ServerConfigOpts } from './harness.js';

const skip = netnsSkipReason() ?? (nativeUdpAvailable() ? undefined : 'the native addon has no UDP socket (npm rebuild)');

test('l2tp pmtu: router link at MTU 1400 → ICMP frag-needed to the server; call kept, event=pmtu logged once, ping at the tunnel MTU and 10 MB TCP each way', { skip, timeout: 180_000 }, async (t) => {
  const cfg: ServerConfigOpts = {
    listen: '10.206.2.1',
    local: '192.168.81.1',
    ranges: ['192.168.81.10-192.168.81.20'],
    users: [['pmtu', 'pw-pmtu']],
    extra: { listen: { pptp: { enabled: false }, l2tp: { addresses: ['10.206.2.1'] } }, ppp: { mppe: { l2tpMode: 'allow' } } },
  };
  await e2eRun(cfg, async (e2e) => {
    const { c, s } = e2e.lab.routed({ client: '10.206.1.2/24', routerClient: '10.206.1.1/24', routerServer: '10.206.2.2/24', server: '10.206.2.1/24' });
    run('ip', ['netns', 'exec', c, 'ping', '-c', '1', '-W', '2', '10.206.2.1'], 10_000);

    const server = e2e.serve(s);
    await server.waitFor(/serving on l2tp 10\.206\.2\.1:1701/);
    const { client, address: clientIp, serverAddress: serverIp, mtu: mtu0 } = await e2e.connect(c, 'l2tp://pmtu@10.206.2.1', 'tpl0', 'pw-pmtu');
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

    const { upMs, downMs } = await tcpBothWays(s, c, serverIp, clientIp, 5111, 10 * 1024 * 1024, 90_000);
    t.diagnostic(`10 MB client→server in ${upMs} ms, server→client in ${downMs} ms`);

    await expectPmtuCallKept(server, client, /Call established/);
  }, PMTU_LOG_TAIL);
});
