import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../core/rng.js';
import {
  ATTR,
  RADIUS_CODE,
  encodeRadiusPacket,
  findAttr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signResponse,
  textAttr,
  unhidePassword,
  verifyRequest,
} from './codec.js';
import { RadiusClient, type RadiusClientOutput } from './client.js';

const SECRETS = ['one', 'two'];

function client(n = 2, extra: { requireMessageAuthenticator?: boolean } = {}): RadiusClient {
  return new RadiusClient({ servers: SECRETS.slice(0, n).map((secret) => ({ secret })), timeoutMs: 1000, retries: 2, ...extra }, seededRng(7));
}

function sends(out: RadiusClientOutput[]): { server: number; bytes: Uint8Array }[] {
  return out.flatMap((o) => (o.kind === 'send' ? [{ server: o.server, bytes: o.bytes }] : []));
}

function events(out: RadiusClientOutput[]): string[] {
  return out.flatMap((o) => (o.kind === 'event' ? [o.event.type] : o.kind === 'drop' ? [`drop:${o.reason}`] : []));
}

/** What a server would answer, signed with `secret`. */
function answer(request: Uint8Array, code: number, secret: string, ma = true): Uint8Array {
  const req = parseRadiusPacket(request);
  assert.ok(req.ok);
  const bytes = encodeRadiusPacket({
    code,
    identifier: req.value.identifier,
    authenticator: new Uint8Array(16),
    attributes: ma ? [messageAuthenticatorPlaceholder(), textAttr(ATTR.REPLY_MESSAGE, 'hi')] : [textAttr(ATTR.REPLY_MESSAGE, 'hi')],
  });
  return signResponse(bytes, req.value.authenticator, secret);
}

const pap = { type: 'request' as const, tag: 1, code: RADIUS_CODE.ACCESS_REQUEST, attributes: [textAttr(ATTR.USER_NAME, 'nemo')], password: new TextEncoder().encode('arctangent') };

test('idle: request → Access-Request with Message-Authenticator and a hidden User-Password the server can read', () => {
  const c = client();
  const [s] = sends(c.handle(pap, 0));
  assert.ok(s);
  assert.equal(s.server, 0);
  assert.deepEqual(verifyRequest(s.bytes, 'one'), { ok: true, messageAuthenticator: true });
  const p = parseRadiusPacket(s.bytes);
  assert.ok(p.ok);
  assert.equal(p.value.attributes[0]!.type, ATTR.MESSAGE_AUTHENTICATOR);
  const pw = unhidePassword(findAttr(p.value, ATTR.USER_PASSWORD)!, 'one', p.value.authenticator);
  assert.ok(pw.ok);
  assert.equal(new TextDecoder().decode(pw.value), 'arctangent');
  assert.equal(c.nextDeadline(), 1000);
});

test('waiting: Access-Accept from the server → response event, request forgotten', () => {
  const c = client();
  const [s] = sends(c.handle(pap, 0));
  const out = c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'one') }, 10);
  assert.deepEqual(events(out), ['response']);
  const e = out.find((o) => o.kind === 'event');
  assert.ok(e?.kind === 'event' && e.event.type === 'response' && e.event.tag === 1 && e.event.packet.code === RADIUS_CODE.ACCESS_ACCEPT);
  assert.equal(c.nextDeadline(), undefined);
  // A duplicate of the same answer finds no request.
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'one') }, 11)), ['drop:unknown-identifier']);
});

test('waiting: answer signed with a wrong secret / wrong code / from the other server → dropped, still waiting', () => {
  const c = client();
  const [s] = sends(c.handle(pap, 0));
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'two') }, 1)), ['drop:bad-authenticator']);
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCOUNTING_RESPONSE, 'one') }, 1)), ['drop:unexpected-code']);
  assert.deepEqual(events(c.handle({ type: 'response', server: 1, bytes: answer(s!.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'two') }, 1)), ['drop:unknown-identifier']);
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: new Uint8Array(5) }, 1)), ['drop:malformed']);
  assert.deepEqual(events(c.handle({ type: 'response', server: 9, bytes: new Uint8Array(5) }, 1)), ['drop:unknown-server']);
  assert.equal(c.nextDeadline(), 1000);
});

test('waiting, Message-Authenticator required: Accept without one → dropped; with one → accepted', () => {
  const c = client(1, { requireMessageAuthenticator: true });
  const [s] = sends(c.handle(pap, 0));
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'one', false) }, 1)), ['drop:missing-message-authenticator']);
  const forged = answer(s!.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'one', true);
  forged[23]! ^= 0xff; // inside the Message-Authenticator value
  assert.equal(events(c.handle({ type: 'response', server: 0, bytes: forged }, 1))[0]!.startsWith('drop:bad'), true);
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCESS_REJECT, 'one', true) }, 2)), ['response']);
});

test('waiting: TO → same bytes again `retries` times, then failover to server 1 with a new authenticator, then timeout', () => {
  const c = client();
  const first = sends(c.handle(pap, 0))[0]!;
  const r1 = sends(c.handle({ type: 'timeout' }, 1000));
  const r2 = sends(c.handle({ type: 'timeout' }, 2000));
  assert.deepEqual(r1, [first]);
  assert.deepEqual(r2, [first]);
  const out = c.handle({ type: 'timeout' }, 3000);
  assert.deepEqual(events(out), ['server-failed']);
  const [fo] = sends(out);
  assert.equal(fo!.server, 1);
  assert.notDeepEqual(fo!.bytes.subarray(4, 20), first.bytes.subarray(4, 20));
  const p = parseRadiusPacket(fo!.bytes);
  assert.ok(p.ok);
  const pw = unhidePassword(findAttr(p.value, ATTR.USER_PASSWORD)!, 'two', p.value.authenticator);
  assert.ok(pw.ok && new TextDecoder().decode(pw.value) === 'arctangent', 'hidden again with the second secret');
  assert.equal(c.preferred, 1);
  // A late answer from server 0 is no longer accepted.
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(first.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'one') }, 3001)), ['drop:unknown-identifier']);
  sends(c.handle({ type: 'timeout' }, 4000));
  sends(c.handle({ type: 'timeout' }, 5000));
  assert.deepEqual(events(c.handle({ type: 'timeout' }, 6000)), ['server-failed', 'timeout']);
  assert.equal(c.outstanding, 0);
  // The next request starts at the server that was chosen last.
  assert.equal(sends(c.handle({ ...pap, tag: 2 }, 7000))[0]!.server, 0);
});

test('waiting: timeout before the deadline → nothing', () => {
  const c = client();
  c.handle(pap, 0);
  assert.deepEqual(c.handle({ type: 'timeout' }, 999), []);
});

test('Accounting-Request: authenticator is computed and verifies; Accounting-Response is accepted', () => {
  const c = client(1);
  const [s] = sends(c.handle({ type: 'request', tag: 5, code: RADIUS_CODE.ACCOUNTING_REQUEST, attributes: [textAttr(ATTR.ACCT_SESSION_ID, 'x')] }, 0));
  assert.deepEqual(verifyRequest(s!.bytes, 'one'), { ok: true, messageAuthenticator: false });
  assert.deepEqual(events(c.handle({ type: 'response', server: 0, bytes: answer(s!.bytes, RADIUS_CODE.ACCOUNTING_RESPONSE, 'one', false) }, 1)), ['response']);
});

test('256 in flight to one server → the 257th waits and goes out when an Identifier frees', () => {
  const c = client(1);
  const ids = new Set<number>();
  let first: Uint8Array | undefined;
  for (let t = 0; t < 256; t++) {
    const [s] = sends(c.handle({ ...pap, tag: t }, 0));
    ids.add(s!.bytes[1]!);
    first ??= s!.bytes;
  }
  assert.equal(ids.size, 256);
  assert.deepEqual(sends(c.handle({ ...pap, tag: 999 }, 0)), []);
  assert.equal(c.outstanding, 257);
  const out = c.handle({ type: 'response', server: 0, bytes: answer(first!, RADIUS_CODE.ACCESS_REJECT, 'one') }, 1);
  assert.equal(sends(out).length, 1);
  assert.equal(sends(out)[0]!.bytes[1], first![1]);
});

test('cancel: an in-flight request → forgotten, no more retransmissions', () => {
  const c = client();
  c.handle(pap, 0);
  assert.deepEqual(c.handle({ type: 'cancel', tag: 1 }, 1), []);
  assert.equal(c.nextDeadline(), undefined);
  assert.deepEqual(c.handle({ type: 'timeout' }, 5000), []);
});

test('property: random datagrams from any server never throw and never complete a request', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: 80 })), { maxLength: 20 }), (dgrams) => {
      const c = client();
      c.handle(pap, 0);
      for (const [server, bytes] of dgrams) {
        const out = c.handle({ type: 'response', server, bytes }, 1);
        assert.ok(out.every((o) => o.kind === 'drop'));
      }
      assert.equal(c.outstanding, 1);
    }),
  );
});

test('counters: retransmissions, failover, a late-server answer and a drop → counted per server; elapsedMs spans retransmissions', () => {
  const c = client();
  const first = sends(c.handle(pap, 0))[0]!;
  c.handle({ type: 'timeout' }, 1000);
  c.handle({ type: 'timeout' }, 2000);
  const fo = sends(c.handle({ type: 'timeout' }, 3000))[0]!;
  c.handle({ type: 'response', server: 0, bytes: answer(first.bytes, RADIUS_CODE.ACCESS_ACCEPT, 'one') }, 3001);
  c.handle({ type: 'timeout' }, 4000);
  const out = c.handle({ type: 'response', server: 1, bytes: answer(fo.bytes, RADIUS_CODE.ACCESS_REJECT, 'two') }, 4250);
  const e = out.find((o) => o.kind === 'event');
  assert.ok(e?.kind === 'event' && e.event.type === 'response');
  assert.equal(e.event.elapsedMs, 1250);
  assert.deepEqual(c.counters[0], { requests: 1, retransmissions: 2, accepts: 0, rejects: 0, challenges: 0, accountingResponses: 0, timeouts: 1, failovers: 1, drops: { 'unknown-identifier': 1 } });
  assert.deepEqual(c.counters[1], { requests: 1, retransmissions: 1, accepts: 0, rejects: 1, challenges: 0, accountingResponses: 0, timeouts: 0, failovers: 0, drops: {} });
  assert.equal(c.unanswered, 0);
});

test('counters: one server never answers → timeouts, failovers and unanswered count once each', () => {
  const c = client(1);
  c.handle(pap, 0);
  for (let t = 1000; t <= 3000; t += 1000) c.handle({ type: 'timeout' }, t);
  assert.equal(c.outstanding, 0);
  assert.equal(c.counters[0]!.requests, 1);
  assert.equal(c.counters[0]!.retransmissions, 2);
  assert.equal(c.counters[0]!.timeouts, 1);
  assert.equal(c.unanswered, 1);
  c.handle({ type: 'response', server: 5, bytes: new Uint8Array(20) }, 3001);
  assert.equal(c.unknownServerDrops, 1);
});

test('property: every request ends in exactly one outcome counter (answers, timeouts) or is still outstanding', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('req', 'tick', 'acc', 'rej'), fc.integer({ min: 0, max: 1 })), { maxLength: 60 }), (steps) => {
      const c = client();
      const live = new Map<number, { server: number; bytes: Uint8Array }>();
      let tag = 0;
      let now = 0;
      const seen = (out: RadiusClientOutput[], t?: number): void => {
        for (const o of out) if (o.kind === 'send' && t !== undefined) live.set(t, { server: o.server, bytes: o.bytes });
      };
      for (const [kind, pick] of steps) {
        if (kind === 'req') {
          tag++;
          seen(c.handle({ ...pap, tag }, now), tag);
        } else if (kind === 'tick') {
          // Failover sends are not tracked: answers to a tag's old bytes are then dropped, which the invariant allows.
          now += 1000;
          c.handle({ type: 'timeout' }, now);
        } else {
          const entry = [...live.entries()][pick % Math.max(1, live.size)];
          if (!entry) continue;
          const [t, v] = entry;
          const out = c.handle({ type: 'response', server: v.server, bytes: answer(v.bytes, kind === 'acc' ? RADIUS_CODE.ACCESS_ACCEPT : RADIUS_CODE.ACCESS_REJECT, SECRETS[v.server]!) }, now);
          if (out.some((o) => o.kind === 'event')) live.delete(t);
        }
      }
      const sum = (k: 'requests' | 'accepts' | 'rejects' | 'timeouts'): number => c.counters.reduce((a, x) => a + x[k], 0);
      // Each request to a server ends as accept, reject or timeout at that server, or is outstanding there.
      assert.equal(sum('requests'), sum('accepts') + sum('rejects') + sum('timeouts') + c.outstanding);
      assert.ok(c.unanswered <= sum('timeouts'));
    }),
  );
});

test('idle: 300 requests with a CHAP-Password of 256 octets → 300 refused events, nothing sent, no Identifier taken; the next request goes out', () => {
  const c = client(1);
  for (let tag = 1; tag <= 300; tag++) {
    const out = c.handle({ type: 'request', tag, code: RADIUS_CODE.ACCESS_REQUEST, attributes: [textAttr(ATTR.USER_NAME, 'mallory'), { type: ATTR.CHAP_PASSWORD, value: new Uint8Array(256) }] }, 0);
    assert.deepEqual(out.map((o) => (o.kind === 'event' ? o.event.type : o.kind)), ['refused']);
    const e = out[0]!;
    assert.ok(e.kind === 'event' && e.event.type === 'refused');
    assert.match(e.event.problem, /attribute 3 of 256 octets/);
  }
  assert.equal(c.outstanding, 0);
  assert.equal(c.refused, 300);
  assert.equal(c.counters[0]!.requests, 0);
  const [s] = sends(c.handle({ ...pap, tag: 301 }, 0));
  assert.ok(s, 'a good request still gets an Identifier');
});

test('idle: a User-Password over 128 octets or a packet over 4096 octets → refused without a throw', () => {
  const c = client(1);
  const big = c.handle({ ...pap, password: new Uint8Array(129) }, 0);
  assert.ok(big[0]?.kind === 'event' && big[0].event.type === 'refused' && /User-Password of 129/.test(big[0].event.problem));
  const many = Array.from({ length: 20 }, () => ({ type: ATTR.CLASS, value: new Uint8Array(250) }));
  const huge = c.handle({ type: 'request', tag: 2, code: RADIUS_CODE.ACCOUNTING_REQUEST, attributes: many }, 0);
  assert.ok(huge[0]?.kind === 'event' && huge[0].event.type === 'refused' && /packet of \d+ octets/.test(huge[0].event.problem));
  assert.equal(c.outstanding, 0);
});
