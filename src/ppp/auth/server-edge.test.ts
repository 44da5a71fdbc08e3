/**
 * The authenticator's protocol edge (issue 12, findings 3 and 4): answers of
 * the wrong size are refused as failed logins without a backend, and a
 * verdict only ever lands on the exchange it was asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../core/rng.js';
import { AuthServer, MAX_PEER_NAME_OCTETS } from './server.js';
import { CHAP_CODE, PAP_CODE, encodeChapPacket, encodePapPacket, parseChapPacket } from './packets.js';
import type { AuthEvent, AuthOutput, AuthProtocol, VerifyRequest } from './types.js';

function started(protocol: AuthProtocol, extra: { nextRequestId?: () => number } = {}, seed = 5): { s: AuthServer; id: number } {
  const s = new AuthServer({ protocol, name: 'tunppp', ...extra }, seededRng(seed));
  const out = s.handle({ type: 'start' }, 0);
  const id = out[0]?.kind === 'send' ? out[0].bytes[1]! : 0;
  return { s, id };
}

function events(out: AuthOutput[]): AuthEvent[] {
  return out.flatMap((o) => (o.kind === 'event' ? [o.event] : []));
}

function response(id: number, valueOctets: number, name = 'mallory'): { type: 'packet'; bytes: Uint8Array } {
  return { type: 'packet', bytes: encodeChapPacket({ code: CHAP_CODE.RESPONSE, identifier: id, value: new Uint8Array(valueOctets).fill(0x41), name: new TextEncoder().encode(name) }) };
}

for (const [protocol, bad] of [['chap-md5', 255], ['chap-md5', 253], ['chap-md5', 15], ['mschap-v1', 16], ['mschap-v2', 16], ['mschap-v2', 250]] as const) {
  test(`Challenge-Sent (${protocol}): Response Value of ${bad} octets → Failure, final failure marked malformed, no verify`, () => {
    const { s, id } = started(protocol);
    const out = s.handle(response(id, bad), 1);
    const ev = events(out);
    assert.equal(ev.some((e) => e.type === 'verify'), false, 'never reaches a backend');
    const f = ev.find((e) => e.type === 'failure');
    assert.ok(f && f.type === 'failure');
    assert.equal(f.final, true);
    assert.equal(f.reason, 'rejected');
    assert.equal(f.username, 'mallory');
    assert.match(f.malformed ?? '', new RegExp(`Response Value of ${bad} octets`));
    const sent = out.find((o) => o.kind === 'send');
    assert.ok(sent && sent.kind === 'send');
    const p = parseChapPacket(sent.bytes);
    assert.ok(p.ok);
    assert.equal(p.value.code, CHAP_CODE.FAILURE);
    assert.equal(p.value.identifier, id);
    if (protocol !== 'chap-md5') assert.match(new TextDecoder().decode((p.value as { message: Uint8Array }).message), /E=691 R=0/);
    assert.equal(s.state, 'Failed');
  });
}

test('Challenge-Sent (chap-md5): Response Value of 16 octets → verify (the right size still reaches the backend)', () => {
  const { s, id } = started('chap-md5');
  const ev = events(s.handle(response(id, 16), 1));
  assert.equal(ev[0]?.type, 'verify');
});

test(`Challenge-Sent: Name of ${MAX_PEER_NAME_OCTETS + 1} octets → Failure, malformed, no verify; ${MAX_PEER_NAME_OCTETS} octets → verify`, () => {
  const long = started('mschap-v2');
  const ev = events(long.s.handle(response(long.id, 49, 'n'.repeat(MAX_PEER_NAME_OCTETS + 1)), 1));
  assert.equal(ev.some((e) => e.type === 'verify'), false);
  const f = ev.find((e) => e.type === 'failure');
  assert.ok(f && f.type === 'failure' && f.final);
  assert.match(f.malformed ?? '', /Name of 254 octets/);
  const fits = started('mschap-v2');
  assert.equal(events(fits.s.handle(response(fits.id, 49, 'n'.repeat(MAX_PEER_NAME_OCTETS)), 1))[0]?.type, 'verify');
});

test(`Wait-Request (pap): Peer-ID of ${MAX_PEER_NAME_OCTETS + 2} octets → Authenticate-Nak, malformed, no verify`, () => {
  const { s } = started('pap');
  const out = s.handle({ type: 'packet', bytes: encodePapPacket({ code: PAP_CODE.AUTHENTICATE_REQUEST, identifier: 7, peerId: new Uint8Array(255).fill(0x61), password: new Uint8Array(3) }) }, 1);
  const sent = out.find((o) => o.kind === 'send');
  assert.ok(sent && sent.kind === 'send');
  assert.equal(sent.bytes[0], PAP_CODE.AUTHENTICATE_NAK);
  const ev = events(out);
  assert.equal(ev.some((e) => e.type === 'verify'), false);
  assert.ok(ev.some((e) => e.type === 'failure' && e.final && e.malformed !== undefined));
});

test('Verifying: requestIds come from nextRequestId (the session counter), not from 1 per machine', () => {
  let n = 41;
  const { s, id } = started('chap-md5', { nextRequestId: () => ++n });
  const ev = events(s.handle(response(id, 16), 1));
  assert.ok(ev[0]?.type === 'verify');
  assert.equal(ev[0].request.requestId, 42);
  assert.equal(s.pendingRequestId, 42);
});

test('Verifying: a verdict naming another exchange (same requestId, other user or challenge) → stale-verdict, no Success', () => {
  // Two machines given the same id source by mistake would still not mix verdicts up.
  const a = started('chap-md5', { nextRequestId: () => 1 });
  const b = started('chap-md5', { nextRequestId: () => 1 }, 6);
  const reqA = events(a.s.handle(response(a.id, 16, 'mallory'), 1))[0];
  const reqB = events(b.s.handle(response(b.id, 16, 'alice'), 1))[0];
  assert.ok(reqA?.type === 'verify' && reqB?.type === 'verify');
  assert.equal(reqA.request.requestId, reqB.request.requestId);
  const out = b.s.handle({ type: 'verdict', requestId: 1, verdict: { ok: true }, request: reqA.request }, 2);
  assert.deepEqual(out.map((o) => (o.kind === 'drop' ? o.reason : o.kind)), ['stale-verdict']);
  assert.equal(b.s.state, 'Verifying');
  // Same user, other challenge: still not this exchange.
  const forged: VerifyRequest = { ...reqA.request, username: 'alice' };
  assert.deepEqual(b.s.handle({ type: 'verdict', requestId: 1, verdict: { ok: true }, request: forged }, 2).map((o) => (o.kind === 'drop' ? o.reason : o.kind)), ['stale-verdict']);
  // Its own request: accepted.
  const ok = events(b.s.handle({ type: 'verdict', requestId: 1, verdict: { ok: true }, request: reqB.request }, 3));
  assert.ok(ok.some((e) => e.type === 'success' && e.username === 'alice' && e.requestId === 1));
});
