/**
 * Issue 12, finding 4: logging in as another user through an asynchronous
 * verdict. The attack: answer Challenge 1 correctly as mallory, renegotiate
 * LCP while RADIUS is still deciding, answer Challenge 2 as alice with zeros;
 * mallory's Accept used to land on alice's exchange (verdicts were matched by
 * a requestId that restarted at 1 with every LCP up) and the link was alice's.
 *
 * In-process, with a scripted PPP peer (ppp-peer.ts) speaking to a real
 * PppLink: first with the real RADIUS backend against a fake server that
 * holds its answers, then at the session level with a manual clock and
 * hand-fed verdicts (by request and by bare requestId). A black-box version
 * would need this peer over a real L2TP client in a namespace; the in-process
 * link runs the same code the network reaches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { PppSession, type SessionEvent, type SessionOutput } from '../../src/ppp/session.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { ATTR, ipv4Attr } from '../../src/radius/codec.js';
import { ScriptedPppPeer, chapMd5Response } from './ppp-peer.js';
import { radiusLab, until } from './radius-lab.js';

test('RADIUS verdict pending, LCP renegotiated, Challenge 2 answered as alice with zeros → mallory\'s Accept is dropped; alice is rejected; nothing of alice\'s is granted', async () => {
  const lab = await radiusLab(
    { mallory: { password: 'm-pw', reply: [ipv4Attr(ATTR.FRAMED_IP_ADDRESS, '10.96.0.66')] }, alice: { password: 'alice-pw', reply: [ipv4Attr(ATTR.FRAMED_IP_ADDRESS, '10.96.0.77')] } },
    { hold: true, timeoutMs: 5000 },
  );
  try {
    const { link, peer, pump } = lab.login('203.0.113.66', (c, n) =>
      n === 1 ? { value: chapMd5Response(c.identifier, 'm-pw', c.value), name: 'mallory' } : { value: new Uint8Array(16), name: 'alice' },
    );
    await until(() => (pump(), lab.fake.access.length === 1), 2000, "mallory's Access-Request");
    // Renegotiate LCP while RADIUS decides: a new AuthServer, a new Challenge.
    peer.configureRequest();
    pump();
    assert.equal(peer.challenges.length, 2, 'a second Challenge after the renegotiation');
    await until(() => (pump(), lab.fake.access.length === 2), 2000, "alice's Access-Request");
    // mallory's Accept arrives now.
    lab.fake.release(1);
    await new Promise((r) => setTimeout(r, 100));
    pump();
    assert.deepEqual(peer.outcomes, [], 'no CHAP Success for the exchange alice answered');
    assert.equal(lab.ctx.stats.authOk, 0);
    assert.equal(link.state, 'starting');
    assert.equal(link.framedAddress, undefined, "the stale Accept's Framed-IP-Address is not applied to the link");
    // alice's Reject arrives: the link fails.
    lab.fake.release();
    await until(() => (pump(), peer.outcomes.length > 0), 2000, "alice's verdict");
    assert.deepEqual(peer.outcomes, ['failure']);
    assert.equal(lab.ctx.stats.authOk, 0);
    assert.equal(lab.ctx.stats.authFailed, 1);
    assert.equal(lab.radius.stats.clients()[0]!.outstanding, 0, "mallory's request was cancelled with its exchange");
  } finally {
    await lab.stop();
  }
});

/** A server session and the scripted peer, wired back to back with a manual clock. */
function sessionPair() {
  const events: SessionEvent[] = [];
  const toPeer: Uint8Array[] = [];
  const toServer: Uint8Array[] = [];
  const s = new PppSession({ role: 'server', auth: { require: ['chap-md5'] }, mppe: { strengths: [], required: false, allowStateful: false }, echoIntervalMs: 0, peerAddress: '10.0.0.2', localAddress: '10.0.0.1' }, seededRng(3));
  const take = (outs: SessionOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'send') toPeer.push(o.bytes.slice());
      else if (o.kind === 'event') events.push(o.event);
    }
  };
  const peer = new ScriptedPppPeer((f) => void toServer.push(f), (c, n) =>
    n === 1 ? { value: chapMd5Response(c.identifier, 'm-pw', c.value), name: 'mallory' } : { value: new Uint8Array(16), name: 'alice' },
  );
  const pump = (now: number): void => {
    for (let i = 0; i < 100 && (toPeer.length || toServer.length); i++) {
      const a = toServer.shift();
      if (a) take(s.receiveFrame(a, now));
      const b = toPeer.shift();
      if (b) peer.receive(b);
    }
  };
  return { s, events, peer, pump, take, verifies: (): VerifyRequest[] => events.flatMap((e) => (e.type === 'verify' ? [e.request] : [])) };
}

for (const by of ['request', 'requestId'] as const) {
  test(`Authenticate, verify 1 pending: LCP renegotiated → verify-cancelled; Challenge 2 answered as alice; verdict ok for request 1 (by ${by}) → dropped, no auth-ok`, () => {
    const p = sessionPair();
    p.take(p.s.start(0));
    p.peer.configureRequest();
    p.pump(0);
    const [first] = p.verifies();
    assert.ok(first);
    assert.equal(first.username, 'mallory');
    p.peer.configureRequest();
    p.pump(10);
    const second = p.verifies()[1];
    assert.ok(second);
    assert.equal(second.username, 'alice');
    p.take(p.s.verdict(by === 'request' ? first : first.requestId, { ok: true }, 20));
    p.pump(20);
    assert.equal(p.events.some((e) => e.type === 'auth-ok'), false);
    assert.deepEqual(p.peer.outcomes, []);
    assert.equal(p.s.phase, 'Authenticate');
    assert.ok((p.s.counters.drops['auth-dropped'] ?? 0) >= 1);
    assert.notEqual(second.requestId, first.requestId, 'request ids never restart within a session');
    assert.ok(p.events.some((e) => e.type === 'verify-cancelled' && e.requestId === first.requestId), 'LCP down cancelled the pending verification');
    // alice's own verdict decides.
    p.take(p.s.verdict(second, { ok: false }, 30));
    p.pump(30);
    assert.deepEqual(p.peer.outcomes, ['failure']);
  });
}
