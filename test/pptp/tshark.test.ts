/**
 * Our own PPTP output, dissected by Wireshark (STYLE.md §7.6): a whole
 * session from two back-to-back control machines plus GRE from two GRE
 * channels, written as a LINKTYPE_RAW pcap (synthetic IPv4, a minimal TCP
 * header built here for port 1723, GRE as protocol 47), read back with
 * `tshark -T json`. Each frame's pptp.* and gre.* fields must match what we
 * meant to send; no frame may be malformed or carry expert info at warning
 * or error level. Skipped with a message when tshark is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRng } from '../../src/core/rng.js';
import { internetChecksum, onesSum } from '../../src/wire/checksum.js';
import { encodePcap, ipv4Bytes, ipv4Packet, LINKTYPE, type PcapRecord } from '../../src/wire/pcap.js';
import { CONTROL_MESSAGE_TYPE, type ControlMessage, encodeControlMessage, parseControlMessage, PPTP_TCP_PORT } from '../../src/pptp/control-codec.js';
import { type ControlInput, PptpControl } from '../../src/pptp/control-fsm.js';
import { type GrePacket, IP_PROTO_GRE, parseGre } from '../../src/pptp/gre.js';
import { GreChannel, type GreChannelSink } from '../../src/pptp/gre-channel.js';

const hasTshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
const CLIENT = '192.0.2.10';
const SERVER = '192.0.2.1';
const CLIENT_PORT = 50123;

/** A minimal TCP segment (20-byte header, PSH|ACK unless `flags` given) with a correct checksum. */
function tcpSegment(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, data: Uint8Array): Uint8Array {
  const seg = new Uint8Array(20 + data.length);
  const dv = new DataView(seg.buffer);
  dv.setUint16(0, sport);
  dv.setUint16(2, dport);
  dv.setUint32(4, seq >>> 0);
  dv.setUint32(8, ack >>> 0);
  seg[12] = 5 << 4;
  seg[13] = flags;
  dv.setUint16(14, 65535);
  seg.set(data, 20);
  const pseudo = new Uint8Array(12);
  pseudo.set(ipv4Bytes(src), 0);
  pseudo.set(ipv4Bytes(dst), 4);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, seg.length);
  dv.setUint16(16, internetChecksum(seg, 0, seg.length, onesSum(pseudo)));
  return seg;
}

/** Builds the capture of one TCP connection plus GRE, tracking sequence numbers both ways. */
class CaptureBuilder {
  records: PcapRecord[] = [];
  /** What each frame should decode to, by frame number (1-based). */
  expect = new Map<number, { control?: ControlMessage; gre?: GrePacket }>();
  private cSeq = 1000;
  private sSeq = 5000;
  private t = 1_700_000_000_000;
  private id = 1;

  private push(bytes: Uint8Array): number {
    this.records.push({ timeMs: (this.t += 1), bytes });
    return this.records.length;
  }

  handshake(): void {
    this.push(ipv4Packet(CLIENT, SERVER, 6, tcpSegment(CLIENT, SERVER, CLIENT_PORT, PPTP_TCP_PORT, this.cSeq, 0, 0x02, new Uint8Array()), this.id++));
    this.push(ipv4Packet(SERVER, CLIENT, 6, tcpSegment(SERVER, CLIENT, PPTP_TCP_PORT, CLIENT_PORT, this.sSeq, this.cSeq + 1, 0x12, new Uint8Array()), this.id++));
    this.cSeq++;
    this.sSeq++;
    this.push(ipv4Packet(CLIENT, SERVER, 6, tcpSegment(CLIENT, SERVER, CLIENT_PORT, PPTP_TCP_PORT, this.cSeq, this.sSeq, 0x10, new Uint8Array()), this.id++));
  }

  control(fromClient: boolean, bytes: Uint8Array): void {
    const p = parseControlMessage(bytes);
    assert.ok(p.ok);
    const [src, dst, sport, dport] = fromClient ? [CLIENT, SERVER, CLIENT_PORT, PPTP_TCP_PORT] : [SERVER, CLIENT, PPTP_TCP_PORT, CLIENT_PORT];
    const seq = fromClient ? this.cSeq : this.sSeq;
    const ack = fromClient ? this.sSeq : this.cSeq;
    const n = this.push(ipv4Packet(src, dst, 6, tcpSegment(src, dst, sport, dport, seq, ack, 0x18, bytes), this.id++));
    if (fromClient) this.cSeq += bytes.length;
    else this.sSeq += bytes.length;
    this.expect.set(n, { control: p.value });
  }

  gre(fromClient: boolean, bytes: Uint8Array): void {
    const p = parseGre(bytes);
    assert.ok(p.ok);
    const n = this.push(fromClient ? ipv4Packet(CLIENT, SERVER, IP_PROTO_GRE, bytes, this.id++) : ipv4Packet(SERVER, CLIENT, IP_PROTO_GRE, bytes, this.id++));
    this.expect.set(n, { gre: p.value });
  }
}

/** Runs a whole session through the two machines and records every message in order. */
function buildSession(): CaptureBuilder {
  const cap = new CaptureBuilder();
  cap.handshake();
  const client = new PptpControl({ role: 'client', rng: seededRng(21), hostName: 'client.example', vendorName: 'tunppp', maxCalls: 4 });
  const server = new PptpControl({ role: 'server', rng: seededRng(22), hostName: 'server.example', vendorName: 'tunppp' });
  let now = 0;
  const upIds: { callId: number; peerCallId: number }[] = [];
  const feed = (fromClient: boolean, input: ControlInput): void => {
    const m = fromClient ? client : server;
    for (const o of m.handle(input, now)) {
      if (o.kind === 'event' && o.event.type === 'call-up' && fromClient) upIds.push({ callId: o.event.callId, peerCallId: o.event.peerCallId });
      if (o.kind !== 'send') continue;
      cap.control(fromClient, o.bytes);
      feed(!fromClient, { type: 'data', bytes: o.bytes });
    }
  };
  feed(false, { type: 'tcp-open' });
  feed(true, { type: 'tcp-open' });
  feed(true, { type: 'open-call' });
  const call = upIds[0]!;
  feed(true, { type: 'set-link-info', callId: call.callId, sendAccm: 0, receiveAccm: 0xffffffff });
  now = 60_000;
  feed(true, { type: 'timeout' }); // Echo-Request from the client, answered
  feed(false, { type: 'open-call' }); // ICRQ / ICRP / ICCN
  // WAN-Error-Notify has no command (we never are a PAC with a WAN); encode one as a PAC would.
  const wen = encodeControlMessage({ type: 'WEN', peerCallId: call.callId, crcErrors: 1, framingErrors: 2, hardwareOverruns: 3, bufferOverruns: 4, timeoutErrors: 5, alignmentErrors: 6 });
  cap.control(false, wen);

  // GRE both ways: data, data with piggybacked acknowledgment, acknowledgment only.
  const lcpEcho = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78);
  const cGre = new GreChannel({ callId: call.callId, peerCallId: call.peerCallId, peerRecvWindow: 64 });
  const sGre = new GreChannel({ callId: call.peerCallId, peerCallId: call.callId, peerRecvWindow: 64 });
  const sink = (fromClient: boolean): GreChannelSink => ({ deliver: () => undefined, transmit: (b) => cap.gre(fromClient, b) });
  for (let i = 0; i < 2; i++) {
    const p = cGre.send(lcpEcho, 100 + i);
    assert.ok(typeof p !== 'string');
    cap.gre(true, p);
    sGre.receive(p, 100 + i, sink(false));
  }
  const reply = sGre.send(lcpEcho, 105);
  assert.ok(typeof reply !== 'string');
  cap.gre(false, reply);
  cGre.receive(reply, 105, sink(true));
  cGre.timeout(1000, sink(true)); // acknowledgment-only packet

  feed(true, { type: 'close-call', callId: call.callId }); // CCRQ / CDN
  feed(true, { type: 'stop' }); // StopCCRQ / StopCCRP
  return cap;
}

type Json = Record<string, unknown>;

/** Every value stored under `key` anywhere in a tshark JSON tree. */
function findAll(node: unknown, key: string, out: unknown[] = []): unknown[] {
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === key) out.push(v);
      findAll(v, key, out);
    }
  }
  return out;
}

/** The fields tshark should show for one of our control messages. */
function pptpFields(m: ControlMessage, length: number): Record<string, string> {
  const f: Record<string, string> = {
    'pptp.length': String(length),
    'pptp.type': '1',
    'pptp.magic_cookie': '0x1a2b3c4d',
    'pptp.control_message_type': String(CONTROL_MESSAGE_TYPE[m.type]),
  };
  switch (m.type) {
    case 'SCCRQ':
    case 'SCCRP':
      f['pptp.protocol_version'] = String(m.protocolVersion);
      f['pptp.host_name'] = m.hostName;
      f['pptp.vendor_name'] = m.vendorName;
      f['pptp.maximum_channels'] = String(m.maximumChannels);
      if (m.type === 'SCCRP') f['pptp.control_result'] = String(m.resultCode);
      break;
    case 'OCRQ':
      f['pptp.call_id'] = String(m.callId);
      f['pptp.packet_receive_window_size'] = String(m.packetRecvWindowSize);
      break;
    case 'OCRP':
      f['pptp.call_id'] = String(m.callId);
      f['pptp.peer_call_id'] = String(m.peerCallId);
      f['pptp.out_result'] = String(m.resultCode);
      break;
    case 'ICRQ':
      f['pptp.call_id'] = String(m.callId);
      break;
    case 'ICRP':
      f['pptp.call_id'] = String(m.callId);
      f['pptp.peer_call_id'] = String(m.peerCallId);
      break;
    case 'ICCN':
      f['pptp.peer_call_id'] = String(m.peerCallId);
      break;
    case 'CCRQ':
      f['pptp.call_id'] = String(m.callId);
      break;
    case 'CDN':
      f['pptp.call_id'] = String(m.callId);
      break;
    case 'SLI':
      f['pptp.peer_call_id'] = String(m.peerCallId);
      f['pptp.send_accm'] = `0x${m.sendAccm.toString(16).padStart(8, '0')}`;
      f['pptp.receive_accm'] = `0x${m.receiveAccm.toString(16).padStart(8, '0')}`;
      break;
    case 'WEN':
      f['pptp.peer_call_id'] = String(m.peerCallId);
      f['pptp.crc_errors'] = String(m.crcErrors);
      f['pptp.alignment_errors'] = String(m.alignmentErrors);
      break;
    case 'ECHORQ':
    case 'ECHORP':
      f['pptp.identifier'] = String(m.identifier);
      break;
    case 'STOPCCRQ':
      f['pptp.reason'] = String(m.reason);
      break;
    case 'STOPCCRP':
      f['pptp.stop_result'] = String(m.resultCode);
      break;
  }
  return f;
}

function greFields(g: GrePacket): Record<string, string> {
  const f: Record<string, string> = {
    'gre.flags.version': '1',
    'gre.flags.key': '1',
    'gre.flags.checksum': '0',
    'gre.flags.routing': '0',
    'gre.flags.sequence_number': g.seq === undefined ? '0' : '1',
    'gre.flags.ack': g.ack === undefined ? '0' : '1',
    'gre.proto': '0x880b',
    'gre.key.payload_length': String(g.payload.length),
    'gre.key.call_id': String(g.callId),
  };
  if (g.seq !== undefined) f['gre.sequence_number'] = String(g.seq);
  if (g.ack !== undefined) f['gre.ack_number'] = String(g.ack);
  return f;
}

/** Expert severities from epan/proto.h: warning and error. */
const PI_WARN = 0x00600000;

test('tshark: a whole session of our PPTP output decodes with matching fields, nothing malformed, no warnings', { skip: hasTshark ? false : 'tshark is not installed (apt-get install -y tshark)' }, () => {
  const cap = buildSession();
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-pptp-tshark-'));
  try {
    const file = join(dir, 'pptp.pcap');
    writeFileSync(file, encodePcap(LINKTYPE.RAW, cap.records));
    const r = spawnSync('tshark', ['-r', file, '-T', 'json', '-o', 'tcp.check_checksum:TRUE'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const frames = JSON.parse(r.stdout) as { _source: { layers: Json } }[];
    assert.equal(frames.length, cap.records.length);
    const seenTypes = new Set<string>();
    frames.forEach((fr, i) => {
      const layers = fr._source.layers;
      const n = i + 1;
      assert.deepEqual(findAll(layers, '_ws.malformed'), [], `frame ${n} malformed`);
      const severities = findAll(layers, '_ws.expert.severity').map(Number);
      const bad = severities.filter((s) => s >= PI_WARN);
      assert.deepEqual(bad, [], `frame ${n} expert info: ${JSON.stringify(findAll(layers, '_ws.expert.message'))}`);
      const want = cap.expect.get(n);
      if (want?.control) {
        seenTypes.add(want.control.type);
        const pptp = layers.pptp as Json | undefined;
        assert.ok(pptp, `frame ${n}: no pptp layer`);
        for (const [k, v] of Object.entries(pptpFields(want.control, encodeControlMessage(want.control).length))) {
          assert.deepEqual(findAll(pptp, k)[0], v, `frame ${n} ${want.control.type} ${k}`);
        }
      }
      if (want?.gre) {
        const gre = layers.gre as Json | undefined;
        assert.ok(gre, `frame ${n}: no gre layer`);
        for (const [k, v] of Object.entries(greFields(want.gre))) assert.deepEqual(findAll(gre, k)[0], v, `frame ${n} ${k}`);
        if (want.gre.payload.length > 0) assert.ok(layers.ppp ?? layers.lcp, `frame ${n}: PPP payload not dissected`);
      }
    });
    assert.deepEqual([...seenTypes].sort(), Object.keys(CONTROL_MESSAGE_TYPE).sort(), 'every control message type is in the session');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
