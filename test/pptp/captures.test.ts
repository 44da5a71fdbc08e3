/**
 * Replays the real captures (test/fixtures/pcaps, see
 * MANIFEST.md) through the PPTP codecs and machines: every control message
 * re-encodes byte for byte, the tcpdump capture decodes to the fields
 * tcpdump printed, every enhanced GRE header round-trips, plain GRE is
 * refused with a reason, and the client halves of real sessions drive our
 * server machine to the expected events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { seededRng } from '../../src/core/rng.js';
import { toHex } from '../../src/wire/hex.js';
import { type ControlMessage, encodeControlMessage, parseControlMessage } from '../../src/pptp/control-codec.js';
import { ControlStreamFramer } from '../../src/pptp/control-stream.js';
import { type ControlOutput, PptpControl, type PptpEvent } from '../../src/pptp/control-fsm.js';
import { describeGreError, encodeGre, parseGre } from '../../src/pptp/gre.js';
import { GreChannel, type GreChannelSink } from '../../src/pptp/gre-channel.js';
import { grePackets, loadCapture, PCAP_DIR, tcpSegments } from './capture-util.js';

interface Framed {
  frame: number;
  timeMs: number;
  toServer: boolean;
  bytes: Uint8Array;
  msg: ControlMessage;
}

/** Every control message in a capture, in capture order, via our stream framer. */
function controlMessages(file: string): Framed[] {
  const framers = new Map<string, ControlStreamFramer>();
  const out: Framed[] = [];
  for (const seg of tcpSegments(loadCapture(file))) {
    let f = framers.get(seg.flow);
    if (!f) framers.set(seg.flow, (f = new ControlStreamFramer()));
    const r = f.push(seg.data);
    assert.equal(r.error, undefined, `${file} frame ${seg.frame}`);
    for (const bytes of r.frames) {
      const p = parseControlMessage(bytes);
      assert.ok(p.ok, `${file} frame ${seg.frame}: ${JSON.stringify(!p.ok && p.error)}`);
      out.push({ frame: seg.frame, timeMs: seg.timeMs, toServer: seg.toServer, bytes: bytes.slice(), msg: p.value });
    }
  }
  for (const f of framers.values()) assert.equal(f.buffered, 0, `${file}: a message left incomplete`);
  return out;
}

const CONTROL_CAPTURES: Record<string, string[]> = {
  'tcpdump-pptp.pcap': ['SCCRQ', 'SCCRP', 'OCRQ', 'OCRP', 'SLI'],
  'ndpi-pptp.pcap': ['SCCRQ', 'SCCRP', 'OCRQ', 'OCRP', 'SLI', 'SLI', 'CCRQ', 'CDN'],
  'chapcrack-sample.dump.pcap': ['SCCRQ', 'SCCRP', 'OCRQ', 'OCRP', 'CCRQ'],
  'jamesmackerel-pptp-windows-session.pcapng': ['SCCRQ', 'SCCRP', 'OCRQ', 'OCRP', 'SLI', 'SLI'],
};

for (const [file, types] of Object.entries(CONTROL_CAPTURES)) {
  test(`capture ${file}: every control message decodes and re-encodes byte for byte`, () => {
    const msgs = controlMessages(file);
    assert.deepEqual(msgs.map((m) => m.msg.type), types);
    for (const m of msgs) assert.equal(toHex(encodeControlMessage(m.msg)), toHex(m.bytes), `frame ${m.frame} ${m.msg.type}`);
  });
}

// tcpdump's print-pptp.c names, only for the values these captures hold.
const FRAME_CAP = (v: number): string => (v & 1 ? 'A' : '') + (v & 2 ? 'S' : '');
const BEARER_CAP = (v: number): string => (v & 1 ? 'A' : '') + (v & 2 ? 'D' : '');
const BEARER_TYPE: Record<number, string> = { 1: 'A', 2: 'D', 3: 'Any' };
const FRAME_TYPE: Record<number, string> = { 1: 'A', 2: 'S', 3: 'E' };
const SCCRP_RESULT: Record<number, string> = { 1: 'Successful channel establishment' };
const OCRP_RESULT: Record<number, string> = { 1: 'Connected' };
const ERR: Record<number, string> = { 0: 'None' };
const ver = (v: number): string => `${v >> 8}.${v & 0xff}`;

/** Our decoded message printed the way `tcpdump -v` prints it. */
function tcpdumpV(m: ControlMessage, length: number): string {
  const head = `pptp Length=${length} CTRL-MSG Magic-Cookie=1a2b3c4d CTRL_MSGTYPE=${m.type}`;
  switch (m.type) {
    case 'SCCRQ':
      return `${head} PROTO_VER(${ver(m.protocolVersion)}) FRAME_CAP(${FRAME_CAP(m.framingCapabilities)}) BEARER_CAP(${BEARER_CAP(m.bearerCapabilities)}) MAX_CHAN(${m.maximumChannels}) FIRM_REV(${m.firmwareRevision}) HOSTNAME(${m.hostName}) VENDOR(${m.vendorName})`;
    case 'SCCRP':
      return `${head} PROTO_VER(${ver(m.protocolVersion)}) RESULT_CODE(${m.resultCode}:${SCCRP_RESULT[m.resultCode]}) ERR_CODE(${m.errorCode}:${ERR[m.errorCode]}) FRAME_CAP(${FRAME_CAP(m.framingCapabilities)}) BEARER_CAP(${BEARER_CAP(m.bearerCapabilities)}) MAX_CHAN(${m.maximumChannels}) FIRM_REV(${m.firmwareRevision}) HOSTNAME(${m.hostName}) VENDOR(${m.vendorName})`;
    case 'OCRQ':
      return `${head} CALL_ID(${m.callId}) CALL_SER_NUM(${m.callSerialNumber}) MIN_BPS(${m.minimumBps}) MAX_BPS(${m.maximumBps}) BEARER_TYPE(${BEARER_TYPE[m.bearerType]}) FRAME_TYPE(${FRAME_TYPE[m.framingType]}) RECV_WIN(${m.packetRecvWindowSize}) PROC_DELAY(${m.packetProcessingDelay}) PHONE_NO_LEN(${m.phoneNumberLength}) PHONE_NO(${m.phoneNumber}) SUB_ADDR(${m.subaddress})`;
    case 'OCRP':
      return `${head} CALL_ID(${m.callId}) PEER_CALL_ID(${m.peerCallId}) RESULT_CODE(${m.resultCode}:${OCRP_RESULT[m.resultCode]}) ERR_CODE(${m.errorCode}:${ERR[m.errorCode]}) CAUSE_CODE(${m.causeCode}) CONN_SPEED(${m.connectSpeed}) RECV_WIN(${m.packetRecvWindowSize}) PROC_DELAY(${m.packetProcessingDelay}) PHY_CHAN_ID(${m.physicalChannelId})`;
    case 'SLI':
      return `${head} PEER_CALL_ID(${m.peerCallId}) SEND_ACCM(0x${m.sendAccm.toString(16).padStart(8, '0')}) RECV_ACCM(0x${m.receiveAccm.toString(16).padStart(8, '0')})`;
    default:
      return `${head} (not printed in this capture)`;
  }
}

test('capture tcpdump-pptp.pcap: decoded fields match tcpdump -v (tcpdump-pptp-v.expected.txt)', () => {
  // The file prints a frame-number line, then the decoded line.
  const expected: { frame: number; text: string }[] = [];
  let frame = 0;
  for (const l of readFileSync(new URL('tcpdump-pptp-v.expected.txt', PCAP_DIR), 'utf8').split('\n')) {
    const head = /^\s+(\d+)\s+\d{4}-\d\d-\d\d /.exec(l);
    if (head) frame = Number(head[1]);
    const body = /length \d+: (pptp .*)$/.exec(l.trimEnd());
    if (body) expected.push({ frame, text: body[1]! });
  }
  assert.equal(expected.length, 7, 'seven frames print PPTP (two are duplicates)');
  const ours = controlMessages('tcpdump-pptp.pcap');
  // tcpdump prints the duplicated frames 9 and 14 again; we decode each message once.
  const unique = expected.filter((e, i) => i === 0 || e.text !== expected[i - 1]!.text);
  assert.deepEqual(ours.map((m) => m.frame), unique.map((e) => e.frame));
  assert.deepEqual(ours.map((m) => tcpdumpV(m.msg, m.bytes.length)), unique.map((e) => e.text));
});

const GRE_V1_CAPTURES: Record<string, number> = {
  'tcpdump-pptp.pcap': 1,
  'flowcontainer-pptp-gre-mppe-data.pcap': 402,
  'zeek-gre-pptp.pcap': 2,
  'jamesmackerel-pptp-windows-session.pcapng': 356,
  'chapcrack-sample.dump.pcap': 117,
};

for (const [file, count] of Object.entries(GRE_V1_CAPTURES)) {
  test(`capture ${file}: every enhanced GRE header decodes and re-encodes byte for byte`, () => {
    const gre = grePackets(loadCapture(file));
    assert.equal(gre.length, count);
    let acks = 0;
    let seqs = 0;
    for (const g of gre) {
      const r = parseGre(g.ip.payload);
      assert.ok(r.ok, `frame ${g.frame}: ${!r.ok && describeGreError(r.error)}`);
      assert.equal(toHex(encodeGre(r.value)), toHex(g.ip.payload.subarray(0, r.bytesRead)), `frame ${g.frame}`);
      assert.equal(r.bytesRead, g.ip.payload.length, `frame ${g.frame}: bytes after the payload`);
      if (r.value.ack !== undefined) acks++;
      if (r.value.seq !== undefined) seqs++;
    }
    assert.ok(seqs > 0);
    if (count > 100) assert.ok(acks > 0, 'long sessions carry acknowledgments');
  });
}

for (const file of ['tcpdump-various_gre.pcap', 'zeek-gre-sample.pcap']) {
  test(`capture ${file}: plain GRE version 0 → refused as UNSUPPORTED version`, () => {
    const gre = grePackets(loadCapture(file));
    assert.ok(gre.length > 0);
    for (const g of gre) {
      const r = parseGre(g.ip.payload);
      assert.ok(!r.ok, `frame ${g.frame}`);
      assert.deepEqual(r.error, { code: 'UNSUPPORTED', offset: 1, field: 'version' }, `frame ${g.frame}`);
      assert.match(describeGreError(r.error), /not PPTP enhanced GRE/);
    }
  });
}

test('capture flowcontainer: each direction replayed through a GreChannel at capture times → in order, no drops', () => {
  const gre = grePackets(loadCapture('flowcontainer-pptp-gre-mppe-data.pcap'));
  const packets = loadCapture('flowcontainer-pptp-gre-mppe-data.pcap');
  const byDir = new Map<string, { channel: GreChannel; delivered: number; sent: number }>();
  for (const g of gre) {
    const r = parseGre(g.ip.payload);
    assert.ok(r.ok);
    const key = `${g.ip.src}>${g.ip.dst}`;
    let d = byDir.get(key);
    if (!d) byDir.set(key, (d = { channel: new GreChannel({ callId: r.value.callId, peerCallId: 1, peerRecvWindow: 64 }), delivered: 0, sent: 0 }));
    const sink: GreChannelSink = { deliver: () => d!.delivered++, transmit: () => d!.sent++ };
    const now = packets[g.frame - 1]!.timeMs;
    const due = d.channel.nextDeadline();
    if (due !== undefined && due <= now) d.channel.timeout(now, sink);
    d.channel.receive(g.ip.payload, now, sink);
  }
  assert.equal(byDir.size, 2);
  for (const [key, d] of byDir) {
    const st = d.channel.stats;
    assert.equal(st.drops.malformed + st.drops['wrong-call-id'] + st.drops['no-sequence'], 0, key);
    assert.ok(d.delivered > 0, key);
    assert.equal(st.drops.duplicate, 0, key);
  }
});

function replayToServer(file: string): { events: PptpEvent[]; replies: ControlMessage[]; drops: ControlOutput[] } {
  const server = new PptpControl({ role: 'server', rng: seededRng(11), hostName: 'tunppp' });
  const out: ControlOutput[] = [];
  const msgs = controlMessages(file).filter((m) => m.toServer);
  out.push(...server.handle({ type: 'tcp-open' }, msgs[0]!.timeMs));
  // The client names the server's Call ID in Set-Link-Info. The capture's
  // server chose its own (pptpd: 0); ours differs, so the test maps one to the
  // other, as the client would have used ours.
  let ours: number | undefined;
  for (const m of msgs) {
    let bytes = m.bytes;
    if (m.msg.type === 'SLI' && ours !== undefined) bytes = encodeControlMessage({ ...m.msg, peerCallId: ours });
    const o = server.handle({ type: 'data', bytes }, m.timeMs);
    for (const x of o) if (x.kind === 'event' && x.event.type === 'call-up') ours = x.event.callId;
    out.push(...o);
  }
  return {
    events: out.flatMap((o) => (o.kind === 'event' ? [o.event] : [])),
    replies: out.flatMap((o) => {
      if (o.kind !== 'send') return [];
      const p = parseControlMessage(o.bytes);
      return p.ok ? [p.value] : [];
    }),
    drops: out.filter((o) => o.kind === 'drop'),
  };
}

test('replay: the Windows client of the jamesmackerel capture → our server: control-up, call-up 17611, two link-info', () => {
  const r = replayToServer('jamesmackerel-pptp-windows-session.pcapng');
  assert.deepEqual(r.replies.map((m) => m.type), ['SCCRP', 'OCRP']);
  assert.deepEqual(r.events.map((e) => e.type), ['control-up', 'call-up', 'link-info', 'link-info']);
  const up = r.events[1];
  assert.ok(up?.type === 'call-up');
  assert.equal(up.peerCallId, 17611);
  assert.equal(up.peerRecvWindow, 64);
  assert.deepEqual(r.drops, []);
  const li = r.events.slice(2);
  assert.deepEqual(li.map((e) => e.type === 'link-info' && [e.sendAccm, e.receiveAccm]), [[0xffffffff, 0xffffffff], [0, 0xffffffff]]);
  const ocrp = r.replies[1];
  assert.ok(ocrp?.type === 'OCRP');
  assert.equal(ocrp.peerCallId, 17611);
});

test('replay: the pptp-linux client of ndpi-pptp.pcap → our server: call up, then CCRQ → CDN and call-down', () => {
  const r = replayToServer('ndpi-pptp.pcap');
  assert.deepEqual(r.replies.map((m) => m.type), ['SCCRP', 'OCRP', 'CDN']);
  assert.deepEqual(r.events.map((e) => e.type), ['control-up', 'call-up', 'call-down']);
  assert.deepEqual(r.drops, []);
  const down = r.events[2];
  assert.ok(down?.type === 'call-down');
  assert.equal(down.reason, 'peer-clear');
});
