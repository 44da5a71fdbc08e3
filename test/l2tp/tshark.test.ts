/**
 * Our L2TP control and data messages, dissected by tshark: a whole tunnel and
 * session setup between our LAC and LNS (with tunnel authentication and
 * hidden AVPs off, since tshark cannot un-hide), then data messages with and
 * without the optional fields. No malformed packets, no warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { LINKTYPE, udpIpv4Packet, type PcapRecord } from '../../src/wire/pcap.js';
import { encodeL2tp, parseL2tpHeader } from '../../src/l2tp/header.js';
import { L2tpTunnelFsm, type L2tpTunnelOutput } from '../../src/l2tp/tunnel-fsm.js';
import { dissect, fields, tsharkSkipReason } from '../helpers/tshark.js';

test('tshark: our tunnel/session setup, StopCCN and data messages decode cleanly', { skip: tsharkSkipReason() }, () => {
  const lac = new L2tpTunnelFsm({ role: 'lac', localTunnelId: 100, hostName: 'lac' }, seededRng(1));
  const lns = new L2tpTunnelFsm({ role: 'lns', localTunnelId: 200, hostName: 'lns', secret: new TextEncoder().encode('k'), challengePeer: false }, seededRng(2));
  const records: PcapRecord[] = [];
  let now = 0;
  const queue: { from: L2tpTunnelFsm; bytes: Uint8Array }[] = [];
  const push = (from: L2tpTunnelFsm, outs: L2tpTunnelOutput[]): void => {
    for (const o of outs) if (o.kind === 'send') queue.push({ from, bytes: o.bytes });
  };
  const pump = (): void => {
    for (let guard = 0; guard < 200; guard++) {
      const next = queue.shift();
      if (!next) {
        now += 1000;
        push(lac, lac.handle({ type: 'timeout' }, now));
        push(lns, lns.handle({ type: 'timeout' }, now));
        if (queue.length === 0) return;
        continue;
      }
      const fromLac = next.from === lac;
      records.push({ timeMs: now, bytes: udpIpv4Packet(fromLac ? '10.0.0.2' : '10.0.0.1', fromLac ? '10.0.0.1' : '10.0.0.2', 1701, 1701, next.bytes) });
      const to = fromLac ? lns : lac;
      const f = parseL2tpHeader(next.bytes);
      assert.ok(f.ok);
      push(to, to.handle({ type: 'packet', ns: f.value.header.ns!, nr: f.value.header.nr!, sessionId: f.value.header.sessionId, body: next.bytes.subarray(f.value.payloadStart, f.value.payloadEnd) }, now));
    }
  };
  push(lac, lac.handle({ type: 'open' }, now));
  pump();
  push(lac, lac.handle({ type: 'open-session' }, now));
  pump();
  const [sid] = [...lac.sessions.values()];
  assert.ok(sid);
  const lcpEcho = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04);
  for (const h of [
    { isControl: false, tunnelId: 200, sessionId: sid.peerSessionId, priority: false },
    { isControl: false, tunnelId: 200, sessionId: sid.peerSessionId, priority: false, length: 0, ns: 1, nr: 0 },
    { isControl: false, tunnelId: 200, sessionId: sid.peerSessionId, priority: false, offsetSize: 2 },
  ]) records.push({ timeMs: now, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', 1701, 1701, encodeL2tp(h, lcpEcho)) });
  push(lac, lac.handle({ type: 'close' }, now));
  pump();

  const { frames, problems } = dissect(LINKTYPE.RAW, records);
  assert.deepEqual(problems, []);
  const types = frames.flatMap((f) => fields(f, 'l2tp.avp.message_type')).map(Number);
  // SCCRQ 1, SCCRP 2, SCCCN 3, ICRQ 10, ICRP 11, ICCN 12, StopCCN 4
  for (const t of [1, 2, 3, 10, 11, 12, 4]) assert.ok(types.includes(t), `tshark saw message type ${t} (saw ${types.join(',')})`);
  const lcp = frames.filter((f) => fields(f, 'lcp.opt.magic_number').length > 0 || fields(f, 'lcp.magic_number').length > 0 || JSON.stringify(f).includes('"lcp"'));
  assert.equal(lcp.length, 3, 'the three data messages carry PPP LCP that tshark decodes');
});
