/**
 * The RFC 1661 §4.1 state transition table, transcribed as data from the
 * RFC text (not from fsm.ts), and checked cell by cell against the
 * automaton: 16 events × 10 states = 160 cells, each for the new state and
 * for the actions (observed from outputs and the restart counter).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Fsm, FSM_STATES, type FsmOutput, type FsmState, type NegotiationHandler, type ReqciResult } from './fsm.js';
import { encodeCpPacket, parseCpPacket } from './packet.js';
import { CP_CODE } from '../protocols.js';

const EVENTS = ['Up', 'Down', 'Open', 'Close', 'TO+', 'TO-', 'RCR+', 'RCR-', 'RCA', 'RCN', 'RTR', 'RTA', 'RUC', 'RXJ+', 'RXJ-', 'RXR'] as const;
type Ev = (typeof EVENTS)[number];

// RFC 1661 §4.1, columns 0–9 (Initial … Opened), from test/fixtures/vectors/rfc1661-state-table.json.
const VECTOR = JSON.parse(readFileSync(new URL('../../../test/fixtures/vectors/rfc1661-state-table.json', import.meta.url), 'utf8')) as { rfc: string; section: string; events: string[]; states: string[]; table: Record<Ev, string[]> };
const TABLE = VECTOR.table;

// The "x" (crossed connection) cells: an Ack/Nak for a request that was
// already acked is a duplicate here (pppd/lwIP fsm.c `seen_ack`), so it is
// discarded with no transition. Documented in fsm.ts.
const DUPLICATE_ANSWER_CELLS = new Set(['Ack-Rcvd/RCA', 'Ack-Rcvd/RCN', 'Opened/RCA', 'Opened/RCN']);

const MAX_CONFIGURE = 10;
const MAX_TERMINATE = 2;

class TestHandler implements NegotiationHandler {
  resetci(): void {}
  addci(): Uint8Array { return Uint8Array.of(0x01); }
  ackci(): boolean { return true; }
  nakci(): boolean { return true; }
  rejci(): boolean { return true; }
  reqci(options: Uint8Array, _rejectIfDisagree?: boolean): ReqciResult {
    // Data 0x01 is acceptable, anything else is Nak'd.
    return options[0] === 0x01 ? { code: CP_CODE.CONFIGURE_ACK, options } : { code: CP_CODE.CONFIGURE_NAK, options: Uint8Array.of(0x01) };
  }
  up(): void {}
  down(): void {}
  starting(): void {}
  finished(): void {}
  extcode(p: { code: number; identifier: number; data: Uint8Array }) {
    if (p.code === CP_CODE.ECHO_REQUEST) return { kind: 'rxr' as const, reply: { code: CP_CODE.ECHO_REPLY, identifier: p.identifier, data: p.data } };
    return { kind: 'unknown' as const };
  }
}

const pkt = (code: number, identifier: number, data: number[] = []): Uint8Array => encodeCpPacket({ code, identifier, data: Uint8Array.from(data) });

function apply(f: Fsm, ev: Ev, now: number, out: FsmOutput[]): void {
  switch (ev) {
    case 'Up': f.lowerUp(now, out); break;
    case 'Down': f.lowerDown(now, out); break;
    case 'Open': f.open(now, out); break;
    case 'Close': f.close('admin close', now, out); break;
    case 'TO+': f.restartCount = 2; f.timeout(f.restartAt ?? now + 1e9, out); break;
    case 'TO-': f.restartCount = 0; f.timeout(f.restartAt ?? now + 1e9, out); break;
    case 'RCR+': f.receive(pkt(CP_CODE.CONFIGURE_REQUEST, 0x50, [0x01]), now, out); break;
    case 'RCR-': f.receive(pkt(CP_CODE.CONFIGURE_REQUEST, 0x51, [0x02]), now, out); break;
    case 'RCA': f.receive(pkt(CP_CODE.CONFIGURE_ACK, f.requestId & 0xff, [0x01]), now, out); break;
    case 'RCN': f.receive(pkt(CP_CODE.CONFIGURE_NAK, f.requestId & 0xff, [0x01]), now, out); break;
    case 'RTR': f.receive(pkt(CP_CODE.TERMINATE_REQUEST, 0x60), now, out); break;
    case 'RTA': f.receive(pkt(CP_CODE.TERMINATE_ACK, f.terminateId & 0xff), now, out); break;
    case 'RUC': f.receive(pkt(0x20, 0x61, [1, 2, 3]), now, out); break;
    case 'RXJ+': f.receive(pkt(CP_CODE.CODE_REJECT, 0x62, [CP_CODE.ECHO_REQUEST, 1, 0, 4]), now, out); break;
    case 'RXJ-': f.receive(pkt(CP_CODE.CODE_REJECT, 0x63, [CP_CODE.CONFIGURE_REQUEST, 1, 0, 4]), now, out); break;
    case 'RXR': f.receive(pkt(CP_CODE.ECHO_REQUEST, 0x64, [0, 0, 0, 0]), now, out); break;
  }
}

/** Paths from Initial to each state, through events only. */
const SETUP: Record<FsmState, Ev[]> = {
  'Initial': [],
  'Starting': ['Open'],
  'Closed': ['Up'],
  'Stopped': ['Up', 'Open', 'RXJ-'],
  'Closing': ['Up', 'Open', 'Close'],
  'Stopping': ['Up', 'Open', 'RCR+', 'RCA', 'RTR'],
  'Req-Sent': ['Up', 'Open'],
  'Ack-Rcvd': ['Up', 'Open', 'RCA'],
  'Ack-Sent': ['Up', 'Open', 'RCR+'],
  'Opened': ['Up', 'Open', 'RCR+', 'RCA'],
};

const SEND_ACTION: Record<number, string> = {
  [CP_CODE.CONFIGURE_REQUEST]: 'scr', [CP_CODE.CONFIGURE_ACK]: 'sca', [CP_CODE.CONFIGURE_NAK]: 'scn', [CP_CODE.CONFIGURE_REJECT]: 'scn',
  [CP_CODE.TERMINATE_REQUEST]: 'str', [CP_CODE.TERMINATE_ACK]: 'sta', [CP_CODE.CODE_REJECT]: 'scj', [CP_CODE.ECHO_REPLY]: 'ser',
};
const EVENT_ACTION: Record<string, string> = { 'layer-up': 'tlu', 'layer-down': 'tld', 'layer-started': 'tls', 'layer-finished': 'tlf' };

function observed(out: FsmOutput[]): string[] {
  const acts: string[] = [];
  for (const o of out) {
    if (o.kind === 'send') {
      const p = parseCpPacket(o.bytes);
      assert.ok(p.ok);
      acts.push(SEND_ACTION[p.value.code] ?? `code${p.value.code}`);
    } else if (o.kind === 'event') acts.push(EVENT_ACTION[o.event.type]!);
  }
  return acts;
}

let cells = 0;
for (const [si, state] of FSM_STATES.entries()) {
  for (const ev of EVENTS) {
    const cell = TABLE[ev][si]!;
    test(`${state}: ${ev} → ${cell}`, () => {
      const f = new Fsm(0xc021, new TestHandler(), { maxConfigure: MAX_CONFIGURE, maxTerminate: MAX_TERMINATE });
      const setupOut: FsmOutput[] = [];
      for (const e of SETUP[state]) apply(f, e, 0, setupOut);
      assert.equal(f.state, state, 'setup path');
      const countBefore = ev === 'TO+' ? 2 : ev === 'TO-' ? 0 : f.restartCount;
      const out: FsmOutput[] = [];
      apply(f, ev, 1, out);
      const acts = observed(out);
      if (cell === '-' || DUPLICATE_ANSWER_CELLS.has(`${state}/${ev}`)) {
        assert.equal(f.state, state);
        assert.deepEqual(acts, []);
        if (DUPLICATE_ANSWER_CELLS.has(`${state}/${ev}`)) assert.ok(out.some((o) => o.kind === 'drop' && o.reason === 'stale-identifier'));
        return;
      }
      const [actText, next] = cell.includes('/') ? cell.split('/') as [string, string] : ['', cell];
      const expected = actText ? actText.split(',') : [];
      assert.equal(f.state, FSM_STATES[Number(next)], 'new state');
      // Actions that produce outputs, in any order (RFC: "any convenient order").
      const visible = expected.filter((a) => a !== 'irc' && a !== 'zrc');
      assert.deepEqual([...acts].sort(), [...visible].sort(), 'actions');
      // irc/zrc: the restart counter, less one per scr/str sent.
      const sent = acts.filter((a) => a === 'scr' || a === 'str').length;
      const base = expected.includes('irc') ? (expected.includes('str') ? MAX_TERMINATE : MAX_CONFIGURE) : expected.includes('zrc') ? 0 : countBefore;
      assert.equal(f.restartCount, base - sent, 'restart counter');
      if (expected.includes('zrc')) assert.ok(f.restartAt !== undefined, 'zrc starts the timer');
    });
    cells++;
  }
}

test('table: 160 cells checked, vector matches the state and event lists', () => {
  assert.equal(cells, 160);
  assert.deepEqual(VECTOR.states, FSM_STATES);
  assert.deepEqual(VECTOR.events, EVENTS);
  assert.equal(VECTOR.rfc, '1661');
});

test('Req-Sent: TO+ → retransmits the same Identifier and bytes', () => {
  const f = new Fsm(0xc021, new TestHandler());
  const out: FsmOutput[] = [];
  f.lowerUp(0, out);
  f.open(0, out);
  const first = out.find((o) => o.kind === 'send');
  const out2: FsmOutput[] = [];
  f.timeout(2999, out2);
  assert.equal(out2.length, 0, 'not before the deadline');
  f.timeout(3000, out2);
  const again = out2.find((o) => o.kind === 'send');
  assert.ok(first?.kind === 'send' && again?.kind === 'send');
  assert.deepEqual([...again.bytes], [...first.bytes]);
});

test('Req-Sent: no answer → tlf after exactly Max-Configure requests', () => {
  const f = new Fsm(0xc021, new TestHandler(), { maxConfigure: 4, restartMs: 1000 });
  const out: FsmOutput[] = [];
  f.lowerUp(0, out);
  f.open(0, out);
  for (let t = 1000; f.nextDeadline() !== undefined; t += 1000) f.timeout(t, out);
  assert.equal(out.filter((o) => o.kind === 'send').length, 4);
  assert.equal(f.state, 'Stopped');
  const fin = out.find((o) => o.kind === 'event' && o.event.type === 'layer-finished');
  assert.ok(fin?.kind === 'event' && fin.event.type === 'layer-finished' && /Max-Configure/.test(fin.event.reason));
});

test('Req-Sent: peer Naks every request → closes after maxNakReceived, never loops', () => {
  const f = new Fsm(0xc021, new TestHandler(), { maxNakReceived: 3 });
  const out: FsmOutput[] = [];
  f.lowerUp(0, out);
  f.open(0, out);
  for (let i = 0; i < 10; i++) f.receive(pkt(CP_CODE.CONFIGURE_NAK, f.requestId, [1]), 0, out);
  assert.equal(f.state, 'Closing');
  assert.match(f.reason, /Nak\/Reject loop/);
});

test('Req-Sent: Max-Failure Naks sent → reqci asked to reject', () => {
  const seen: boolean[] = [];
  const h = new TestHandler();
  h.reqci = (o: Uint8Array, rej: boolean) => { seen.push(rej); return { code: CP_CODE.CONFIGURE_NAK, options: o }; };
  const f = new Fsm(0xc021, h, { maxFailure: 2 });
  const out: FsmOutput[] = [];
  f.lowerUp(0, out);
  f.open(0, out);
  for (let i = 0; i < 4; i++) f.receive(pkt(CP_CODE.CONFIGURE_REQUEST, i, [2]), 0, out);
  assert.deepEqual(seen, [false, false, true, true]);
});

test('Opened: malformed packet → drop, no transition', () => {
  const f = new Fsm(0xc021, new TestHandler());
  const out: FsmOutput[] = [];
  for (const e of SETUP.Opened) apply(f, e, 0, out);
  const o2: FsmOutput[] = [];
  f.receive(Uint8Array.of(1, 2, 0, 3), 0, o2);
  f.receive(Uint8Array.of(1, 2, 0, 9, 0), 0, o2);
  assert.deepEqual(o2.map((o) => o.kind === 'drop' && o.reason), ['malformed', 'malformed']);
  assert.equal(f.state, 'Opened');
});

test('any state: random event sequences keep the automaton consistent (h2-style)', async () => {
  const fc = (await import('fast-check')).default;
  const TIMED = new Set<FsmState>(['Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent']);
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...EVENTS), { maxLength: 60 }), (evs) => {
      const f = new Fsm(0xc021, new TestHandler(), { maxConfigure: 3, maxTerminate: 2 });
      let now = 0;
      for (const ev of evs) {
        const out: FsmOutput[] = [];
        now += 10;
        apply(f, ev, now, out);
        assert.ok(FSM_STATES.includes(f.state));
        // RFC 1661 §4.1: the restart timer runs exactly in the states with TO events.
        if (f.restartAt !== undefined) assert.ok(TIMED.has(f.state), `timer running in ${f.state}`);
        assert.ok(f.restartCount >= 0 && f.restartCount <= 3);
        for (const o of out) if (o.kind === 'send') assert.ok(parseCpPacket(o.bytes).ok);
      }
    }),
    { numRuns: 300 },
  );
});
