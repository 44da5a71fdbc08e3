import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../../core/rng.js';
import { PPP_PROTO } from '../protocols.js';
import { AuthServer } from './server.js';
import { AuthClient } from './client.js';
import { verifyWithSecret } from './verify.js';
import { CHAP_CODE, encodeChapPacket, parseChapPacket } from './packets.js';
import { mppeStartKeys } from '../mppe/keys.js';
import type { AuthEvent, AuthOutput, AuthProtocol, AuthServerOptions, AuthVerdict, AuthClientPolicy, VerifyRequest } from './types.js';
import { fromHex, toHex } from '../../wire/hex.js';
import { loadVector, type PcapChapPackets } from '../../../test/fixtures/vectors/vectors.js';

const protocols: AuthProtocol[] = ['pap', 'chap-md5', 'mschap-v1', 'mschap-v2'];
const ms: AuthProtocol[] = ['mschap-v1', 'mschap-v2'];

interface Run {
  server: AuthServer;
  client: AuthClient;
  /** Events in order, tagged with the side. */
  events: { side: 'server' | 'client'; event: AuthEvent; at: number }[];
  /** Every packet put on the wire, lost or not. */
  wire: { dir: 'c2s' | 's2c'; bytes: Uint8Array; lost: boolean }[];
  drops: { side: string; reason: string }[];
  now: number;
}

interface PairOpts {
  protocol: AuthProtocol;
  password?: string;
  secret?: string;
  server?: Partial<AuthServerOptions>;
  policy?: Partial<AuthClientPolicy>;
  /** Return true to lose the n-th packet in a direction (0-based). */
  lose?: (dir: 'c2s' | 's2c', n: number, bytes: Uint8Array) => boolean;
  /** Rewrite a packet in flight. */
  tamper?: (dir: 'c2s' | 's2c', bytes: Uint8Array) => Uint8Array;
  /** The backend; defaults to verifyWithSecret with `secret`. */
  backend?: (req: VerifyRequest, attempt: number) => AuthVerdict;
  /** Called before each delivery; may change client credentials. */
  beforeDeliver?: (r: Run, dir: 'c2s' | 's2c', bytes: Uint8Array) => void;
}

/** Runs our client against our server over an in-memory link with a manual clock. */
function runPair(o: PairOpts): Run {
  const server = new AuthServer({ protocol: o.protocol, name: 'tunppp', ...o.server }, seededRng(1));
  const client = new AuthClient(
    { protocol: o.protocol, username: 'alice', password: o.password ?? 'correct horse', policy: { accept: protocols, ...o.policy } },
    seededRng(2),
  );
  const r: Run = { server, client, events: [], wire: [], drops: [], now: 0 };
  const queue: { dir: 'c2s' | 's2c'; bytes: Uint8Array }[] = [];
  const verdicts: { requestId: number; verdict: AuthVerdict }[] = [];
  const count = { c2s: 0, s2c: 0 };
  let attempts = 0;
  const take = (side: 'server' | 'client', outs: AuthOutput[]): void => {
    for (const out of outs) {
      if (out.kind === 'send') {
        assert.equal(out.proto, o.protocol === 'pap' ? PPP_PROTO.PAP : PPP_PROTO.CHAP);
        const dir = side === 'server' ? 's2c' : 'c2s';
        const lost = o.lose?.(dir, count[dir]++, out.bytes) ?? false;
        const bytes = o.tamper ? o.tamper(dir, out.bytes) : out.bytes;
        r.wire.push({ dir, bytes, lost });
        if (!lost) queue.push({ dir, bytes });
      } else if (out.kind === 'event') {
        r.events.push({ side, event: out.event, at: r.now });
        if (out.event.type === 'verify') {
          const req = out.event.request;
          const v = o.backend ? o.backend(req, attempts++) : verifyWithSecret(req, o.secret ?? 'correct horse');
          verdicts.push({ requestId: req.requestId, verdict: v });
        }
      } else r.drops.push({ side, reason: out.reason });
    }
  };
  take('server', server.handle({ type: 'start' }, 0));
  take('client', client.handle({ type: 'start' }, 0));
  for (let step = 0; step < 2000; step++) {
    const v = verdicts.shift();
    if (v) {
      take('server', server.handle({ type: 'verdict', ...v }, r.now));
      continue;
    }
    const p = queue.shift();
    if (p) {
      o.beforeDeliver?.(r, p.dir, p.bytes);
      if (p.dir === 's2c') take('client', client.handle({ type: 'packet', bytes: p.bytes }, r.now));
      else take('server', server.handle({ type: 'packet', bytes: p.bytes }, r.now));
      continue;
    }
    const ds = [server.nextDeadline(), client.nextDeadline()].filter((d): d is number => d !== undefined);
    if (ds.length === 0) break;
    r.now = Math.max(r.now, Math.min(...ds));
    take('server', server.handle({ type: 'timeout' }, r.now));
    take('client', client.handle({ type: 'timeout' }, r.now));
  }
  return r;
}

const outcome = (r: Run, side: 'server' | 'client'): AuthEvent[] =>
  r.events.filter((e) => e.side === side && e.event.type !== 'verify').map((e) => e.event);

const lastText = (r: Run, dir: 'c2s' | 's2c'): string => {
  const w = r.wire.filter((x) => x.dir === dir).at(-1)!;
  const p = parseChapPacket(w.bytes);
  assert.ok(p.ok && 'message' in p.value);
  return new TextDecoder().decode(p.value.message);
};

for (const protocol of protocols) {
  test(`${protocol}: right password → success on both sides`, () => {
    const r = runPair({ protocol });
    const s = outcome(r, 'server');
    const c = outcome(r, 'client');
    assert.equal(s.length, 1);
    assert.equal(c.length, 1);
    assert.equal(s[0]!.type, 'success');
    assert.equal(c[0]!.type, 'success');
    assert.equal(r.server.state, 'Success');
    assert.equal(r.client.state, 'Success');
    assert.equal(r.drops.length, 0);
    if (s[0]!.type === 'success') assert.equal(s[0]!.username, 'alice');
    if (ms.includes(protocol) && s[0]!.type === 'success' && c[0]!.type === 'success') {
      // Both ends derive matching MPPE keys: server send = client receive.
      for (const strength of [40, 56, 128] as const) {
        const sk = mppeStartKeys(s[0]!.keyMaterial!, strength, 'server');
        const ck = mppeStartKeys(c[0]!.keyMaterial!, strength, 'client');
        assert.deepEqual(sk.send, ck.recv);
        assert.deepEqual(sk.recv, ck.send);
      }
    }
    assert.equal(r.server.nextDeadline(), undefined);
    assert.equal(r.client.nextDeadline(), undefined);
  });

  test(`${protocol}: wrong password → final failure on both sides`, () => {
    const r = runPair({ protocol, password: 'wrong' });
    const s = outcome(r, 'server').at(-1)!;
    const c = outcome(r, 'client').at(-1)!;
    assert.equal(s.type, 'failure');
    assert.equal(c.type, 'failure');
    if (s.type === 'failure' && c.type === 'failure') {
      assert.equal(s.final, true);
      assert.equal(c.final, true);
      assert.equal(s.reason, 'rejected');
      assert.equal(c.reason, 'rejected');
    }
    assert.equal(r.server.state, 'Failed');
    assert.equal(r.client.state, 'Failed');
  });

  test(`${protocol}: first server packet lost → retransmission, then success`, () => {
    const r = runPair({ protocol, lose: (dir, n) => dir === 's2c' && n === 0 });
    assert.equal(outcome(r, 'client').at(-1)!.type, 'success');
    assert.equal(outcome(r, 'server').at(-1)!.type, 'success');
    assert.ok(r.now >= 3000, 'waited one restart interval');
  });

  test(`${protocol}: first client packet lost → retransmission, then success`, () => {
    const r = runPair({ protocol, lose: (dir, n) => dir === 'c2s' && n === 0 });
    assert.equal(outcome(r, 'client').at(-1)!.type, 'success');
    assert.equal(outcome(r, 'server').at(-1)!.type, 'success');
  });

  test(`${protocol}: peer never answers → ${protocol === 'pap' ? 'client' : 'server'} gives up after max transmits`, () => {
    const r = runPair({ protocol, lose: () => true });
    const side = protocol === 'pap' ? 'client' : 'server';
    const sent = r.wire.filter((w) => w.dir === (side === 'client' ? 'c2s' : 's2c')).length;
    assert.equal(sent, 10);
    const f = outcome(r, side).at(-1)!;
    assert.ok(f.type === 'failure' && f.reason === 'timeout' && f.final);
    assert.equal(r.now, 30_000);
  });
}

for (const protocol of ['pap', 'chap-md5', 'mschap-v2'] as const) {
  test(`${protocol}: success answer lost → client repeats, server repeats the answer, both succeed`, () => {
    const r = runPair({ protocol, lose: (dir, n) => dir === 's2c' && n === (protocol === 'pap' ? 0 : 1) });
    assert.equal(outcome(r, 'client').filter((e) => e.type === 'success').length, 1);
    assert.equal(outcome(r, 'server').filter((e) => e.type === 'success').length, 1);
    assert.equal(r.events.filter((e) => e.event.type === 'verify').length, 1, 'the repeat is answered without asking the backend again');
  });
}

test('server: Challenge retransmission → new Identifier and new Value each time (RFC 1994 §4.1)', () => {
  const s = new AuthServer({ protocol: 'mschap-v2', name: 'x' }, seededRng(1));
  const first = s.handle({ type: 'start' }, 0)[0]!;
  assert.deepEqual(s.handle({ type: 'timeout' }, 2999), []);
  const second = s.handle({ type: 'timeout' }, 3000)[0]!;
  assert.ok(first.kind === 'send' && second.kind === 'send');
  assert.equal(second.bytes[1], (first.bytes[1]! + 1) & 0xff);
  assert.notDeepEqual(second.bytes.subarray(5, 21), first.bytes.subarray(5, 21));
  assert.equal(s.nextDeadline(), 6000);
});

test('client: the same Challenge again (pppd retransmits the packet unchanged) → the same Response octets', () => {
  const c = new AuthClient({ protocol: 'mschap-v2', username: 'u', password: 'p', policy: { accept: ['mschap-v2'] } }, seededRng(3));
  c.handle({ type: 'start' }, 0);
  const ch = encodeChapPacket({ code: CHAP_CODE.CHALLENGE, identifier: 9, value: new Uint8Array(16).fill(1), name: new Uint8Array(0) });
  const a = c.handle({ type: 'packet', bytes: ch }, 0)[0]!;
  const b = c.handle({ type: 'packet', bytes: ch }, 100)[0]!;
  assert.ok(a.kind === 'send' && b.kind === 'send');
  assert.deepEqual(b.bytes, a.bytes);
});

test('mschap-v2: wrong password → Failure "E=691 R=1 C=<32 hex> V=3 M=…", retried twice, then R=0', () => {
  const r = runPair({ protocol: 'mschap-v2', password: 'wrong' });
  const failures = r.wire.filter((w) => w.dir === 's2c').map((w) => parseChapPacket(w.bytes)).filter((p) => p.ok && p.value.code === CHAP_CODE.FAILURE);
  assert.equal(failures.length, 3);
  const texts = failures.map((p) => (p.ok && 'message' in p.value ? new TextDecoder().decode(p.value.message) : ''));
  assert.match(texts[0]!, /^E=691 R=1 C=[0-9A-F]{32} V=3 M=Authentication failed$/);
  assert.match(texts[1]!, /^E=691 R=1 C=[0-9A-F]{32} V=3 M=/);
  assert.match(texts[2]!, /^E=691 R=0 C=[0-9A-F]{32} V=3 M=/);
  const cs = outcome(r, 'client');
  assert.deepEqual(cs.map((e) => e.type === 'failure' && e.final), [false, false, true]);
  const ids = r.wire.filter((w) => w.dir === 'c2s').map((w) => w.bytes[1]!);
  assert.equal(ids[1], (ids[0]! + 1) & 0xff, 'retry Response Identifier = Failure + 1');
});

test('mschap-v1: wrong password → Failure "E=691 R=1 C=<16 hex> V=2", then R=0 without retry left', () => {
  const r = runPair({ protocol: 'mschap-v1', password: 'wrong', server: { maxRetries: 1 } });
  assert.match(lastText(r, 's2c'), /^E=691 R=0 V=2 M=/);
  const first = r.wire.filter((w) => w.dir === 's2c').map((w) => parseChapPacket(w.bytes)).find((p) => p.ok && p.value.code === CHAP_CODE.FAILURE)!;
  assert.ok(first.ok && 'message' in first.value);
  assert.match(new TextDecoder().decode(first.value.message), /^E=691 R=1 C=[0-9A-F]{16} V=2 M=/);
});

for (const protocol of ms) {
  test(`${protocol}: R=1 retry with corrected credentials → success`, () => {
    let fixed = false;
    const r = runPair({
      protocol, password: 'typo',
      beforeDeliver: (run, dir, bytes) => {
        if (!fixed && dir === 's2c' && bytes[0] === CHAP_CODE.FAILURE) {
          run.client.setCredentials('alice', 'correct horse');
          fixed = true;
        }
      },
    });
    assert.deepEqual(outcome(r, 'server').map((e) => e.type), ['failure', 'success']);
    assert.deepEqual(outcome(r, 'client').map((e) => e.type), ['failure', 'success']);
    const f = outcome(r, 'client')[0]!;
    assert.ok(f.type === 'failure' && f.retryable === true && f.final === false && f.code === 691);
  });
}

test('mschap-v2: Failure (R=1) lost → client repeats its old Response, server repeats the Failure, retry then succeeds', () => {
  let n = 0;
  const r = runPair({
    protocol: 'mschap-v2',
    backend: (req, attempt) => (attempt === 0 ? { ok: false } : verifyWithSecret(req, 'correct horse')),
    lose: (dir, _i, b) => dir === 's2c' && b[0] === CHAP_CODE.FAILURE && n++ === 0,
  });
  assert.deepEqual(outcome(r, 'server').map((e) => e.type), ['failure', 'success']);
  assert.deepEqual(outcome(r, 'client').map((e) => e.type), ['failure', 'success']);
  assert.equal(r.events.filter((e) => e.event.type === 'verify').length, 2, 'the repeated Response is not a new attempt');
});

test('mschap-v2: transient backend failure, retry with the same password → success', () => {
  const r = runPair({ protocol: 'mschap-v2', backend: (req, n) => (n === 0 ? { ok: false } : verifyWithSecret(req, 'correct horse')) });
  assert.deepEqual(outcome(r, 'client').map((e) => e.type), ['failure', 'success']);
});

test('mschap-v2: backend says E=649 (no dial-in permission) → R=0 at once, client fails with code 649', () => {
  const r = runPair({ protocol: 'mschap-v2', backend: () => ({ ok: false, code: 649, message: 'No dial-in permission' }) });
  assert.match(lastText(r, 's2c'), /^E=649 R=0 C=[0-9A-F]{32} V=3 M=No dial-in permission$/);
  const c = outcome(r, 'client');
  assert.equal(c.length, 1);
  assert.ok(c[0]!.type === 'failure' && c[0]!.code === 649 && c[0]!.final);
});

test('mschap-v2: backend says E=648 (password expired) → final, R=0', () => {
  const r = runPair({ protocol: 'mschap-v2', backend: () => ({ ok: false, code: 648 }) });
  assert.match(lastText(r, 's2c'), /^E=648 R=0 /);
  const s = outcome(r, 'server');
  assert.ok(s.length === 1 && s[0]!.type === 'failure' && s[0]!.code === 648 && s[0]!.final);
});

test('mschap-v2: forged S= in Success → client fails with bad-authenticator-response', () => {
  const r = runPair({
    protocol: 'mschap-v2',
    tamper: (dir, b) => {
      if (dir !== 's2c' || b[0] !== CHAP_CODE.SUCCESS) return b;
      const text = new TextDecoder().decode(b.subarray(4)).replace(/S=./, 'S=0');
      return encodeChapPacket({ code: CHAP_CODE.SUCCESS, identifier: b[1]!, message: new TextEncoder().encode(text) });
    },
  });
  const c = outcome(r, 'client');
  assert.ok(c.length === 1 && c[0]!.type === 'failure' && c[0]!.reason === 'bad-authenticator-response' && c[0]!.final);
});

test('mschap-v2: Success without S= → client fails unless mutual auth is disabled by policy', () => {
  const strip = (dir: 'c2s' | 's2c', b: Uint8Array): Uint8Array =>
    dir === 's2c' && b[0] === CHAP_CODE.SUCCESS ? encodeChapPacket({ code: CHAP_CODE.SUCCESS, identifier: b[1]!, message: new TextEncoder().encode('M=ok') }) : b;
  const strict = outcome(runPair({ protocol: 'mschap-v2', tamper: strip }), 'client');
  assert.ok(strict[0]!.type === 'failure' && strict[0]!.reason === 'bad-authenticator-response');
  const lax = outcome(runPair({ protocol: 'mschap-v2', tamper: strip, policy: { requireMutualAuth: false } }), 'client');
  assert.equal(lax[0]!.type, 'success');
});

test('mschap-v2: backend success without S= → server refuses (backend-error), client told E=691 R=0', () => {
  const r = runPair({ protocol: 'mschap-v2', backend: () => ({ ok: true }) });
  const s = outcome(r, 'server');
  assert.ok(s[0]!.type === 'failure' && s[0]!.reason === 'backend-error');
  assert.match(lastText(r, 's2c'), /^E=691 R=0 /);
});

test('client: protocol not in policy → protocol-refused, nothing sent', () => {
  const r = runPair({ protocol: 'pap', policy: { accept: ['mschap-v2'] } });
  assert.equal(r.wire.filter((w) => w.dir === 'c2s').length, 0);
  const c = outcome(r, 'client');
  assert.ok(c[0]!.type === 'failure' && c[0]!.reason === 'protocol-refused');
});

test('server: retry window expires after a Failure with R=1 → final timeout', () => {
  const r = runPair({ protocol: 'mschap-v2', password: 'wrong', lose: (dir, n) => dir === 'c2s' && n > 0 });
  const s = outcome(r, 'server');
  assert.ok(s.at(-1)!.type === 'failure');
  const last = s.at(-1)!;
  assert.ok(last.type === 'failure' && last.reason === 'timeout' && last.final);
});

test('chap-md5: rechallenge enabled → new Challenge after the interval, success again, one success event', () => {
  let challenges = 0;
  const r = runPair({
    protocol: 'chap-md5', server: { rechallengeIntervalMs: 60_000 },
    lose: (dir, _n, b) => dir === 's2c' && b[0] === CHAP_CODE.CHALLENGE && ++challenges > 3,
  });
  assert.equal(outcome(r, 'server').filter((e) => e.type === 'success').length, 1);
  assert.ok(r.now >= 120_000);
  // The 4th challenge and its retransmissions are lost: the server gives up.
  const last = outcome(r, 'server').at(-1)!;
  assert.ok(last.type === 'failure' && last.reason === 'timeout');
});

test('server: verdict with a stale requestId → dropped', () => {
  const s = new AuthServer({ protocol: 'pap', name: 'x' }, seededRng(1));
  s.handle({ type: 'start' }, 0);
  const out = s.handle({ type: 'verdict', requestId: 7, verdict: { ok: true } }, 0);
  assert.deepEqual(out, [{ kind: 'drop', reason: 'stale-verdict', detail: 'request 7' }]);
});

test('server PAP: password copy zeroed once the verdict is in', () => {
  const s = new AuthServer({ protocol: 'pap', name: 'x' }, seededRng(1));
  s.handle({ type: 'start' }, 0);
  const req = Uint8Array.of(1, 9, 0, 12, 1, 0x61, 5, 0x68, 0x65, 0x6c, 0x6c, 0x6f);
  const ev = s.handle({ type: 'packet', bytes: req }, 0)[0]!;
  assert.ok(ev.kind === 'event' && ev.event.type === 'verify' && ev.event.request.proof.protocol === 'pap');
  const pw = ev.event.request.proof.password;
  assert.equal(new TextDecoder().decode(pw), 'hello');
  s.handle({ type: 'verdict', requestId: ev.event.request.requestId, verdict: { ok: true } }, 0);
  assert.deepEqual([...pw], [0, 0, 0, 0, 0]);
  assert.deepEqual([...req.subarray(7)], [0x68, 0x65, 0x6c, 0x6c, 0x6f], 'the driver buffer is not ours to touch');
});

test('server MS-CHAPv2: malformed and unexpected packets → dropped with reasons, state unchanged', () => {
  const s = new AuthServer({ protocol: 'mschap-v2', name: 'x' }, seededRng(1));
  const ch = s.handle({ type: 'start' }, 0)[0]!;
  assert.ok(ch.kind === 'send');
  const id = ch.bytes[1]!;
  const reasons = [
    Uint8Array.of(2),
    Uint8Array.of(2, id, 0, 200, 1),
    encodeChapPacket({ code: CHAP_CODE.RESPONSE, identifier: id ^ 1, value: new Uint8Array(49), name: new Uint8Array(0) }),
    encodeChapPacket({ code: CHAP_CODE.CHALLENGE, identifier: id, value: new Uint8Array(16), name: new Uint8Array(0) }),
    encodeChapPacket({ code: 9, identifier: id, data: new Uint8Array(3), other: true }),
  ].map((b) => s.handle({ type: 'packet', bytes: b }, 0).map((o) => (o.kind === 'drop' ? o.reason : o.kind)).join());
  assert.deepEqual(reasons, ['malformed', 'malformed', 'wrong-identifier', 'unexpected-code', 'unexpected-code']);
  assert.equal(s.state, 'Challenge-Sent');
});

test('client MS-CHAPv2: Challenge with an 8-octet value or a Success before any Response → dropped', () => {
  const c = new AuthClient({ protocol: 'mschap-v2', username: 'u', password: 'p', policy: { accept: ['mschap-v2'] } }, seededRng(3));
  c.handle({ type: 'start' }, 0);
  const a = c.handle({ type: 'packet', bytes: encodeChapPacket({ code: 1, identifier: 1, value: new Uint8Array(8), name: new Uint8Array(0) }) }, 0);
  const b = c.handle({ type: 'packet', bytes: encodeChapPacket({ code: 3, identifier: 1, message: new Uint8Array(0) }) }, 0);
  assert.deepEqual([a[0]!.kind === 'drop' && a[0]!.reason, b[0]!.kind === 'drop' && b[0]!.reason], ['malformed', 'unexpected-state']);
});

test('client: no Challenge within waitMs → final timeout', () => {
  const c = new AuthClient({ protocol: 'chap-md5', username: 'u', password: 'p', policy: { accept: ['chap-md5'] }, waitMs: 5000 }, seededRng(3));
  c.handle({ type: 'start' }, 0);
  assert.equal(c.nextDeadline(), 5000);
  assert.deepEqual(c.handle({ type: 'timeout' }, 4999), []);
  const out = c.handle({ type: 'timeout' }, 5000);
  assert.ok(out[0]!.kind === 'event' && out[0]!.event.type === 'failure' && out[0]!.event.reason === 'timeout');
});

test('server MS-CHAPv2: Change-Password after E=648 → Failure E=709 R=0 and a drop', () => {
  const r = runPair({ protocol: 'mschap-v2', backend: () => ({ ok: false, code: 648 }) });
  const s = r.server;
  const out = s.handle({ type: 'packet', bytes: encodeChapPacket({ code: 7, identifier: 5, data: new Uint8Array(582), other: true }) }, 0);
  const send = out.find((o) => o.kind === 'send');
  assert.ok(send && send.kind === 'send');
  assert.match(new TextDecoder().decode(send.bytes.subarray(4)), /^E=709 R=0 /);
  assert.ok(out.some((o) => o.kind === 'drop' && o.reason === 'change-password-unsupported'));
});

test('auth machines: random packets in any state → outputs, never a throw', () => {
  fc.assert(fc.property(
    fc.constantFrom(...protocols),
    fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.tuple(fc.constantFrom(1, 2, 3, 4, 7), fc.nat(255), fc.uint8Array({ maxLength: 60 }))
      .map(([code, id, body]) => Uint8Array.of(code, id, 0, body.length + 4, ...body))), { maxLength: 12 }),
    (protocol, pkts) => {
      const s = new AuthServer({ protocol, name: 'x' }, seededRng(1));
      const c = new AuthClient({ protocol, username: 'u', password: 'p', policy: { accept: protocols } }, seededRng(2));
      s.handle({ type: 'start' }, 0);
      c.handle({ type: 'start' }, 0);
      let t = 0;
      for (const bytes of pkts) {
        t += 1000;
        for (const o of s.handle({ type: 'packet', bytes }, t)) {
          if (o.kind === 'event' && o.event.type === 'verify') s.handle({ type: 'verdict', requestId: o.event.request.requestId, verdict: verifyWithSecret(o.event.request, 'p') }, t);
        }
        c.handle({ type: 'packet', bytes }, t);
        s.handle({ type: 'timeout' }, t);
        c.handle({ type: 'timeout' }, t);
      }
    },
  ));
});

test('server: every state × every input kind → no throw, deadline set exactly in the waiting states', () => {
  for (const protocol of protocols) {
    // Scripts that lead a fresh server into each state.
    const reach: Record<string, (s: AuthServer) => number | undefined> = {
      Initial: () => undefined,
      Started: (s) => { s.handle({ type: 'start' }, 0); return undefined; },
      Verifying: (s) => drive(s, protocol, 'verify'),
      Success: (s) => drive(s, protocol, 'ok'),
      'Retry-Wait': (s) => drive(s, protocol, 'retry'),
      Failed: (s) => drive(s, protocol, 'fail'),
    };
    for (const [name, go] of Object.entries(reach)) {
      const inputs = (s: AuthServer, reqId: number | undefined): { label: string; run: () => AuthOutput[] }[] => [
        { label: 'start', run: () => s.handle({ type: 'start' }, 10) },
        { label: 'early timeout', run: () => s.handle({ type: 'timeout' }, 11) },
        { label: 'timeout', run: () => s.handle({ type: 'timeout' }, 1e9) },
        { label: 'garbage', run: () => s.handle({ type: 'packet', bytes: Uint8Array.of(1, 2, 3) }, 12) },
        { label: 'challenge', run: () => s.handle({ type: 'packet', bytes: encodeChapPacket({ code: 1, identifier: 0, value: new Uint8Array(16), name: new Uint8Array(0) }) }, 13) },
        { label: 'response', run: () => s.handle({ type: 'packet', bytes: encodeChapPacket({ code: 2, identifier: 0, value: new Uint8Array(49), name: new Uint8Array(1) }) }, 14) },
        { label: 'pap request', run: () => s.handle({ type: 'packet', bytes: Uint8Array.of(1, 0, 0, 6, 0, 0) }, 15) },
        { label: 'verdict ok', run: () => s.handle({ type: 'verdict', requestId: reqId ?? 99, verdict: { ok: true, authenticatorResponse: `S=${'0'.repeat(40)}` } }, 16) },
        { label: 'verdict fail', run: () => s.handle({ type: 'verdict', requestId: reqId ?? 99, verdict: { ok: false } }, 17) },
      ];
      for (let k = 0; k < 9; k++) {
        const s = new AuthServer({ protocol, name: 'x' }, seededRng(5));
        const reqId = go(s);
        const inp = inputs(s, reqId)[k]!;
        assert.doesNotThrow(inp.run, `${protocol} ${name} ${inp.label}`);
        const waiting = ['Wait-Request', 'Challenge-Sent', 'Retry-Wait'].includes(s.state);
        assert.equal(s.nextDeadline() !== undefined, waiting, `${protocol} ${name} ${inp.label} → ${s.state}`);
      }
    }
  }
});

/** Drives a server to Verifying / Success / Retry-Wait / Failed with a real client; returns the pending requestId if any. */
function drive(s: AuthServer, protocol: AuthProtocol, to: 'verify' | 'ok' | 'retry' | 'fail'): number | undefined {
  const c = new AuthClient({ protocol, username: 'u', password: 'p', policy: { accept: protocols } }, seededRng(6));
  const wire: { to: 'server' | 'client'; bytes: Uint8Array }[] = [];
  const post = (from: 'server' | 'client', outs: AuthOutput[]): number | undefined => {
    for (const o of outs) {
      if (o.kind === 'send') wire.push({ to: from === 'server' ? 'client' : 'server', bytes: o.bytes });
      if (o.kind === 'event' && o.event.type === 'verify') return o.event.request.requestId;
    }
    return undefined;
  };
  post('server', s.handle({ type: 'start' }, 0));
  post('client', c.handle({ type: 'start' }, 0));
  for (let m = wire.shift(); m; m = wire.shift()) {
    if (m.to === 'client') {
      post('client', c.handle({ type: 'packet', bytes: m.bytes }, 1));
      continue;
    }
    const req = post('server', s.handle({ type: 'packet', bytes: m.bytes }, 1));
    if (req === undefined) continue;
    if (to === 'verify') return req;
    const v: AuthVerdict = to === 'ok' ? { ok: true, authenticatorResponse: `S=${'0'.repeat(40)}` } : to === 'retry' ? { ok: false } : { ok: false, code: 649 };
    s.handle({ type: 'verdict', requestId: req, verdict: v }, 1);
    const want = to === 'ok' ? 'Success' : to === 'retry' && ms.includes(protocol) ? 'Retry-Wait' : 'Failed';
    assert.equal(s.state, want);
    return undefined;
  }
  assert.fail(`${protocol}: never reached ${to}`);
}

test('capture replay: our MS-CHAPv2 server speaks byte for byte like pptpd (chapcrack and a Windows client session)', () => {
  const v = loadVector<PcapChapPackets>('pcap-chap-packets.json');
  for (const cap of v.captures) {
    const ch = fromHex(cap.challenge);
    // An Rng that hands out the captured Identifier and Challenge value.
    const queue = [ch.subarray(1, 2), ch.subarray(5, 21)];
    const rng = { bytes: (n: number) => { const b = queue.shift()!; assert.equal(b.length, n); return b.slice(); } };
    const s = new AuthServer({ protocol: 'mschap-v2', name: 'pptpd' }, rng);
    const out = s.handle({ type: 'start' }, 0);
    assert.ok(out[0]!.kind === 'send');
    assert.equal(toHex(out[0]!.bytes), cap.challenge, `${cap.file}: Challenge`);
    const ev = s.handle({ type: 'packet', bytes: fromHex(cap.response) }, 10)[0]!;
    assert.ok(ev.kind === 'event' && ev.event.type === 'verify');
    const req = ev.event.request;
    const successText = new TextDecoder().decode(fromHex(cap.success).subarray(4));
    const verdict: AuthVerdict = cap.password !== null ? verifyWithSecret(req, cap.password) : { ok: true, authenticatorResponse: successText.slice(0, 42) };
    assert.equal(verdict.ok, true);
    const ans = s.handle({ type: 'verdict', requestId: req.requestId, verdict }, 20);
    assert.ok(ans[0]!.kind === 'send');
    assert.equal(toHex(ans[0]!.bytes), cap.success, `${cap.file}: Success`);
  }
});

test('capture replay: our MS-CHAPv2 client answers the captured pptpd Challenge in the same shape as Windows', () => {
  const v = loadVector<PcapChapPackets>('pcap-chap-packets.json');
  const cap = v.captures[1]!;
  const c = new AuthClient({ protocol: 'mschap-v2', username: 'jm', password: 'x', policy: { accept: ['mschap-v2'] } }, seededRng(9));
  c.handle({ type: 'start' }, 0);
  const out = c.handle({ type: 'packet', bytes: fromHex(cap.challenge) }, 0)[0]!;
  assert.ok(out.kind === 'send');
  const ours = parseChapPacket(out.bytes);
  const theirs = parseChapPacket(fromHex(cap.response));
  assert.ok(ours.ok && theirs.ok && 'value' in ours.value && 'value' in theirs.value);
  assert.equal(ours.value.identifier, theirs.value.identifier);
  assert.equal(ours.value.value.length, theirs.value.value.length);
  assert.deepEqual(ours.value.name, theirs.value.name);
  assert.deepEqual(ours.value.value.subarray(16, 24), theirs.value.value.subarray(16, 24), 'reserved octets zero');
  assert.equal(ours.value.value[48], theirs.value.value[48], 'flags');
});
