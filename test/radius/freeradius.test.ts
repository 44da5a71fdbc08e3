/**
 * Our RADIUS client, backend, accounting and Disconnect listener against a
 * real FreeRADIUS 3 on loopback (test/radius/freeradius.ts). Skipped with a
 * message when freeradius is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { monotonicClock } from '../../src/io/clock.js';
import { cryptoRng } from '../../src/io/rng.js';
import { silentLogger } from '../../src/log/logger.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import type { ChapSecret } from '../../src/config/chap-secrets.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { verifyWithSecret } from '../../src/ppp/auth/verify.js';
import { chapMd5Response, generateNtResponse, msChapV1Responses, utf8 } from '../../src/ppp/auth/mschap.js';
import { mppeStartKeys } from '../../src/ppp/mppe/keys.js';
import { accessRequest, authResultFromResponse } from '../../src/radius/auth.js';
import {
  ATTR,
  RADIUS_CODE,
  attrInt,
  encodeRadiusPacket,
  findAttr,
  intAttr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signRequest,
  textAttr,
  verifyResponse,
} from '../../src/radius/codec.js';
import { RadiusService, RadiusUdpClient } from '../../src/server/radius/index.js';
import type { PppLink } from '../../src/server/link.js';
import { freeradiusMissing, startFreeRadius, type FreeRadius } from './freeradius.js';
import { fakeLink } from './fake-link.js';

const USERS = `alice Cleartext-Password := "alice-pass"
\tFramed-IP-Address = 192.168.99.77,
\tSession-Timeout = 3600,
\tIdle-Timeout = 600,
\tAcct-Interim-Interval = 120,
\tClass = "klass-alice"

bob Cleartext-Password := "bob pass 2"
`;

const skip = freeradiusMissing();
const NAS = { nasIdentifier: 'tunppp-test', nasPort: 1, callingStationId: '198.51.100.7' };

function papRequest(user: string, password: string): VerifyRequest {
  return { requestId: 1, protocol: 'pap', username: user, usernameBytes: utf8(user), authenticatorName: '', proof: { protocol: 'pap', password: utf8(password) } };
}

function v2Request(user: string, password: string): VerifyRequest {
  const authenticatorChallenge = new Uint8Array(randomBytes(16));
  const peerChallenge = new Uint8Array(randomBytes(16));
  return {
    requestId: 1,
    protocol: 'mschap-v2',
    username: user,
    usernameBytes: utf8(user),
    authenticatorName: 'tunppp',
    proof: { protocol: 'mschap-v2', authenticatorChallenge, peerChallenge, ntResponse: generateNtResponse(authenticatorChallenge, peerChallenge, utf8(user), password), flags: 0 },
  };
}



describe('FreeRADIUS', { skip }, () => {
  let fr: FreeRadius;
  let client: RadiusUdpClient;

  before(async () => {
    fr = await startFreeRadius({ users: USERS });
    client = new RadiusUdpClient([{ address: '127.0.0.1', port: fr.authPort, secret: fr.secret }], { timeoutMs: 1000, retries: 2, requireMessageAuthenticator: true }, monotonicClock, cryptoRng);
    await client.start();
  });
  after(async () => {
    client?.close();
    await fr?.stop();
  });

  async function ask(req: VerifyRequest) {
    const parts = accessRequest(req, NAS);
    const a = await client.request(RADIUS_CODE.ACCESS_REQUEST, parts.attributes, parts.password);
    assert.ok(a, `no answer from FreeRADIUS:\n${fr.output().slice(-2000)}`);
    return { answer: a, result: authResultFromResponse(req, a.packet, a.secret, a.requestAuthenticator) };
  }

  test('PAP: right password → Access-Accept with Framed-IP, timeouts, interim and Class; wrong → Access-Reject', async () => {
    const ok = await ask(papRequest('alice', 'alice-pass'));
    assert.equal(ok.answer.packet.code, RADIUS_CODE.ACCESS_ACCEPT);
    assert.ok(ok.result.verdict.ok);
    assert.deepEqual(ok.result.accept, {
      classes: [utf8('klass-alice')],
      framedIpAddress: '192.168.99.77',
      sessionTimeoutS: 3600,
      idleTimeoutS: 600,
      acctInterimIntervalS: 120,
    });
    const bad = await ask(papRequest('alice', 'alice-pasS'));
    assert.equal(bad.answer.packet.code, RADIUS_CODE.ACCESS_REJECT);
    assert.deepEqual(bad.result.verdict, { ok: false, code: 691 });
    const unknown = await ask(papRequest('mallory', 'x'));
    assert.equal(unknown.answer.packet.code, RADIUS_CODE.ACCESS_REJECT);
  });

  test('CHAP-MD5: CHAP-Password and CHAP-Challenge → Access-Accept; wrong response → Access-Reject', async () => {
    const challenge = new Uint8Array(randomBytes(16));
    const mk = (pw: string): VerifyRequest => ({
      requestId: 1, protocol: 'chap-md5', username: 'bob', usernameBytes: utf8('bob'), authenticatorName: 'tunppp',
      proof: { protocol: 'chap-md5', identifier: 42, challenge, response: chapMd5Response(42, utf8(pw), challenge) },
    });
    assert.equal((await ask(mk('bob pass 2'))).answer.packet.code, RADIUS_CODE.ACCESS_ACCEPT);
    assert.equal((await ask(mk('bob pass 3'))).answer.packet.code, RADIUS_CODE.ACCESS_REJECT);
  });

  test('MS-CHAPv2: Accept → S= equals the local RFC 2759 value; MS-MPPE keys decode and equal the local RFC 3079 keys', async () => {
    const req = v2Request('bob', 'bob pass 2');
    const { answer, result } = await ask(req);
    assert.equal(answer.packet.code, RADIUS_CODE.ACCESS_ACCEPT);
    const local = verifyWithSecret(req, 'bob pass 2');
    assert.ok(local.ok && local.keyMaterial && result.verdict.ok);
    assert.equal(result.verdict.authenticatorResponse, local.authenticatorResponse);
    assert.equal(result.verdict.keyMaterial?.kind, 'start-keys');
    for (const bits of [128, 56, 40] as const) {
      assert.deepEqual(mppeStartKeys(result.verdict.keyMaterial!, bits, 'server'), mppeStartKeys(local.keyMaterial, bits, 'server'), `${bits}-bit`);
      assert.deepEqual(mppeStartKeys(result.verdict.keyMaterial!, bits, 'client'), mppeStartKeys(local.keyMaterial, bits, 'client'), `${bits}-bit client view`);
    }
  });

  test('MS-CHAPv2: wrong password → Access-Reject with MS-CHAP-Error E=691', async () => {
    const { answer, result } = await ask(v2Request('bob', 'bob pass 3'));
    assert.equal(answer.packet.code, RADIUS_CODE.ACCESS_REJECT);
    assert.equal(result.verdict.ok, false);
    assert.equal(!result.verdict.ok && result.verdict.code, 691);
  });

  test('MS-CHAPv1: Accept → MS-CHAP-MPPE-Keys give the same start keys as the local RFC 3079 §2 derivation', async () => {
    const challenge = new Uint8Array(randomBytes(8));
    const { lmResponse, ntResponse } = msChapV1Responses(challenge, 'bob pass 2');
    const req: VerifyRequest = {
      requestId: 1, protocol: 'mschap-v1', username: 'bob', usernameBytes: utf8('bob'), authenticatorName: 'tunppp',
      proof: { protocol: 'mschap-v1', challenge, lmResponse, ntResponse, useNtResponse: true },
    };
    const { answer, result } = await ask(req);
    assert.equal(answer.packet.code, RADIUS_CODE.ACCESS_ACCEPT);
    const local = verifyWithSecret(req, 'bob pass 2');
    assert.ok(local.ok && local.keyMaterial && result.verdict.ok && result.verdict.keyMaterial);
    assert.deepEqual(mppeStartKeys(result.verdict.keyMaterial, 128, 'server'), mppeStartKeys(local.keyMaterial, 128, 'server'));
  });

  test('failover: first server silent → retransmissions, then the second server (FreeRADIUS) answers', async () => {
    const dead = createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = dead.address().port;
    const c = new RadiusUdpClient(
      [{ address: '127.0.0.1', port: deadPort, secret: 'whatever' }, { address: '127.0.0.1', port: fr.authPort, secret: fr.secret }],
      { timeoutMs: 150, retries: 1 }, monotonicClock, cryptoRng,
    );
    let seen = 0;
    dead.on('message', () => seen++);
    await c.start();
    try {
      const parts = accessRequest(papRequest('alice', 'alice-pass'), NAS);
      const t0 = Date.now();
      const a = await c.request(RADIUS_CODE.ACCESS_REQUEST, parts.attributes, parts.password);
      assert.ok(a);
      assert.equal(a.server, 1);
      assert.equal(a.packet.code, RADIUS_CODE.ACCESS_ACCEPT);
      assert.equal(seen, 2, 'first transmission and one retry to the silent server');
      assert.ok(Date.now() - t0 >= 280);
    } finally {
      c.close();
      dead.close();
    }
  });

  test('service: chap-secrets user answered locally, others by RADIUS; Framed-IP lands on the link; accounting Start/Stop reach the detail file with the byte counts', async () => {
    const config: Config = {
      ...defaultConfig(),
      auth: { ...defaultConfig().auth, backends: ['chap-secrets', 'radius'] },
      radius: {
        ...defaultConfig().radius,
        servers: [{ address: '127.0.0.1', port: fr.authPort, acctPort: fr.acctPort, secret: fr.secret }],
        accounting: true,
        timeoutMs: 1000,
        retries: 1,
        nasIdentifier: 'tunppp-acct-test',
        disconnect: { ...defaultConfig().radius.disconnect, enabled: true, address: '127.0.0.1', port: 0 },
      },
    };
    const secrets: ChapSecret[] = [{ client: 'carol', server: '*', secret: 'carol-local', addresses: [], line: 1 } as unknown as ChapSecret];
    const svc = new RadiusService(config, secrets, [{ address: '127.0.0.1', port: fr.authPort, acctPort: fr.acctPort, secret: fr.secret }], monotonicClock, cryptoRng, silentLogger);
    await svc.start();
    try {
      // carol is local: never reaches FreeRADIUS.
      const carol = fakeLink(100, { peerAddress: '198.51.100.7' });
      const vc = await svc.verifyForLink(v2Request('carol', 'carol-local'), carol as unknown as PppLink);
      assert.ok(vc.ok);
      assert.ok(!fr.output().includes('carol'));
      // alice via RADIUS.
      const link = fakeLink(7, { peerAddress: '198.51.100.7' });
      const va = await svc.verifyForLink(v2Request('alice', 'alice-pass'), link as unknown as PppLink);
      assert.ok(va.ok && va.keyMaterial?.kind === 'start-keys' && va.authenticatorResponse?.startsWith('S='));
      svc.linkAuthenticated(link as unknown as PppLink, 1); // the link says so when the session takes this verdict
      assert.equal(link.framedAddress, '192.168.99.77');
      link.username = 'alice';
      link.peerIp = '192.168.99.77';
      svc.linkUp(link as unknown as PppLink, monotonicClock.now());
      const sessionId = svc.sessionIdOf(link as unknown as PppLink)!;
      // Disconnect-Request for an unknown session → NAK 503; for alice's → ACK and the link is closed.
      const nak = await disconnect(svc.disconnectPort!, fr.secret, [textAttr(ATTR.ACCT_SESSION_ID, 'nope'), textAttr(ATTR.PROXY_STATE, 'hop-1')]);
      assert.equal(nak.code, RADIUS_CODE.DISCONNECT_NAK);
      assert.equal(attrInt(findAttr(nak, ATTR.ERROR_CAUSE)), 503);
      assert.equal(new TextDecoder().decode(findAttr(nak, ATTR.PROXY_STATE)), 'hop-1', 'Proxy-State echoed (RFC 5176 §3.1)');
      const bad = await disconnect(svc.disconnectPort!, 'wrong-secret', [textAttr(ATTR.ACCT_SESSION_ID, sessionId)], 300);
      assert.equal(bad, undefined, 'a request signed with the wrong secret is dropped');
      const ack = await disconnect(svc.disconnectPort!, fr.secret, [textAttr(ATTR.ACCT_SESSION_ID, sessionId), textAttr(ATTR.USER_NAME, 'alice')]);
      assert.equal(ack.code, RADIUS_CODE.DISCONNECT_ACK);
      assert.deepEqual(link.closed, ['Disconnect-Request (admin reset)']);
      // The link goes down with counters (one value above 2^32 for Gigawords).
      link.session.counters = { bytesIn: 2 ** 32 + 12345, bytesOut: 67890, packetsIn: 321, packetsOut: 123 };
      svc.linkEnded(link as unknown as PppLink, 'Disconnect-Request (admin reset)', monotonicClock.now() + 65_000);
      await svc.stop();
      const detail = fr.detail();
      const records = detail.split(/\n\n+/).filter((r) => r.includes(`Acct-Session-Id = "${sessionId}"`));
      assert.equal(records.length, 2, detail);
      assert.match(records[0]!, /Acct-Status-Type = Start/);
      assert.match(records[0]!, /User-Name = "alice"/);
      assert.match(records[0]!, /Class = 0x6b6c6173732d616c696365/);
      assert.match(records[0]!, /NAS-Identifier = "tunppp-acct-test"/);
      assert.match(records[1]!, /Acct-Status-Type = Stop/);
      assert.match(records[1]!, /Acct-Input-Octets = 12345\n/);
      assert.match(records[1]!, /Acct-Input-Gigawords = 1\n/);
      assert.match(records[1]!, /Acct-Output-Octets = 67890\n/);
      assert.match(records[1]!, /Acct-Input-Packets = 321\n/);
      assert.match(records[1]!, /Acct-Output-Packets = 123\n/);
      assert.match(records[1]!, /Acct-Session-Time = 6[45]\n/);
      assert.match(records[1]!, /Acct-Terminate-Cause = Admin-Reset/);
      assert.match(records[1]!, /Framed-IP-Address = 192.168.99.77/);
    } finally {
      await svc.stop();
    }
  });
});

/** Sends a Disconnect-Request and returns the parsed answer (verified), or undefined after `waitMs`. */
async function disconnect(port: number, secret: string, attributes: ReturnType<typeof textAttr>[], waitMs = 2000): Promise<ReturnType<typeof parseAnswer>> {
  const sock = createSocket('udp4');
  try {
    const now = intAttr(ATTR.EVENT_TIMESTAMP, Math.floor(Date.now() / 1000));
    const bytes = signRequest(encodeRadiusPacket({ code: RADIUS_CODE.DISCONNECT_REQUEST, identifier: 5, authenticator: new Uint8Array(16), attributes: [...attributes, now, messageAuthenticatorPlaceholder()] }), secret);
    const answer = new Promise<Uint8Array | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), waitMs);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(new Uint8Array(m));
      });
    });
    sock.send(bytes, port, '127.0.0.1');
    const a = await answer;
    if (a === undefined) return undefined as unknown as ReturnType<typeof parseAnswer>;
    assert.deepEqual(verifyResponse(a, bytes.subarray(4, 20), secret), { ok: true, messageAuthenticator: true });
    return parseAnswer(a);
  } finally {
    sock.close();
  }
}

function parseAnswer(a: Uint8Array) {
  const r = parseRadiusPacket(a);
  assert.ok(r.ok);
  return r.value;
}
