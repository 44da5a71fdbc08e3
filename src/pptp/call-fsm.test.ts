import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlMessage, Ocrp, Ocrq } from './control-codec.js';
import { type CallEvent, type CallParams, type CallSink, PptpCall } from './call-fsm.js';

const params: CallParams = { recvWindow: 32, processingDelay: 1, connectSpeed: 1_000_000, callTimeoutMs: 60_000 };
function sink(): CallSink & { sent: ControlMessage[]; events: CallEvent[] } {
  const sent: ControlMessage[] = [];
  const events: CallEvent[] = [];
  return { sent, events, send: (m) => sent.push(m), event: (e) => events.push(e) };
}
const ocrq: Ocrq = { type: 'OCRQ', callId: 17611, callSerialNumber: 1, minimumBps: 300, maximumBps: 1e8, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' };
const ocrp = (resultCode: number): Ocrp => ({ type: 'OCRP', callId: 555, peerCallId: 10, resultCode, errorCode: 0, causeCode: 0, connectSpeed: 9600, packetRecvWindowSize: 16, packetProcessingDelay: 2, physicalChannelId: 0 });

test('PNS idle: open → OCRQ with our window, Wait-Reply with a 60 s deadline', () => {
  const c = new PptpCall(10, 'pns', 'outgoing', 3, params);
  const s = sink();
  c.open(s, 100, 7);
  assert.equal(c.state, 'wait-reply');
  assert.equal(c.deadline, 60_100);
  const m = s.sent[0];
  assert.ok(m?.type === 'OCRQ');
  assert.equal(m.callId, 10);
  assert.equal(m.callSerialNumber, 3);
  assert.equal(m.packetRecvWindowSize, 32);
  assert.deepEqual(s.events, [{ type: 'call-requested', callId: 10, ref: 7 }]);
});

test('PNS wait-reply: OCRP connected → Established, call-up with the peer window and Call ID', () => {
  const c = new PptpCall(10, 'pns', 'outgoing', 3, params);
  const s = sink();
  c.open(s, 0);
  assert.equal(c.onOcrp(ocrp(1), s), true);
  assert.equal(c.state, 'established');
  assert.equal(c.deadline, undefined);
  assert.deepEqual(s.events.at(-1), { type: 'call-up', callId: 10, peerCallId: 555, direction: 'outgoing', callSerialNumber: 3, peerRecvWindow: 16, peerProcessingDelay: 2, connectSpeed: 9600 });
  assert.equal(c.onOcrp(ocrp(1), s), false, 'a second OCRP does not fit Established');
});

test('PNS wait-reply: OCRP busy → Idle, call-down rejected with the result code', () => {
  const c = new PptpCall(10, 'pns', 'outgoing', 3, params);
  const s = sink();
  c.open(s, 0);
  c.onOcrp(ocrp(4), s);
  assert.equal(c.state, 'idle');
  assert.deepEqual(s.events.at(-1), { type: 'call-down', callId: 10, reason: 'rejected', resultCode: 4, errorCode: 0, causeCode: 0 });
});

test('PNS established: close → CCRQ, Wait-Disconnect; CDN → Idle local-close; timeout in Wait-Disconnect → Idle timeout', () => {
  const c = new PptpCall(10, 'pns', 'outgoing', 3, params);
  const s = sink();
  c.open(s, 0);
  c.onOcrp(ocrp(1), s);
  c.close(s, 10);
  assert.equal(c.state, 'wait-disconnect');
  assert.deepEqual(s.sent.at(-1), { type: 'CCRQ', callId: 10 });
  c.close(s, 11);
  assert.equal(s.sent.filter((m) => m.type === 'CCRQ').length, 1, 'closing twice sends once');
  const d = new PptpCall(11, 'pns', 'outgoing', 4, params);
  const s2 = sink();
  d.open(s2, 0);
  d.onOcrp(ocrp(1), s2);
  d.close(s2, 0);
  d.timeout(s2, 59_999);
  assert.equal(d.state, 'wait-disconnect');
  d.timeout(s2, 60_000);
  assert.equal(d.state, 'idle');
  assert.deepEqual(s2.events.at(-1), { type: 'call-down', callId: 11, peerCallId: 555, reason: 'timeout' });
  c.onCdn({ type: 'CDN', callId: 555, resultCode: 4, errorCode: 0, causeCode: 0, callStatistics: 's' }, s);
  assert.equal(c.state, 'idle');
  assert.deepEqual(s.events.at(-1), { type: 'call-down', callId: 10, peerCallId: 555, reason: 'local-close', resultCode: 4, errorCode: 0, causeCode: 0, callStatistics: 's' });
});

test('PAC idle: OCRQ accepted → OCRP connected, Established at once', () => {
  const c = new PptpCall(20, 'pac', 'outgoing', 1, params);
  const s = sink();
  c.acceptOutgoing(ocrq, s);
  assert.equal(c.state, 'established');
  const m = s.sent[0];
  assert.ok(m?.type === 'OCRP');
  assert.deepEqual([m.callId, m.peerCallId, m.resultCode, m.connectSpeed, m.packetRecvWindowSize, m.packetProcessingDelay], [20, 17611, 1, 1_000_000, 32, 1]);
  assert.equal(s.events[0]?.type === 'call-up' && s.events[0].peerRecvWindow, 64);
});

test('PAC established: CCRQ → CDN Request, Idle peer-clear; local close → CDN Admin Shutdown', () => {
  const a = new PptpCall(20, 'pac', 'outgoing', 1, params);
  const s = sink();
  a.acceptOutgoing(ocrq, s);
  assert.equal(a.onCcrq(s), true);
  assert.deepEqual(s.sent.at(-1), { type: 'CDN', callId: 20, resultCode: 4, errorCode: 0, causeCode: 0, callStatistics: '' });
  assert.equal(a.state, 'idle');
  const b = new PptpCall(21, 'pac', 'outgoing', 1, params);
  const s2 = sink();
  b.acceptOutgoing(ocrq, s2);
  b.close(s2, 0);
  assert.deepEqual(s2.sent.at(-1), { type: 'CDN', callId: 21, resultCode: 3, errorCode: 0, causeCode: 0, callStatistics: '' });
  assert.equal(b.state, 'idle');
});

test('role mismatches → false, state unchanged', () => {
  const pac = new PptpCall(20, 'pac', 'outgoing', 1, params);
  const s = sink();
  pac.acceptOutgoing(ocrq, s);
  assert.equal(pac.onOcrp(ocrp(1), s), false);
  assert.equal(pac.onCdn({ type: 'CDN', callId: 1, resultCode: 1, errorCode: 0, causeCode: 0, callStatistics: '' }, s), false);
  assert.equal(pac.onIccn({ type: 'ICCN', peerCallId: 20, connectSpeed: 0, packetRecvWindowSize: 1, packetTransmitDelay: 0, framingType: 1 }, s), false);
  const pns = new PptpCall(10, 'pns', 'outgoing', 1, params);
  assert.equal(pns.onCcrq(s), false);
  assert.equal(pns.onIcrp({ type: 'ICRP', callId: 1, peerCallId: 10, resultCode: 1, errorCode: 0, packetRecvWindowSize: 1, packetTransmitDelay: 0 }, s), false);
  assert.equal(pac.state, 'established');
  assert.equal(pns.state, 'idle');
});

test('control down: any live call → call-down control-down; an idle call → nothing', () => {
  const c = new PptpCall(20, 'pac', 'outgoing', 1, params);
  const s = sink();
  c.controlDown(s);
  assert.deepEqual(s.events, []);
  c.acceptOutgoing(ocrq, s);
  c.controlDown(s);
  assert.deepEqual(s.events.at(-1), { type: 'call-down', callId: 20, peerCallId: 17611, reason: 'control-down' });
});
