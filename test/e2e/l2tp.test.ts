/**
 * L2TP end to end: `tunppp serve` (LNS) and `tunppp connect l2tp://` (LAC) as
 * real processes in two network namespaces, with MS-CHAPv2 + MPPE-128 and
 * without MPPE: ping and TCP through the tunnel both ways, a clean disconnect
 * (LCP Terminate, CDN, StopCCN). tcpdump records the exchange and tshark must
 * find no malformed L2TP or PPP in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, tcpTransfer, writeServerConfig } from './harness.js';
import { Capture, tcpdumpMissing } from './capture.js';
import { dissect, fields, tsharkSkipReason, type TsharkLayers } from '../helpers/tshark.js';
import { parseCapture } from '../../src/wire/pcap.js';

const skip = netnsSkipReason();

/** Dissects a capture file; returns the frames, after checking there are no problems. */
function checkCapture(file: string, limit: number): TsharkLayers[] {
  const packets = parseCapture(new Uint8Array(readFileSync(file)));
  assert.ok(packets, `cannot read ${file}`);
  // Ethernet on the veth; only the first `limit` frames (the bulk transfers would make the JSON huge).
  const { frames, problems } = dissect(1, packets.slice(0, limit).map((p) => ({ timeMs: p.timeMs, bytes: p.bytes })));
  assert.deepEqual(problems, [], `tshark found problems in ${file}`);
  return frames;
}

interface Case {
  name: string;
  mppe: 'require' | 'refuse';
  expectMppe: boolean;
  subnet: number;
}

const cases: Case[] = [
  { name: 'MS-CHAPv2 + MPPE-128', mppe: 'require', expectMppe: true, subnet: 201 },
  { name: 'MS-CHAPv2 without MPPE', mppe: 'refuse', expectMppe: false, subnet: 202 },
];

for (const k of cases) {
  test(`l2tp e2e: our LAC and LNS, ${k.name}, ping and TCP both ways, CDN + StopCCN on disconnect, tshark-clean capture`, { skip, timeout: 150_000 }, async () => {
    const lab = new NetnsLab();
    const net = `10.${k.subnet}.0`;
    const inner = `192.168.${k.subnet - 120}`;
    const cfg = writeServerConfig({
      listen: `${net}.1`,
      local: `${inner}.1`,
      ranges: [`${inner}.10-${inner}.20`],
      users: [['alice', 'correct horse']],
      extra: {
        listen: { pptp: { enabled: false }, l2tp: { addresses: [`${net}.1`] } },
        ppp: { mppe: { l2tpMode: k.mppe } },
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'tunppp-l2tp-e2e-'));
    const procs: Proc[] = [];
    const captures: Capture[] = [];
    try {
      const s = lab.ns();
      const c = lab.ns();
      lab.link(s, 'veth-s', `${net}.1/24`, c, 'veth-c', `${net}.2/24`);
      const setupCap = tcpdumpMissing ? undefined : new Capture(s, 'veth-s', join(dir, 'setup.pcap'));
      if (setupCap) {
        captures.push(setupCap);
        await setupCap.started();
      }
      const server = new Proc(s, ['serve', '--config', cfg.config]);
      procs.push(server);
      await server.waitFor(new RegExp(`serving on l2tp ${net.replace(/\./g, '\\.')}\\.1:1701`));
      const mppeArgs = k.mppe === 'require' ? ['--mppe', 'require'] : ['--mppe', 'refuse'];
      const client = new Proc(c, ['connect', `l2tp://alice@${net}.1`, '--tun', 'tlc0', ...mppeArgs], { TUNPPP_PASSWORD: 'correct horse' });
      procs.push(client);
      const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)(, MPPE (128-bit \w+))?/);
      assert.equal(m[1], `${inner}.10`);
      assert.equal(m[2], `${inner}.1`);
      assert.equal(m[3], 'tlc0');
      assert.equal(m[6] !== undefined, k.expectMppe, `MPPE state: ${m[0]}`);
      assert.match(server.err, /MS-CHAP-v2 peer alice authenticated/);
      assert.match(server.err, /Call established with/);
      run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', `${inner}.1`], 20_000);
      run('ip', ['netns', 'exec', s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', `${inner}.10`], 20_000);
      // Small transfers while the capture runs, then the capture stops before the bulk ones.
      assert.equal((await tcpTransfer(s, c, `${inner}.1`, 5003, 100_000)).received, 100_000);
      await setupCap?.stop();
      const up = await tcpTransfer(s, c, `${inner}.1`, 5001, 5_000_000);
      assert.equal(up.received, 5_000_000);
      const down = await tcpTransfer(c, s, `${inner}.10`, 5002, 5_000_000);
      assert.equal(down.received, 5_000_000);
      const rates = `${k.name}: up ${((5e6 * 8) / up.ms / 1000).toFixed(1)} Mbit/s, down ${((5e6 * 8) / down.ms / 1000).toFixed(1)} Mbit/s`;
      console.log(`# ${rates}`);
      const endCap = tcpdumpMissing ? undefined : new Capture(s, 'veth-s', join(dir, 'end.pcap'));
      if (endCap) {
        captures.push(endCap);
        await endCap.started();
      }
      // Ctrl-C on the client: LCP Terminate, CDN, StopCCN; the server frees the session and the tunnel.
      assert.equal(await client.stop('SIGINT'), 0);
      assert.match(client.err, /disconnected: user request/);
      await server.waitFor(/link down: .*Connect time/);
      await server.waitFor(/Tunnel \d+ to .* closed: peer sent StopCCN/);
      await endCap?.stop();

      if (!tcpdumpMissing && tsharkSkipReason() === undefined) {
        const setup = checkCapture(setupCap!.file, 400);
        const types = setup.flatMap((f) => fields(f, 'l2tp.avp.message_type')).map(Number);
        for (const t of [1, 2, 3, 10, 11, 12]) assert.ok(types.includes(t), `message type ${t} in the setup capture (${types.join(',')})`);
        const pppProtos = new Set(setup.flatMap((f) => fields(f, 'ppp.protocol')).map(Number));
        for (const p of [0xc021, 0xc223, 0x8021]) assert.ok(pppProtos.has(p), `PPP protocol 0x${p.toString(16)} in the capture (${[...pppProtos].map((x) => x.toString(16)).join(',')})`);
        assert.ok(pppProtos.has(k.expectMppe ? 0x00fd : 0x0021), 'data frames: MPPE (0x00fd) or IPv4 (0x0021)');
        const end = checkCapture(endCap!.file, 200);
        const endTypes = end.flatMap((f) => fields(f, 'l2tp.avp.message_type')).map(Number);
        assert.ok(endTypes.includes(14) && endTypes.includes(4), `CDN and StopCCN on disconnect (${endTypes.join(',')})`);
      }
    } catch (err) {
      appendProcLogs(err, procs);
      throw err;
    } finally {
      for (const p of procs) await p.stop('SIGTERM');
      for (const cap of captures) await cap.stop();
      lab.cleanup();
      cfg.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
