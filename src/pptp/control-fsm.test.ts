import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../core/rng.js';
import type { Millis } from '../core/machine.js';
import { CallIdPool } from './call-fsm.js';
import { type ControlMessage, encodeControlMessage, GENERAL_ERROR, parseControlMessage, SCCRP_RESULT } from './control-codec.js';
import { type ControlInput, type ControlOutput, PptpControl, type PptpControlOptions, type PptpEvent } from './control-fsm.js';

/** Messages in a list of outputs. */
function sent(out: ControlOutput[]): ControlMessage[] {
  return out.flatMap((o) => {
    if (o.kind !== 'send') return [];
    const p = parseControlMessage(o.bytes);
    assert.ok(p.ok);
    return [p.value];
  });
}
const events = (out: ControlOutput[]): PptpEvent[] => out.flatMap((o) => (o.kind === 'event' ? [o.event] : []));

/**
 * A client and a server wired back to back through an in-memory TCP link,
 * with a manual clock. `cut` makes one direction lose everything (a silent peer).
 */
class BackToBack {
  now: Millis = 0;
  readonly client: PptpControl;
  readonly server: PptpControl;
  readonly log: { side: 'client' | 'server'; t: Millis; out: ControlOutput }[] = [];
  cutToServer = false;
  cutToClient = false;

  constructor(client: Partial<PptpControlOptions> = {}, server: Partial<PptpControlOptions> = {}) {
    this.client = new PptpControl({ role: 'client', rng: seededRng(1), hostName: 'c', ...client });
    this.server = new PptpControl({ role: 'server', rng: seededRng(2), hostName: 's', ...server });
  }

  input(side: 'client' | 'server', input: ControlInput): void {
    const queue: { side: 'client' | 'server'; input: ControlInput }[] = [{ side, input }];
    while (queue.length) {
      const { side: s, input: i } = queue.shift()!;
      const m = s === 'client' ? this.client : this.server;
      for (const o of m.handle(i, this.now)) {
        this.log.push({ side: s, t: this.now, out: o });
        if (o.kind !== 'send') continue;
        const to = s === 'client' ? 'server' : 'client';
        if ((to === 'server' && this.cutToServer) || (to === 'client' && this.cutToClient)) continue;
        queue.push({ side: to, input: { type: 'data', bytes: o.bytes } });
      }
    }
  }

  connect(): void {
    this.input('server', { type: 'tcp-open' });
    this.input('client', { type: 'tcp-open' });
  }

  /** Advances the clock deadline by deadline until `until`. */
  runUntil(until: Millis): void {
    for (;;) {
      const ds = [this.client.nextDeadline(), this.server.nextDeadline()].filter((d): d is number => d !== undefined);
      const next = Math.min(...ds);
      if (!ds.length || next > until) break;
      this.now = Math.max(this.now, next);
      if (this.client.nextDeadline() === next) this.input('client', { type: 'timeout' });
      if (this.server.nextDeadline() === next) this.input('server', { type: 'timeout' });
    }
    this.now = until;
  }

  events(side: 'client' | 'server'): PptpEvent[] {
    return this.log.filter((l) => l.side === side && l.out.kind === 'event').map((l) => (l.out as { event: PptpEvent }).event);
  }

  sent(side: 'client' | 'server'): ControlMessage[] {
    return sent(this.log.filter((l) => l.side === side).map((l) => l.out));
  }

  types(side: 'client' | 'server'): string[] {
    return this.events(side).map((e) => e.type);
  }
}

test('idle: tcp-open on both ends → SCCRQ, SCCRP, control-up on both', () => {
  const b = new BackToBack();
  b.connect();
  assert.deepEqual(b.sent('client').map((m) => m.type), ['SCCRQ']);
  assert.deepEqual(b.sent('server').map((m) => m.type), ['SCCRP']);
  assert.equal(b.client.state, 'established');
  assert.equal(b.server.state, 'established');
  const up = b.events('client')[0];
  assert.ok(up?.type === 'control-up');
  assert.equal(up.peer.hostName, 's');
  assert.equal(up.peer.maximumChannels, 64, 'the PAC announces its call limit');
});

test('established: three outgoing calls → call-up on both ends with crossed Call IDs', () => {
  const b = new BackToBack({ maxCalls: 3 });
  b.connect();
  for (let i = 0; i < 3; i++) b.input('client', { type: 'open-call', ref: i });
  const cUps = b.events('client').filter((e) => e.type === 'call-up');
  const sUps = b.events('server').filter((e) => e.type === 'call-up');
  assert.equal(cUps.length, 3);
  assert.equal(sUps.length, 3);
  const requested = b.events('client').filter((e) => e.type === 'call-requested');
  assert.deepEqual(requested.map((e) => e.type === 'call-requested' && e.ref), [0, 1, 2]);
  for (let i = 0; i < 3; i++) {
    const c = cUps[i]!;
    const s = sUps[i]!;
    assert.ok(c.type === 'call-up' && s.type === 'call-up');
    assert.equal(c.callId, s.peerCallId);
    assert.equal(c.peerCallId, s.callId);
    assert.equal(c.peerRecvWindow, 64);
    assert.notEqual(c.callId, 0);
  }
  assert.equal(new Set(sUps.map((e) => e.type === 'call-up' && e.callId)).size, 3, 'distinct server Call IDs');
  assert.equal(b.server.callCount, 3);
});

test('established: OCRQ beyond the server maxCalls → OCRP General Error No-Resource → client call-down rejected', () => {
  const b = new BackToBack({ maxCalls: 5 }, { maxCalls: 2 });
  b.connect();
  for (let i = 0; i < 3; i++) b.input('client', { type: 'open-call' });
  const downs = b.events('client').filter((e) => e.type === 'call-down');
  assert.equal(downs.length, 1);
  assert.ok(downs[0]!.type === 'call-down');
  assert.equal(downs[0]!.reason, 'rejected');
  assert.equal(downs[0]!.errorCode, GENERAL_ERROR.NO_RESOURCE);
  assert.equal(b.client.callCount, 2);
});

test('established: client close-call → CCRQ, CDN → client local-close, server peer-clear, IDs freed', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  const up = b.events('client').find((e) => e.type === 'call-up');
  assert.ok(up?.type === 'call-up');
  b.input('client', { type: 'close-call', callId: up.callId });
  assert.deepEqual(b.sent('client').map((m) => m.type), ['SCCRQ', 'OCRQ', 'CCRQ']);
  assert.deepEqual(b.sent('server').map((m) => m.type), ['SCCRP', 'OCRP', 'CDN']);
  const cd = b.events('client').find((e) => e.type === 'call-down');
  const sd = b.events('server').find((e) => e.type === 'call-down');
  assert.ok(cd?.type === 'call-down' && sd?.type === 'call-down');
  assert.equal(cd.reason, 'local-close');
  assert.equal(cd.resultCode, 4, 'CDN Result Code 4 (Request)');
  assert.equal(sd.reason, 'peer-clear');
  assert.equal(b.client.callCount, 0);
  assert.equal(b.server.callCount, 0);
});

test('established: server close-call → CDN → client call-down peer-disconnect', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  const up = b.events('server').find((e) => e.type === 'call-up');
  assert.ok(up?.type === 'call-up');
  b.input('server', { type: 'close-call', callId: up.callId });
  const cd = b.events('client').find((e) => e.type === 'call-down');
  assert.ok(cd?.type === 'call-down');
  assert.equal(cd.reason, 'peer-disconnect');
  assert.equal(cd.resultCode, 3, 'Admin Shutdown');
  assert.equal(b.client.callCount, 0);
});

test('established: an incoming call from the server (ICRQ, ICRP, ICCN) → call-up on both', () => {
  const b = new BackToBack();
  b.connect();
  b.input('server', { type: 'open-call' });
  assert.deepEqual(b.sent('server').map((m) => m.type), ['SCCRP', 'ICRQ', 'ICCN']);
  assert.deepEqual(b.sent('client').map((m) => m.type), ['SCCRQ', 'ICRP']);
  const c = b.events('client').find((e) => e.type === 'call-up');
  const s = b.events('server').find((e) => e.type === 'call-up');
  assert.ok(c?.type === 'call-up' && s?.type === 'call-up');
  assert.equal(c.direction, 'incoming');
  assert.equal(c.callId, s.peerCallId);
  assert.equal(s.callId, c.peerCallId);
});

test('established: set-link-info → SLI → server link-info event for its call', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  const up = b.events('client').find((e) => e.type === 'call-up');
  assert.ok(up?.type === 'call-up');
  b.input('client', { type: 'set-link-info', callId: up.callId, sendAccm: 0, receiveAccm: 0xffffffff });
  const li = b.events('server').find((e) => e.type === 'link-info');
  assert.deepEqual(li, { type: 'link-info', callId: up.peerCallId, sendAccm: 0, receiveAccm: 0xffffffff });
});

test('established: WAN-Error-Notify → wan-error event', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  const up = b.events('client').find((e) => e.type === 'call-up');
  assert.ok(up?.type === 'call-up');
  const out = b.client.handle({ type: 'data', bytes: encodeControlMessage({ type: 'WEN', peerCallId: up.callId, crcErrors: 1, framingErrors: 2, hardwareOverruns: 3, bufferOverruns: 4, timeoutErrors: 5, alignmentErrors: 6 }) }, 0);
  assert.deepEqual(events(out), [{ type: 'wan-error', callId: up.callId, crcErrors: 1, framingErrors: 2, hardwareOverruns: 3, bufferOverruns: 4, timeoutErrors: 5, alignmentErrors: 6 }]);
});

test('established: 10 idle minutes → Echo-Requests every 60 s answered, connection stays up', () => {
  const b = new BackToBack();
  b.connect();
  b.runUntil(600_000);
  assert.equal(b.client.state, 'established');
  assert.equal(b.server.state, 'established');
  const echoes = b.sent('client').filter((m) => m.type === 'ECHORQ').length + b.sent('server').filter((m) => m.type === 'ECHORQ').length;
  assert.ok(echoes >= 10, `echoes: ${echoes}`);
  const replies = b.sent('server').filter((m) => m.type === 'ECHORP');
  assert.ok(replies.every((m) => m.type === 'ECHORP' && m.resultCode === 1));
});

test('established: peer goes silent → Echo-Request at 60 s, control-down echo-timeout at 120 s, calls down', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  b.cutToClient = true; // the server's replies never arrive
  b.now = 1000;
  b.runUntil(59_999);
  assert.equal(b.sent('client').filter((m) => m.type === 'ECHORQ').length, 0);
  b.runUntil(60_000);
  assert.equal(b.sent('client').filter((m) => m.type === 'ECHORQ').length, 1);
  b.runUntil(119_999);
  assert.equal(b.client.state, 'established');
  b.runUntil(120_000);
  assert.equal(b.client.state, 'closed');
  assert.deepEqual(b.types('client').slice(-2), ['call-down', 'control-down']);
  const down = b.events('client').at(-1);
  assert.ok(down?.type === 'control-down');
  assert.equal(down.reason, 'echo-timeout');
  assert.equal(b.client.nextDeadline(), undefined);
});

test('idle: server gets no SCCRQ → control-down handshake-timeout at 60 s', () => {
  const s = new PptpControl({ role: 'server', rng: seededRng(3) });
  assert.deepEqual(s.handle({ type: 'tcp-open' }, 5), []);
  assert.equal(s.nextDeadline(), 60_005);
  assert.deepEqual(s.handle({ type: 'timeout' }, 60_004), []);
  assert.deepEqual(events(s.handle({ type: 'timeout' }, 60_005)), [{ type: 'control-down', reason: 'handshake-timeout' }]);
});

test('wait-ctl-reply: no SCCRP → control-down handshake-timeout', () => {
  const b = new BackToBack();
  b.cutToServer = true;
  b.connect();
  b.runUntil(60_000);
  assert.equal(b.client.state, 'closed');
  assert.deepEqual(b.events('client').at(-1), { type: 'control-down', reason: 'handshake-timeout' });
});

test('established: client stop → StopCCRQ, StopCCRP → client local-stop, server peer-stop, calls down first', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  b.input('client', { type: 'stop' });
  assert.deepEqual(b.sent('client').map((m) => m.type), ['SCCRQ', 'OCRQ', 'STOPCCRQ']);
  assert.deepEqual(b.sent('server').map((m) => m.type), ['SCCRP', 'OCRP', 'STOPCCRP']);
  assert.deepEqual(b.types('client'), ['control-up', 'call-requested', 'call-up', 'call-down', 'control-down']);
  assert.deepEqual(b.types('server'), ['control-up', 'call-up', 'call-down', 'control-down']);
  assert.deepEqual(b.events('server').at(-1), { type: 'control-down', reason: 'peer-stop', detail: 'reason 3' });
  assert.deepEqual(b.events('client').at(-1), { type: 'control-down', reason: 'local-stop' });
});

test('established: server stop → client peer-stop', () => {
  const b = new BackToBack();
  b.connect();
  b.input('server', { type: 'stop', reason: 1 });
  assert.deepEqual(b.events('client').at(-1), { type: 'control-down', reason: 'peer-stop', detail: 'reason 1' });
  assert.deepEqual(b.events('server').at(-1), { type: 'control-down', reason: 'local-stop' });
});

test('wait-stop-reply: no StopCCRP → control-down stop-timeout', () => {
  const b = new BackToBack({}, {});
  b.connect();
  b.cutToClient = true;
  b.input('client', { type: 'stop' });
  assert.equal(b.client.state, 'wait-stop-reply');
  b.runUntil(60_000);
  assert.deepEqual(b.events('client').at(-1), { type: 'control-down', reason: 'stop-timeout' });
});

test('idle: SCCRQ with version 0.255 → SCCRP result 5, control-down version-unsupported', () => {
  const s = new PptpControl({ role: 'server', rng: seededRng(3) });
  s.handle({ type: 'tcp-open' }, 0);
  const out = s.handle({ type: 'data', bytes: encodeControlMessage({ type: 'SCCRQ', protocolVersion: 0x00ff, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' }) }, 1);
  const m = sent(out)[0];
  assert.ok(m?.type === 'SCCRP');
  assert.equal(m.resultCode, SCCRP_RESULT.BAD_PROTOCOL_VERSION);
  assert.deepEqual(events(out), [{ type: 'control-down', reason: 'version-unsupported', detail: 'peer version 0xff' }]);
});

test('established: a second SCCRQ → SCCRP result 3 (channel exists), still established', () => {
  const b = new BackToBack();
  b.connect();
  const out = b.server.handle({ type: 'data', bytes: encodeControlMessage({ type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' }) }, 0);
  const m = sent(out)[0];
  assert.ok(m?.type === 'SCCRP');
  assert.equal(m.resultCode, SCCRP_RESULT.CHANNEL_EXISTS);
  assert.equal(b.server.state, 'established');
});

test('idle: OCRQ before the handshake → OCRP General Error Not-Connected', () => {
  const s = new PptpControl({ role: 'server', rng: seededRng(3) });
  s.handle({ type: 'tcp-open' }, 0);
  const out = s.handle({ type: 'data', bytes: encodeControlMessage({ type: 'OCRQ', callId: 9, callSerialNumber: 0, minimumBps: 0, maximumBps: 0, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' }) }, 1);
  const m = sent(out)[0];
  assert.ok(m?.type === 'OCRP');
  assert.equal(m.peerCallId, 9);
  assert.equal(m.resultCode, 2);
  assert.equal(m.errorCode, GENERAL_ERROR.NOT_CONNECTED);
});

test('established: wrong Magic Cookie → control-down framing-error, calls down, later input dropped', () => {
  const b = new BackToBack();
  b.connect();
  b.input('client', { type: 'open-call' });
  const bad = encodeControlMessage({ type: 'ECHORQ', identifier: 1 });
  bad[4] = 0;
  const out = b.server.handle({ type: 'data', bytes: bad }, 0);
  assert.deepEqual(events(out).map((e) => e.type), ['call-down', 'control-down']);
  const down = events(out)[1];
  assert.ok(down?.type === 'control-down');
  assert.equal(down.reason, 'framing-error');
  const after = b.server.handle({ type: 'data', bytes: encodeControlMessage({ type: 'ECHORQ', identifier: 1 }) }, 0);
  assert.deepEqual(after, [{ kind: 'drop', reason: 'after-close', detail: 'data' }]);
});

test('established: messages for unknown calls and stray Echo-Replies → dropped with reasons, still up', () => {
  const b = new BackToBack();
  b.connect();
  const out = b.server.handle({ type: 'data', bytes: encodeControlMessage({ type: 'CCRQ', callId: 4242 }) }, 0);
  assert.deepEqual(out, [{ kind: 'drop', reason: 'unknown-call', detail: 'CCRQ for peer call 4242' }]);
  const out2 = b.server.handle({ type: 'data', bytes: encodeControlMessage({ type: 'ECHORP', identifier: 1, resultCode: 1, errorCode: 0 }) }, 0);
  assert.equal(out2[0]?.kind === 'drop' && out2[0].reason, 'echo-reply-mismatch');
  const mgmt = encodeControlMessage({ type: 'ECHORQ', identifier: 1 });
  mgmt[3] = 2;
  const out3 = b.server.handle({ type: 'data', bytes: mgmt }, 0);
  assert.equal(out3[0]?.kind === 'drop' && out3[0].reason, 'unsupported-message');
  assert.equal(b.server.state, 'established');
});

test('established: a duplicate live peer Call ID → OCRP Bad-Call ID', () => {
  const s = new PptpControl({ role: 'server', rng: seededRng(3) });
  s.handle({ type: 'tcp-open' }, 0);
  s.handle({ type: 'data', bytes: encodeControlMessage({ type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' }) }, 0);
  const ocrq = encodeControlMessage({ type: 'OCRQ', callId: 0, callSerialNumber: 0, minimumBps: 0, maximumBps: 0, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' });
  assert.equal(events(s.handle({ type: 'data', bytes: ocrq }, 0))[0]?.type, 'call-up');
  const m = sent(s.handle({ type: 'data', bytes: ocrq }, 0))[0];
  assert.ok(m?.type === 'OCRP');
  assert.equal(m.errorCode, GENERAL_ERROR.BAD_CALL_ID);
});

test('wait-reply: no OCRP within 60 s → CCRQ and call-down timeout, connection stays', () => {
  const c = new PptpControl({ role: 'client', rng: seededRng(4), echoIntervalMs: 1e9 });
  c.handle({ type: 'tcp-open' }, 0);
  c.handle({ type: 'data', bytes: encodeControlMessage({ type: 'SCCRP', resultCode: 1, errorCode: 0, protocolVersion: 0x100, framingCapabilities: 0, bearerCapabilities: 0, maximumChannels: 1, firmwareRevision: 1, hostName: '', vendorName: '' }) }, 0);
  c.handle({ type: 'open-call' }, 10);
  assert.equal(c.nextDeadline(), 60_010);
  const out = c.handle({ type: 'timeout' }, 60_010);
  assert.deepEqual(sent(out).map((m) => m.type), ['CCRQ']);
  const d = events(out)[0];
  assert.ok(d?.type === 'call-down');
  assert.equal(d.reason, 'timeout');
  assert.equal(c.state, 'established');
  assert.equal(c.callCount, 0);
});

test('CallIdPool: every ID drawn from the Rng → no two consecutive IDs in a row of 200, none 0, none repeated', () => {
  const pool = new CallIdPool(seededRng(3));
  const ids = Array.from({ length: 200 }, () => pool.allocate()!);
  assert.equal(new Set(ids).size, 200);
  assert.ok(!ids.includes(0));
  const consecutive = ids.slice(1).filter((id, i) => id === ((ids[i]! + 1) & 0xffff)).length;
  assert.equal(consecutive, 0, 'the next ID cannot be guessed from the last one');
  assert.notEqual(new CallIdPool(seededRng(1)).allocate(), new CallIdPool(seededRng(2)).allocate(), 'IDs depend on the Rng');
});

test('CallIdPool: sequentialFrom (a load generator) → consecutive IDs from the base, skipping live ones', () => {
  const pool = new CallIdPool(seededRng(1), { sequentialFrom: 0xfffe });
  assert.deepEqual([pool.allocate(), pool.allocate(), pool.allocate()], [0xfffe, 0xffff, 1]);
});

test('CallIdPool: never 0, never a live ID, exhaustion → undefined', () => {
  const pool = new CallIdPool({ bytes: (n) => new Uint8Array(n).fill(0xff) }); // start at 0xffff
  assert.equal(pool.allocate(), 0xffff);
  assert.equal(pool.allocate(), 1, 'wraps past 0');
  pool.release(0xffff);
  const seen = new Set<number>([1]);
  for (let i = 0; i < 0xfffe; i++) {
    const id = pool.allocate();
    assert.ok(id !== undefined && id !== 0 && !seen.has(id));
    seen.add(id);
  }
  assert.equal(pool.size, 0xffff);
  assert.equal(pool.allocate(), undefined);
  pool.release(77);
  assert.equal(pool.allocate(), 77);
});

test('two control connections sharing one CallIdPool (clients behind one NAT) → distinct server Call IDs', () => {
  const pool = new CallIdPool(seededRng(9));
  const ids: number[] = [];
  for (let k = 0; k < 2; k++) {
    const b = new BackToBack({}, { callIds: pool });
    b.connect();
    b.input('client', { type: 'open-call' });
    const up = b.events('server').find((e) => e.type === 'call-up');
    assert.ok(up?.type === 'call-up');
    ids.push(up.callId);
  }
  assert.notEqual(ids[0], ids[1]);
});

test('property: random bytes in any chunks never throw; the machine ends up closed or still consistent', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.boolean(), (chunks, handshake) => {
      const s = new PptpControl({ role: 'server', rng: seededRng(5) });
      s.handle({ type: 'tcp-open' }, 0);
      if (handshake) s.handle({ type: 'data', bytes: encodeControlMessage({ type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' }) }, 0);
      let t = 0;
      for (const c of chunks) s.handle({ type: 'data', bytes: c }, (t += 10));
      s.handle({ type: 'timeout' }, 1e7);
      assert.ok(['closed', 'established'].includes(s.state));
    }),
    { numRuns: 500 },
  );
});

test('property: every valid message in every state never throws', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom<ControlMessage>(
      { type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' },
      { type: 'SCCRP', resultCode: 1, errorCode: 0, protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' },
      { type: 'STOPCCRQ', reason: 1 }, { type: 'STOPCCRP', resultCode: 1, errorCode: 0 }, { type: 'ECHORQ', identifier: 1 },
      { type: 'ECHORP', identifier: 1, resultCode: 1, errorCode: 0 },
      { type: 'OCRQ', callId: 1, callSerialNumber: 0, minimumBps: 0, maximumBps: 0, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' },
      { type: 'OCRP', callId: 1, peerCallId: 1, resultCode: 1, errorCode: 0, causeCode: 0, connectSpeed: 0, packetRecvWindowSize: 1, packetProcessingDelay: 0, physicalChannelId: 0 },
      { type: 'ICRQ', callId: 1, callSerialNumber: 0, callBearerType: 1, physicalChannelId: 0, dialedNumberLength: 0, dialingNumberLength: 0, dialedNumber: '', dialingNumber: '', subaddress: '' },
      { type: 'ICRP', callId: 1, peerCallId: 1, resultCode: 1, errorCode: 0, packetRecvWindowSize: 1, packetTransmitDelay: 0 },
      { type: 'ICCN', peerCallId: 1, connectSpeed: 0, packetRecvWindowSize: 1, packetTransmitDelay: 0, framingType: 1 },
      { type: 'CCRQ', callId: 1 }, { type: 'CDN', callId: 1, resultCode: 1, errorCode: 0, causeCode: 0, callStatistics: '' },
      { type: 'WEN', peerCallId: 1, crcErrors: 0, framingErrors: 0, hardwareOverruns: 0, bufferOverruns: 0, timeoutErrors: 0, alignmentErrors: 0 },
      { type: 'SLI', peerCallId: 1, sendAccm: 0, receiveAccm: 0 },
    ), { maxLength: 12 }), fc.constantFrom('server' as const, 'client' as const), (msgs, role) => {
      const m = new PptpControl({ role, rng: seededRng(6) });
      m.handle({ type: 'tcp-open' }, 0);
      let t = 0;
      for (const msg of msgs) {
        m.handle({ type: 'data', bytes: encodeControlMessage(msg) }, (t += 1000));
        if (t % 3000 === 0) m.handle({ type: 'open-call' }, t);
      }
      const d = m.nextDeadline();
      if (d !== undefined) m.handle({ type: 'timeout' }, d);
    }),
    { numRuns: 500 },
  );
});

/** The state each (role, state, received message) pair must lead to; anything not listed stays put. */
const TRANSITIONS: Record<string, Partial<Record<ControlMessage['type'], string>>> = {
  'server idle': { SCCRQ: 'established', STOPCCRQ: 'closed' },
  'server established': { STOPCCRQ: 'closed' },
  'server wait-stop-reply': { STOPCCRQ: 'closed', STOPCCRP: 'closed' },
  'client wait-ctl-reply': { SCCRP: 'established', STOPCCRQ: 'closed' },
  'client established': { STOPCCRQ: 'closed' },
  'client wait-stop-reply': { STOPCCRQ: 'closed', STOPCCRP: 'closed' },
  'server closed': {},
  'client closed': {},
};

const SAMPLES: ControlMessage[] = [
  { type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' },
  { type: 'SCCRP', resultCode: 1, errorCode: 0, protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: '', vendorName: '' },
  { type: 'STOPCCRQ', reason: 1 },
  { type: 'STOPCCRP', resultCode: 1, errorCode: 0 },
  { type: 'ECHORQ', identifier: 1 },
  { type: 'ECHORP', identifier: 1, resultCode: 1, errorCode: 0 },
  { type: 'OCRQ', callId: 1, callSerialNumber: 0, minimumBps: 0, maximumBps: 0, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' },
  { type: 'OCRP', callId: 1, peerCallId: 1, resultCode: 1, errorCode: 0, causeCode: 0, connectSpeed: 0, packetRecvWindowSize: 1, packetProcessingDelay: 0, physicalChannelId: 0 },
  { type: 'ICRQ', callId: 1, callSerialNumber: 0, callBearerType: 1, physicalChannelId: 0, dialedNumberLength: 0, dialingNumberLength: 0, dialedNumber: '', dialingNumber: '', subaddress: '' },
  { type: 'ICRP', callId: 1, peerCallId: 1, resultCode: 1, errorCode: 0, packetRecvWindowSize: 1, packetTransmitDelay: 0 },
  { type: 'ICCN', peerCallId: 1, connectSpeed: 0, packetRecvWindowSize: 1, packetTransmitDelay: 0, framingType: 1 },
  { type: 'CCRQ', callId: 1 },
  { type: 'CDN', callId: 1, resultCode: 1, errorCode: 0, causeCode: 0, callStatistics: '' },
  { type: 'WEN', peerCallId: 1, crcErrors: 0, framingErrors: 0, hardwareOverruns: 0, bufferOverruns: 0, timeoutErrors: 0, alignmentErrors: 0 },
  { type: 'SLI', peerCallId: 1, sendAccm: 0, receiveAccm: 0 },
];

/** A machine of `role` driven into `state`. */
function inState(role: 'server' | 'client', state: string): PptpControl {
  const m = new PptpControl({ role, rng: seededRng(8) });
  const sccrq = encodeControlMessage(SAMPLES[0]!);
  const sccrp = encodeControlMessage(SAMPLES[1]!);
  m.handle({ type: 'tcp-open' }, 0);
  if (state === 'idle' || state === 'wait-ctl-reply') return m;
  m.handle({ type: 'data', bytes: role === 'server' ? sccrq : sccrp }, 0);
  if (state === 'established') return m;
  m.handle({ type: 'stop' }, 0);
  if (state === 'wait-stop-reply') return m;
  m.handle({ type: 'data', bytes: encodeControlMessage({ type: 'STOPCCRP', resultCode: 1, errorCode: 0 }) }, 0);
  return m;
}

test('every state × every received message → the tabled next state; sends parse; drops carry a known reason', () => {
  const reasons = new Set(['malformed-message', 'unsupported-message', 'unexpected-message', 'unknown-call', 'echo-reply-mismatch', 'after-close', 'command-ignored']);
  let cells = 0;
  for (const [key, table] of Object.entries(TRANSITIONS)) {
    const [role, state] = key.split(' ') as ['server' | 'client', string];
    for (const msg of SAMPLES) {
      const m = inState(role, state);
      assert.equal(m.state, state, key);
      const out = m.handle({ type: 'data', bytes: encodeControlMessage(msg) }, 1);
      assert.equal(m.state, table[msg.type] ?? state, `${key}: ${msg.type}`);
      for (const o of out) {
        if (o.kind === 'send') assert.ok(parseControlMessage(o.bytes).ok);
        if (o.kind === 'drop') assert.ok(reasons.has(o.reason), o.reason);
      }
      if (state === 'closed') assert.deepEqual(out, [{ kind: 'drop', reason: 'after-close', detail: 'data' }]);
      cells++;
    }
  }
  assert.equal(cells, 8 * 15);
});

test('options: maxCalls 0 or a window over 65535 → LocalUsageError at construction', () => {
  assert.throws(() => new PptpControl({ role: 'server', rng: seededRng(1), maxCalls: 0 }), { code: 'LOCAL_USAGE' });
  assert.throws(() => new PptpControl({ role: 'server', rng: seededRng(1), recvWindow: 70000 }), { code: 'LOCAL_USAGE' });
});
