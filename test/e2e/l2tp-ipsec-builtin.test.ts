/**
 * L2TP/IPsec through tunppp's own IKEv1 and ESP, end to end: `tunppp serve`
 * with `ipsec.enabled` and `tunppp connect l2tp://… --ipsec-psk-file` as
 * real processes in network namespaces.
 *
 *  - Directly: with `ipsec.required`, a cleartext L2TP datagram is refused
 *    (said once per source); the IPsec client connects, ping and 1 MB of TCP
 *    both ways; tcpdump on the server's link sees only UDP 500 and 4500 (no
 *    cleartext UDP 1701), and tshark, given the keys the server logs to
 *    TUNPPP_IPSEC_KEYLOG, decrypts Main Mode 5/6, Quick Mode and ESP down to
 *    the L2TP and PPP inside, with no malformed packet and every ICV good.
 *    A client with the wrong PSK fails with the words of pluto on both sides.
 *  - Two clients behind one NAT router (nftables masquerade): the same public
 *    address, each its own IKE SA, ESP SA, L2TP tunnel and address; traffic
 *    for both at once; /metrics counts two established IKE SAs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsSkipReason } from '../io/netns.js';
import { e2eRun, fetchMetrics, metricValue, tcpBothWays, waitConnected, type E2eRun } from './harness.js';
import { Capture, tcpdumpMissing } from './capture.js';
import { dissect, fields, tsharkSkipReason, type TsharkLayers } from '../helpers/tshark.js';
import { frameIp } from '../pptp/capture-util.js';
import { parseCapture } from '../../src/wire/pcap.js';

const PSK = 'a long random pre-shared key 7f3a';

function nftSkipReason(): string | undefined {
  const r = spawnSync('nft', ['--version'], { encoding: 'utf8', timeout: 5000 });
  return r.error || r.status !== 0 ? "needs the 'nft' command (Debian package nftables)" : undefined;
}

/** Wireshark's esp_sa names for our suite names (aes256gcm16, aes128-sha1, ...). */
function wiresharkEsp(suite: string): { enc: string; auth: string } {
  if (suite.includes('gcm')) return { enc: 'AES-GCM with 16 octet ICV [RFC4106]', auth: 'NULL' };
  const enc = suite.startsWith('3des') ? 'TripleDES-CBC [RFC2451]' : 'AES-CBC [RFC3602]';
  const auth = suite.endsWith('-sha1') ? 'HMAC-SHA-1-96 [RFC2404]' : suite.endsWith('-sha256') ? 'HMAC-SHA-256-128 [RFC4868]' : suite.endsWith('-sha384') ? 'HMAC-SHA-384-192 [RFC4868]' : 'HMAC-SHA-512-256 [RFC4868]';
  return { enc, auth };
}

interface KeyRecord {
  kind: 'ike' | 'esp';
  peer: { address: string; port: number };
  icookie?: string;
  encKey: string;
  dir?: 'in' | 'out';
  spi?: string;
  suite?: string;
  salt?: string;
  authKey?: string;
}

/** A file with `text` in a fresh directory; returns its path and the directory. */
function tempFile(name: string, text: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-ipsec-e2e-'));
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return { path, dir };
}

function serverConfig(net: string, inner: string, pskFile: string, extra: Record<string, unknown> = {}) {
  return {
    listen: `${net}.1`,
    local: `${inner}.1`,
    ranges: [`${inner}.10-${inner}.20`],
    users: [['alice', 'correct horse'], ['bob', 'battery staple']] as [string, string][],
    extra: {
      listen: { pptp: { enabled: false }, l2tp: { addresses: [`${net}.1`] } },
      ppp: { mppe: { l2tpMode: 'refuse' } },
      ipsec: { enabled: true, pskFile, address: `${net}.1`, required: true, ...extra },
    },
  };
}

test('l2tp/ipsec e2e: built-in IKEv1+ESP server and client, cleartext refused, ping and TCP both ways, only UDP 500/4500 on the wire, tshark decrypts to L2TP, wrong PSK refused', { skip: netnsSkipReason(), timeout: 150_000 }, async () => {
  const net = '10.211.0';
  const inner = '192.168.111';
  const secrets = tempFile('ipsec.secrets', `# hwdsl2 style\n%any  %any  : PSK "${PSK}"\n`);
  const clientKey = tempFile('psk', `${PSK}\n`);
  const wrongKey = tempFile('psk', 'not the key\n');
  const keyLog = join(secrets.dir, 'keys.jsonl');
  try {
    await e2eRun(serverConfig(net, inner, secrets.path), async (r: E2eRun) => {
      const s = r.lab.ns();
      const c = r.lab.ns();
      r.lab.link(s, 'veth-s', `${net}.1/24`, c, 'veth-c', `${net}.2/24`);
      // Every UDP datagram of the start and the pings (for tshark), and all cleartext L2TP of the whole run.
      const cap = tcpdumpMissing ? undefined : new Capture(s, 'veth-s', join(secrets.dir, 'wire.pcap'), 'udp');
      const clear = tcpdumpMissing ? undefined : new Capture(s, 'veth-s', join(secrets.dir, 'clear.pcap'), 'udp port 1701 or (ip[6:2] & 0x1fff != 0)');
      await cap?.started();
      await clear?.started();
      const server = r.start(s, ['serve', '--config', r.cfg.config], { TUNPPP_IPSEC_KEYLOG: keyLog });
      await server.waitFor(/serving on l2tp 10\.211\.0\.1:1701, ipsec 10\.211\.0\.1:500, ipsec 10\.211\.0\.1:4500/);

      // Cleartext L2TP (any datagram to 1701) is refused, and said once per source.
      for (let i = 0; i < 3; i++) r.lab.exec(c, 'node', '-e', `const s=require('dgram').createSocket('udp4');s.send(Buffer.from('c802000c0000000000000000','hex'),1701,'${net}.1',()=>s.close())`);
      await server.waitFor(/cleartext L2TP from 10\.211\.0\.2 refused: ipsec\.required is set/);

      const conn = await waitConnected(r.start(c, ['connect', `l2tp://alice@${net}.1`, '--tun', 'tlc0', '--mppe', 'refuse', '--ipsec-psk-file', clientKey.path], { TUNPPP_PASSWORD: 'correct horse' }), 40_000);
      assert.equal(conn.address, `${inner}.10`);
      assert.match(conn.client.err, /ISAKMP SA \S+ and CHILD_SA ESP \S+ established with 10\.211\.0\.2|ISAKMP SA \S+ and CHILD_SA ESP \S+ established with 10\.211\.0\.1/);
      assert.match(server.err, /ISAKMP SA established with 10\.211\.0\.2\[\d+\]: aes256-sha256-ecp384/);
      assert.match(server.err, /CHILD_SA established with 10\.211\.0\.2\[\d+\]: ESP aes256gcm16, transport in UDP 4500, SPIs [0-9a-f]{8}_i [0-9a-f]{8}_o/);
      assert.equal((server.err.match(/cleartext L2TP from 10\.211\.0\.2 refused/g) ?? []).length, 1, 'said once per source');

      r.lab.exec(c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', `${inner}.1`);
      r.lab.exec(s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', `${inner}.10`);
      await cap?.stop();
      const t = await tcpBothWays(s, c, `${inner}.1`, `${inner}.10`, 5101, 1_000_000);
      console.log(`# L2TP/IPsec built-in: 1 MB up in ${t.upMs} ms, down in ${t.downMs} ms`);

      // A wrong PSK: Main Mode 5 cannot be verified; both sides say so.
      const wrong = r.start(c, ['connect', `l2tp://alice@${net}.1`, '--tun', 'tlc1', '--mppe', 'refuse', '--ipsec-psk-file', wrongKey.path], { TUNPPP_PASSWORD: 'correct horse' });
      await server.waitFor(/PSK mismatch with 10\.211\.0\.2\[\d+\]: probable authentication failure \(mismatch of preshared secrets\?\)/, 20_000);
      await wrong.waitFor(/tunppp connect: IPsec failed: .*probable authentication failure \(mismatch of preshared secrets\?\)/, 40_000);

      assert.equal(await conn.client.stop('SIGINT'), 0);
      await server.waitFor(/link down: .*Connect time/);
      await clear?.stop();

      if (clear) {
        // The three probes are the only cleartext L2TP, and nothing was fragmented (Main Mode 1 fits one datagram, PPP sizes count ESP).
        const packets = parseCapture(new Uint8Array(readFileSync(clear.file))) ?? [];
        assert.deepEqual(packets.map((p) => frameIp(p)?.dst), [`${net}.1`, `${net}.1`, `${net}.1`], `cleartext L2TP or fragments: ${packets.length}`);
      }
      if (cap) {
        const packets = parseCapture(new Uint8Array(readFileSync(cap.file)));
        assert.ok(packets && packets.length > 20, `captured ${packets?.length}`);
        const ports = new Set<string>();
        const odd: string[] = [];
        for (const p of packets) {
          const ip = frameIp(p);
          if (!ip || ip.protocol !== 17) continue;
          const frag = ((p.bytes[20]! << 8) | p.bytes[21]!) & 0x3fff;
          if (frag !== 0) {
            odd.push(`${ip.src}>${ip.dst} len ${p.bytes.length} frag 0x${frag.toString(16)}`);
            if ((frag & 0x1fff) !== 0) continue;
          }
          const sp = (ip.payload[0]! << 8) | ip.payload[1]!;
          const dp = (ip.payload[2]! << 8) | ip.payload[3]!;
          // The three cleartext probes went to 1701 before the client connected; nothing else may.
          if (dp === 1701 || sp === 1701) ports.add('1701');
          else ports.add(String(sp === 500 || sp === 4500 ? sp : dp));
        }
        assert.deepEqual(odd, [], 'no IP fragments (Main Mode message 1 fits one datagram, PPP sizes count ESP)');
        const ipsecPorts = [...ports].filter((p) => p !== '1701').sort();
        assert.deepEqual(ipsecPorts, ['4500', '500'], `UDP ports on the wire: ${[...ports].join(',')}; fragments: ${odd.slice(0, 10).join('; ')} (${odd.length})`);
        if (tsharkSkipReason() === undefined) {
          const keys = readFileSync(keyLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as KeyRecord);
          const ike = keys.filter((k) => k.kind === 'ike');
          const esp = keys.filter((k) => k.kind === 'esp');
          assert.ok(ike.length >= 1 && esp.length >= 2, `keys logged: ${keys.length}`);
          const args = ['-o', `uat:ikev1_decryption_table:${ike.map((k) => `${k.icookie},${k.encKey}`).join(',')}`, '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE', '--no-duplicate-keys'];
          for (const k of esp) {
            const ws = wiresharkEsp(k.suite!);
            const [src, dst] = k.dir === 'in' ? [k.peer.address, `${net}.1`] : [`${net}.1`, k.peer.address];
            args.push('-o', `uat:esp_sa:"IPv4","${src}","${dst}","0x${k.spi}","${ws.enc}","0x${k.encKey}${k.salt}","${ws.auth}","0x${k.authKey}"`);
          }
          // Only the first client's exchange (the start and some traffic), not the megabytes.
          if (process.env['KEEP_IPSEC_E2E']) {
            writeFileSync('/tmp/ipsec-e2e.pcap', readFileSync(cap.file));
            writeFileSync('/tmp/ipsec-e2e-args.json', JSON.stringify(args));
          }
          const first = packets.map((p) => ({ timeMs: p.timeMs, bytes: p.bytes }));
          const { frames, problems } = dissect(1, first, args);
          // (The setup capture ends after the pings: a capture of the bulk transfer drops packets on a busy machine.)
          const expert = (n: number): string => [...JSON.stringify(frames[n - 1]).matchAll(/"_ws\.expert\.message":"([^"]*)"/g)].map((m) => m[1]).join('; ');
          assert.deepEqual(problems.map((p) => `frame ${p.frame}: ${expert(p.frame)}`), [], 'tshark: no malformed packet, no warning');
          const all = (f: TsharkLayers, name: string): string[] => fields(f, name).flat(3).map(String);
          const withEsp = frames.filter((f) => all(f, 'esp.spi').length > 0);
          assert.ok(withEsp.length > 15, `ESP frames: ${withEsp.length}`);
          assert.ok(withEsp.every((f) => all(f, 'esp.icv_good').includes('1') || all(f, 'esp.icv_good').length === 0), 'every checked ICV good');
          const l2tpTypes = new Set(withEsp.flatMap((f) => all(f, 'l2tp.avp.message_type')).map(Number));
          for (const m of [1, 2, 3, 10, 11, 12]) assert.ok(l2tpTypes.has(m), `L2TP message ${m} decrypted out of ESP (${[...l2tpTypes].join(',')})`);
          const ppp = new Set(withEsp.flatMap((f) => all(f, 'ppp.protocol')).map(Number));
          for (const p of [0xc021, 0xc223, 0x8021, 0x0021]) assert.ok(ppp.has(p), `PPP 0x${p.toString(16)} inside ESP (${[...ppp].map((x) => x.toString(16)).join(',')})`);
          assert.ok(frames.some((f) => all(f, 'isakmp.id.port').map(Number).includes(1701)), 'Quick Mode decrypted: its IDs name UDP 1701');
        }
      }
    });
  } finally {
    for (const d of [secrets.dir, clientKey.dir, wrongKey.dir]) rmSync(d, { recursive: true, force: true });
  }
});

test('l2tp/ipsec e2e: two clients behind one NAT router (masquerade), each its own IKE SA, ESP SA and session, traffic for both at once', { skip: netnsSkipReason() ?? nftSkipReason(), timeout: 150_000 }, async () => {
  const inner = '192.168.112';
  const secrets = tempFile('ipsec.secrets', `: PSK "${PSK}"\n`);
  const clientKey = tempFile('psk', `${PSK}\n`);
  try {
    await e2eRun(serverConfig('10.212.0', inner, secrets.path), async (r: E2eRun) => {
      const lab = r.lab;
      const s = lab.ns();
      const nat = lab.ns();
      const c1 = lab.ns();
      const c2 = lab.ns();
      lab.link(nat, 'wan', '10.212.0.2/24', s, 'veth-s', '10.212.0.1/24');
      lab.link(c1, 'lan1', '172.31.1.2/24', nat, 'n1', '172.31.1.1/24');
      lab.link(c2, 'lan2', '172.31.2.2/24', nat, 'n2', '172.31.2.1/24');
      lab.exec(nat, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
      lab.ip(c1, 'route', 'add', 'default', 'via', '172.31.1.1');
      lab.ip(c2, 'route', 'add', 'default', 'via', '172.31.2.1');
      const rules = join(secrets.dir, 'nat.nft');
      writeFileSync(rules, 'table ip natlab {\n chain post { type nat hook postrouting priority 100; oifname "wan" masquerade; }\n}\n');
      lab.exec(nat, 'nft', '-f', rules);
      const { server, api } = await r.serveWithApi(s);
      await server.waitFor(/ipsec 10\.212\.0\.1:4500/);
      const a = await waitConnected(r.start(c1, ['connect', 'l2tp://alice@10.212.0.1', '--tun', 'tla0', '--mppe', 'refuse', '--ipsec-psk-file', clientKey.path], { TUNPPP_PASSWORD: 'correct horse' }), 40_000);
      const b = await waitConnected(r.start(c2, ['connect', 'l2tp://bob@10.212.0.1', '--tun', 'tlb0', '--mppe', 'refuse', '--ipsec-psk-file', clientKey.path], { TUNPPP_PASSWORD: 'battery staple' }), 40_000);
      assert.notEqual(a.address, b.address);
      // Both come from the NAT's address, from different ports, and the server saw a NAT.
      const established = [...server.err.matchAll(/ISAKMP SA established with 10\.212\.0\.2\[(\d+)\]/g)].map((m) => m[1]);
      assert.equal(new Set(established).size, 2, `two IKE SAs from the NAT's address on two ports: ${established.join(',')}`);
      assert.match(server.err, /remote host is behind NAT \(10\.212\.0\.2\[\d+\]\)/);
      await Promise.all([
        tcpBothWays(s, c1, `${inner}.1`, a.address, 5201, 1_000_000),
        tcpBothWays(s, c2, `${inner}.1`, b.address, 5301, 1_000_000),
      ]);
      lab.exec(s, 'ping', '-c', '2', '-i', '0.2', '-W', '2', a.address);
      lab.exec(s, 'ping', '-c', '2', '-i', '0.2', '-W', '2', b.address);
      const m = await fetchMetrics(api);
      assert.equal(metricValue(m, 'tunppp_ipsec_ike_sas{state="established"}'), 2);
      assert.equal(metricValue(m, 'tunppp_ipsec_negotiations_total{phase="1",result="established"}'), 2);
      assert.ok(metricValue(m, 'tunppp_ipsec_esp_packets_total{direction="in"}') > 1000, m);
      assert.equal(metricValue(m, 'tunppp_sessions{protocol="l2tp",state="up"}'), 2);
      // One client leaves; the other keeps its session.
      assert.equal(await a.client.stop('SIGINT'), 0);
      await server.waitFor(/link down: .*Connect time/);
      lab.exec(s, 'ping', '-c', '2', '-i', '0.2', '-W', '2', b.address);
    });
  } finally {
    for (const d of [secrets.dir, clientKey.dir]) rmSync(d, { recursive: true, force: true });
  }
});

test('l2tp/ipsec e2e: a killed client is found dead by DPD; its SAs, L2TP tunnel, session and address go', { skip: netnsSkipReason(), timeout: 90_000 }, async () => {
  const net = '10.213.0';
  const inner = '192.168.113';
  const secrets = tempFile('ipsec.secrets', `: PSK "${PSK}"\n`);
  const clientKey = tempFile('psk', `${PSK}\n`);
  try {
    await e2eRun(serverConfig(net, inner, secrets.path, { dpd: { delayS: 1, timeoutS: 5 } }), async (r: E2eRun) => {
      const s = r.lab.ns();
      const c = r.lab.ns();
      r.lab.link(s, 'veth-s', `${net}.1/24`, c, 'veth-c', `${net}.2/24`);
      const { server, api } = await r.serveWithApi(s);
      await server.waitFor(/ipsec 10\.213\.0\.1:4500/);
      const conn = await waitConnected(r.start(c, ['connect', `l2tp://alice@${net}.1`, '--tun', 'tlc0', '--mppe', 'refuse', '--ipsec-psk-file', clientKey.path], { TUNPPP_PASSWORD: 'correct horse' }), 40_000);
      // A live client answers R-U-THERE: after several probe intervals the session is still there.
      await new Promise((res) => setTimeout(res, 3000));
      r.lab.exec(s, 'ping', '-c', '1', '-W', '2', conn.address);
      assert.doesNotMatch(server.err, /DPD: peer/);
      await conn.client.stop('SIGKILL');
      await server.waitFor(/DPD: peer 10\.213\.0\.2\[\d+\] is dead \(no answer for 5 s\)/, 15_000);
      await server.waitFor(/deleting ISAKMP SA \(ESP [0-9a-f]{8}\) with 10\.213\.0\.2\[\d+\]/);
      await server.waitFor(/link down: .*IPsec SA deleted \(dpd-timeout\)|link down: .*tunnel down: IPsec SA deleted/, 10_000);
      const m = await fetchMetrics(api);
      assert.equal(metricValue(m, 'tunppp_ipsec_sas_deleted_total{cause="dpd-timeout"}'), 1);
      assert.equal(metricValue(m, 'tunppp_ipsec_ike_sas{state="established"}'), 0);
      assert.equal(metricValue(m, 'tunppp_sessions{protocol="l2tp",state="up"}'), 0);
    });
  } finally {
    for (const d of [secrets.dir, clientKey.dir]) rmSync(d, { recursive: true, force: true });
  }
});
