/**
 * L2TP/IPsec end to end through strongSwan: a charon in each of two network
 * namespaces, IKEv1 with a pre-shared key, `tunppp serve` behind the server's
 * charon and `tunppp connect l2tp://` behind the client's.
 *
 * This host's kernel has no ESP (no CONFIG_INET_ESP), so both charons use the
 * kernel-libipsec plugin: ESP in userspace, packets to and from the peer
 * routed through a TUN device (ipsec0). kernel-libipsec supports tunnel mode
 * only, so the test runs a host-to-host tunnel: /32 traffic selectors (the
 * two IKE addresses) restricted to UDP 1701, i.e. exactly the packets a
 * transport-mode SA for L2TP covers, with an extra inner IP header. The
 * server loads examples/strongswan/swanctl.conf unchanged first (it parses
 * and charon accepts it; a transport-mode child fails to install with
 * kernel-libipsec, which the test shows), then the same file with
 * `mode = tunnel`. kernel-libipsec carries ESP in UDP 4500 only, so the client
 * forces UDP encapsulation (`encap = yes`), as NAT-T does behind a NAT. The
 * client proposes "UDP, any port" for its own side, as macOS and iOS do, which
 * the example's `remote_ts = dynamic[udp]` accepts.
 *
 * Measured: IKE and the CHILD_SA come up; on the veth there is ESP in UDP
 * 4500 and no cleartext UDP 1701, while on the server's ipsec0 the decrypted
 * L2TP appears; ping, full-size DF pings at the PPP MTU `tunppp mtu` derives
 * for ipsec0's 1400-byte MTU, and 1 MB of TCP each way go through the PPP
 * tunnel; the server's API lists the L2TP session and /metrics counts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, tcpTransfer, writeServerConfig } from './harness.js';
import { Capture, tcpdumpMissing } from './capture.js';
import { Charon, strongswanSkipReason } from './strongswan.js';
import { parseCapture, type PcapPacket } from '../../src/wire/pcap.js';
import { apiRequest } from '../../src/api/client.js';
import { readToken } from '../../src/api/token.js';
import type { SessionInfo } from '../../src/api/types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const skip = netnsSkipReason() ?? strongswanSkipReason() ?? (tcpdumpMissing ? 'tcpdump is not installed (Debian package tcpdump)' : undefined);

const PSK = 'l2tp-ipsec e2e psk';
const SERVER = '10.204.0.1';
const CLIENT = '10.204.0.2';

/** The client's side: IKEv1 PSK to the server, L2TP between the two hosts, one transport and one tunnel child. */
const CLIENT_SWANCTL = `connections {
  l2tp {
    version = 1
    remote_addrs = ${SERVER}
    proposals = aes256-sha256-modp2048
    # kernel-libipsec sends and receives ESP only in UDP 4500.
    encap = yes
    local { auth = psk }
    remote { auth = psk }
    children {
      l2tp-transport {
        mode = transport
        local_ts = dynamic[udp/l2tp]
        remote_ts = dynamic[udp/l2tp]
        esp_proposals = aes256-sha256
      }
      # Our side "UDP, any port", as macOS and iOS propose: the example's
      # remote_ts = dynamic[udp] must accept it (the rightprotoport=17/%any quirk).
      l2tp {
        mode = tunnel
        local_ts = dynamic[udp]
        remote_ts = dynamic[udp/l2tp]
        esp_proposals = aes256-sha256
      }
    }
  }
}
secrets {
  ike-l2tp { secret = "${PSK}" }
}
`;

/** UDP packets to or from `port` in an Ethernet or raw-IP capture. */
function udpPort(p: PcapPacket, port: number): { payload: Uint8Array } | undefined {
  const ip = p.linkType === 1 ? p.bytes.subarray(14) : p.bytes;
  if (p.linkType === 1 && (p.bytes[12] !== 0x08 || p.bytes[13] !== 0x00)) return undefined;
  if (ip.length < 28 || ip[0]! >> 4 !== 4 || ip[9] !== 17) return undefined;
  const ihl = (ip[0]! & 0x0f) * 4;
  const dv = new DataView(ip.buffer, ip.byteOffset + ihl);
  if (dv.getUint16(0) !== port && dv.getUint16(2) !== port) return undefined;
  return { payload: ip.subarray(ihl + 8) };
}

function readPcap(file: string): PcapPacket[] {
  const packets = parseCapture(new Uint8Array(readFileSync(file)));
  assert.ok(packets, `cannot read ${file}`);
  return packets;
}

function tunpppMtu(args: string[]): { pppMtu: number; ipMtu: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), 'mtu', ...args, '--json'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { pppMtu: number; ipMtu: number };
}

test('l2tp/ipsec e2e: strongSwan (IKEv1 PSK, kernel-libipsec, host-to-host tunnel on UDP 1701, ESP in UDP) in front of tunppp serve/connect → only ESP on the wire, ping/TCP through PPP, session in the API', { skip, timeout: 90_000 }, async () => {
  const t0 = Date.now();
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-l2tp-ipsec-'));
  // docs/l2tp.md: with kernel-libipsec, ipsec0 (MTU 1400) is the path tunppp sees.
  const sizes = tunpppMtu(['--proto', 'l2tp', '--path-mtu', '1400', '--mppe']);
  assert.equal(sizes.pppMtu, 1356);
  const cfg = writeServerConfig({
    listen: SERVER,
    local: '192.168.84.1',
    ranges: ['192.168.84.10-192.168.84.20'],
    users: [['erin', 'pw erin']],
    extra: {
      listen: { pptp: { enabled: false }, l2tp: { addresses: [SERVER] } },
      ppp: { mtu: sizes.pppMtu, mru: sizes.pppMtu, mppe: { l2tpMode: 'allow' } },
    },
  });
  const sock = join(cfg.dir, 'api.sock');
  const tokenFile = join(cfg.dir, 'api-token');
  const procs: Proc[] = [];
  const caps: Capture[] = [];
  const charons: Charon[] = [];
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', `${SERVER}/24`, c, 'veth-c', `${CLIENT}/24`);
    for (const side of ['s', 'c']) mkdirSync(join(dir, side));
    const sw = new Charon(s, join(dir, 's'));
    const cw = new Charon(c, join(dir, 'c'));
    charons.push(sw, cw);
    await sw.started();
    await cw.started();

    const wire = new Capture(s, 'veth-s', join(dir, 'veth.pcap'), 'udp');
    const inner = new Capture(s, 'ipsec0', join(dir, 'ipsec0.pcap'), 'udp port 1701');
    for (const cap of [wire, inner]) {
      caps.push(cap);
      await cap.started();
    }

    // The example, unchanged: swanctl parses it and charon accepts it.
    const example = readFileSync(join(root, 'examples/strongswan/swanctl.conf'), 'utf8');
    const exampleFile = join(dir, 's', 'example.conf');
    writeFileSync(exampleFile, example.replace('change-this-pre-shared-key', PSK));
    let r = sw.swanctl(['--load-all', '--file', exampleFile]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /loaded connection 'l2tp-psk'/);
    assert.match(sw.swanctl(['--list-conns']).out, /l2tp: TRANSPORT/);
    const clientFile = join(dir, 'c', 'client.conf');
    writeFileSync(clientFile, CLIENT_SWANCTL);
    r = cw.swanctl(['--load-all', '--file', clientFile]);
    assert.equal(r.code, 0, r.out);

    // Transport mode, as the example asks: IKE comes up, the CHILD_SA cannot be installed in libipsec.
    r = cw.swanctl(['--initiate', '--child', 'l2tp-transport', '--timeout', '15']);
    assert.notEqual(r.code, 0, `a transport-mode CHILD_SA installed with kernel-libipsec:\n${r.out}`);
    assert.match(r.out, /IKE_SA l2tp\[\d+\] established/);
    assert.match(`${cw.logText()}${sw.logText()}`, /unsupported mode/);

    // The same example with mode = tunnel: host to host, UDP 1701.
    const tunnelExample = example.replace(/mode = transport/, 'mode = tunnel');
    assert.notEqual(tunnelExample, example);
    writeFileSync(exampleFile, tunnelExample.replace('change-this-pre-shared-key', PSK));
    r = sw.swanctl(['--load-all', '--file', exampleFile]);
    assert.equal(r.code, 0, r.out);
    assert.match(sw.swanctl(['--list-conns']).out, /l2tp: TUNNEL/);
    r = cw.swanctl(['--initiate', '--child', 'l2tp', '--timeout', '15']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`CHILD_SA l2tp\\{\\d+\\} established .* TS ${CLIENT}/32\\[udp\\] === ${SERVER}/32\\[udp/l2f\\]`));
    const sas = sw.swanctl(['--list-sas']).out;
    assert.match(sas, /l2tp: #\d+, reqid \d+, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-256\/HMAC_SHA2_256_128/, sas);
    assert.match(sas, new RegExp(`local  ${SERVER}/32\\[udp/l2f\\]`), sas);
    assert.match(sas, /remote 10\.204\.0\.2\/32\[udp\]$/m, sas);
    const ipsecUp = Date.now();

    const server = new Proc(s, ['serve', '--config', cfg.config, '--api-listen', sock, '--api-token-file', tokenFile]);
    procs.push(server);
    await server.waitFor(/serving on l2tp 10\.204\.0\.1:1701/);
    await server.waitFor(/API listening on /);
    const client = new Proc(c, ['connect', `l2tp://erin@${SERVER}`, '--tun', 'tlc1'], { TUNPPP_PASSWORD: 'pw erin' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)/);
    assert.equal(m[1], '192.168.84.10');
    const linkMtu = Number(m[4]);
    assert.ok(linkMtu <= sizes.ipMtu + 4, `link MTU ${linkMtu} within what ipsec0 carries`);
    const connected = Date.now();

    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.84.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.84.10'], 20_000);
    // Full-size packets with DF: the PPP sizes fit ipsec0, so nothing is fragmented or lost.
    const full = String(linkMtu - 28);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '-M', 'do', '-s', full, '192.168.84.1'], 20_000);
    run('ip', ['netns', 'exec', s, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '-M', 'do', '-s', full, '192.168.84.10'], 20_000);
    const up = await tcpTransfer(s, c, '192.168.84.1', 5011, 1_000_000);
    assert.equal(up.received, 1_000_000);
    const down = await tcpTransfer(c, s, '192.168.84.10', 5012, 1_000_000);
    assert.equal(down.received, 1_000_000);

    // The server's API: one L2TP session from the client's outer address, with traffic.
    const target = { listen: { kind: 'unix' as const, path: sock }, token: await readToken(tokenFile) };
    const sessions = (await apiRequest(target, 'GET', '/sessions')).json<SessionInfo[]>();
    assert.equal(sessions.length, 1, JSON.stringify(sessions));
    const sess = sessions[0]!;
    assert.deepEqual([sess.protocol, sess.state, sess.user, sess.clientAddress, sess.assignedIp], ['l2tp', 'up', 'erin', CLIENT, '192.168.84.10']);
    assert.ok(sess.bytesIn > 1_000_000 && sess.bytesOut > 1_000_000, `session bytes in ${sess.bytesIn}, out ${sess.bytesOut}`);
    const metrics = (await apiRequest(target, 'GET', '/metrics')).body;
    assert.match(metrics, /^tunppp_sessions\{protocol="l2tp",state="up"\} 1$/m);
    const bytesIn = Number(/^tunppp_bytes_total\{protocol="l2tp",direction="in"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(bytesIn > 1_000_000, `l2tp bytes in ${bytesIn}`);

    assert.equal(await client.stop('SIGINT'), 0);
    await server.waitFor(/Tunnel \d+ to .* closed: peer sent StopCCN/);
    for (const cap of caps) await cap.stop();

    // On the veth: IKE (500, then 4500) and ESP in UDP 4500, never L2TP in the clear.
    const onWire = readPcap(wire.file);
    const l2tpClear = onWire.filter((p) => udpPort(p, 1701));
    assert.equal(l2tpClear.length, 0, 'cleartext UDP 1701 on the veth');
    // RFC 3948 §2.2: a non-zero first word is an ESP SPI; zero is the non-ESP marker before IKE.
    const esp = onWire.map((p) => udpPort(p, 4500)).filter((u) => u !== undefined && u.payload.length > 8 && new DataView(u.payload.buffer, u.payload.byteOffset).getUint32(0) !== 0);
    assert.ok(esp.length > 500, `ESP-in-UDP packets on the veth: ${esp.length}`);
    // On ipsec0, after decryption: the L2TP that ESP carried.
    const l2tpInner = readPcap(inner.file).filter((p) => udpPort(p, 1701));
    // 1 MB each way at a ~1350-octet MTU is ~1500 data segments; how many ACKs and how much of each
    // direction ipsec0's capture shows varies (GRO on our TUN merges segments, so fewer ACKs): 500 is safe.
    assert.ok(l2tpInner.length > 500, `L2TP packets on ipsec0: ${l2tpInner.length}`);
    console.log(`# IPsec up in ${ipsecUp - t0} ms, L2TP+PPP up ${connected - ipsecUp} ms later; ${esp.length} ESP-in-UDP packets, ${l2tpInner.length} L2TP packets inside; TCP 1 MB up ${up.ms} ms, down ${down.ms} ms`);
  } catch (err) {
    appendProcLogs(err, procs);
    if (err instanceof Error) for (const ch of charons) err.message += `\n--- charon log\n${ch.logText().split('\n').slice(-60).join('\n')}`;
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    for (const cap of caps) await cap.stop();
    for (const ch of charons) await ch.stop();
    lab.cleanup();
    cfg.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
