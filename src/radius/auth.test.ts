import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../wire/hex.js';
import type { VerifyRequest } from '../ppp/auth/types.js';
import { verifyWithSecret } from '../ppp/auth/verify.js';
import { challengeResponse, hashNtPasswordHash, lmPasswordHash, msChapV1Responses, ntPasswordHash, utf8 } from '../ppp/auth/mschap.js';
import { mppeStartKeys } from '../ppp/mppe/keys.js';
import {
  ATTR,
  MS_ATTR,
  RADIUS_CODE,
  VENDOR_MICROSOFT,
  attrInt,
  encodeRadiusPacket,
  encodeVendorSpecific,
  encryptMppeKey,
  findAttr,
  findMsAttr,
  hidePassword,
  intAttr,
  ipv4Attr,
  textAttr,
  type RadiusAttribute,
  type RadiusPacket,
} from './codec.js';
import { accessRequest, accessRequestProblem, authResultFromResponse } from './auth.js';
import { accountingAttributes, splitOctets, terminateCauseFor } from './accounting.js';

// RFC 2759 §9.2 sample data.
const USER = 'User';
const PASSWORD = 'clientPass';
const AUTH_CHALLENGE = fromHex('5B5D7C7D7B3F2F3E3C2C602132262628');
const PEER_CHALLENGE = fromHex('21402324255E262A28295F2B3A337C7E');
const NT_RESPONSE = fromHex('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');
const AUTH_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';

const NAS = { nasIdentifier: 'tunppp-test', nasPort: 7, callingStationId: '10.0.0.2', acctSessionId: 'abc-7' };
const REQ_AUTH = fromHex('00112233445566778899aabbccddeeff');

function v2Request(): VerifyRequest {
  return {
    requestId: 1,
    protocol: 'mschap-v2',
    username: USER,
    usernameBytes: utf8(USER),
    authenticatorName: 'tunppp',
    proof: { protocol: 'mschap-v2', authenticatorChallenge: AUTH_CHALLENGE, peerChallenge: PEER_CHALLENGE, ntResponse: NT_RESPONSE, flags: 0 },
  };
}

function ms(type: number, value: Uint8Array): RadiusAttribute {
  return encodeVendorSpecific({ vendorId: VENDOR_MICROSOFT, vendorType: type, value });
}

function packet(code: number, attributes: RadiusAttribute[]): RadiusPacket {
  return { code, identifier: 0, authenticator: new Uint8Array(16), attributes };
}

test('MS-CHAPv2 VerifyRequest → MS-CHAP-Challenge and MS-CHAP2-Response as RFC 2548 §2.3.2 lays them out', () => {
  const parts = accessRequest(v2Request(), NAS);
  assert.equal(parts.password, undefined);
  const p = packet(RADIUS_CODE.ACCESS_REQUEST, parts.attributes);
  assert.deepEqual(findMsAttr(p, MS_ATTR.MS_CHAP_CHALLENGE), AUTH_CHALLENGE);
  const r = findMsAttr(p, MS_ATTR.MS_CHAP2_RESPONSE)!;
  assert.equal(r.length, 50);
  assert.deepEqual(r.subarray(2, 18), PEER_CHALLENGE);
  assert.deepEqual(r.subarray(18, 26), new Uint8Array(8));
  assert.deepEqual(r.subarray(26, 50), NT_RESPONSE);
  assert.equal(new TextDecoder().decode(findAttr(p, ATTR.USER_NAME)), USER);
  assert.equal(attrInt(findAttr(p, ATTR.SERVICE_TYPE)), 2);
  assert.equal(new TextDecoder().decode(findAttr(p, ATTR.ACCT_SESSION_ID)), 'abc-7');
});

test('MS-CHAPv2 Access-Accept with S= and MPPE keys → verdict whose start keys equal the local RFC 3079 derivation', () => {
  const local = verifyWithSecret(v2Request(), PASSWORD);
  assert.ok(local.ok && local.keyMaterial);
  const keys = mppeStartKeys(local.keyMaterial, 128, 'server');
  // What a RADIUS server sends: MS-MPPE-Send-Key = the NAS's send key.
  const accept = packet(RADIUS_CODE.ACCESS_ACCEPT, [
    ms(MS_ATTR.MS_CHAP2_SUCCESS, Uint8Array.of(1, ...utf8(AUTH_RESPONSE))),
    ms(MS_ATTR.MS_MPPE_SEND_KEY, encryptMppeKey(keys.send, 'sec', REQ_AUTH, 0x8001)),
    ms(MS_ATTR.MS_MPPE_RECV_KEY, encryptMppeKey(keys.recv, 'sec', REQ_AUTH, 0x8002)),
    ipv4Attr(ATTR.FRAMED_IP_ADDRESS, '10.9.9.9'),
    intAttr(ATTR.SESSION_TIMEOUT, 3600),
    intAttr(ATTR.IDLE_TIMEOUT, 600),
    intAttr(ATTR.ACCT_INTERIM_INTERVAL, 300),
    { type: ATTR.CLASS, value: utf8('c1') },
  ]);
  const r = authResultFromResponse(v2Request(), accept, 'sec', REQ_AUTH);
  assert.ok(r.verdict.ok);
  assert.equal(r.verdict.authenticatorResponse, AUTH_RESPONSE);
  assert.equal(r.verdict.keyMaterial?.kind, 'start-keys');
  assert.deepEqual(mppeStartKeys(r.verdict.keyMaterial, 128, 'server'), keys);
  assert.deepEqual(mppeStartKeys(r.verdict.keyMaterial, 40, 'server'), mppeStartKeys(local.keyMaterial, 40, 'server'));
  assert.deepEqual(r.accept, { classes: [utf8('c1')], framedIpAddress: '10.9.9.9', sessionTimeoutS: 3600, idleTimeoutS: 600, acctInterimIntervalS: 300 });
  const papReq: VerifyRequest = { requestId: 1, protocol: 'pap', username: 'u', usernameBytes: utf8('u'), authenticatorName: '', proof: { protocol: 'pap', password: utf8('p') } };
  const pool = authResultFromResponse(papReq, packet(RADIUS_CODE.ACCESS_ACCEPT, [textAttr(ATTR.FRAMED_POOL, 'guests')]), 'sec', REQ_AUTH);
  assert.equal(pool.accept?.framedPool, 'guests', 'Framed-Pool (RFC 2869 §5.18)');
  // A different Request Authenticator cannot decrypt the keys → no key material.
  const other = authResultFromResponse(v2Request(), accept, 'sec', new Uint8Array(16));
  assert.ok(other.verdict.ok);
  assert.equal(other.verdict.keyMaterial?.kind === 'start-keys' && other.verdict.keyMaterial.serverSend.length === 16 && Buffer.compare(other.verdict.keyMaterial.serverSend, keys.send) === 0, false);
});

test('MS-CHAPv2 Access-Accept without MS-CHAP2-Success → non-retryable failure with a problem', () => {
  const r = authResultFromResponse(v2Request(), packet(RADIUS_CODE.ACCESS_ACCEPT, []), 'sec', REQ_AUTH);
  assert.equal(r.verdict.ok, false);
  assert.ok(r.problem);
});

test('Access-Reject with MS-CHAP-Error "E=648 R=0" → code 648, no retry; plain Reject → 691 with Reply-Message', () => {
  const r = authResultFromResponse(v2Request(), packet(RADIUS_CODE.ACCESS_REJECT, [ms(MS_ATTR.MS_CHAP_ERROR, Uint8Array.of(1, ...utf8('E=648 R=0 V=3')))]), 'sec', REQ_AUTH);
  assert.deepEqual(r.verdict, { ok: false, code: 648, retryable: false });
  const plain = authResultFromResponse(v2Request(), packet(RADIUS_CODE.ACCESS_REJECT, [textAttr(ATTR.REPLY_MESSAGE, 'nope')]), 'sec', REQ_AUTH);
  assert.deepEqual(plain.verdict, { ok: false, code: 691, message: 'nope' });
});

test('PAP VerifyRequest → password for the client machine to hide; CHAP-MD5 → CHAP-Password and CHAP-Challenge', () => {
  const pap: VerifyRequest = { requestId: 1, protocol: 'pap', username: 'u', usernameBytes: utf8('u'), authenticatorName: '', proof: { protocol: 'pap', password: utf8('pw') } };
  assert.deepEqual(accessRequest(pap, NAS).password, utf8('pw'));
  const chap: VerifyRequest = {
    requestId: 1, protocol: 'chap-md5', username: 'u', usernameBytes: utf8('u'), authenticatorName: 't',
    proof: { protocol: 'chap-md5', identifier: 22, challenge: fromHex('0102030405'), response: new Uint8Array(16).fill(9) },
  };
  const p = packet(1, accessRequest(chap, NAS).attributes);
  assert.deepEqual(findAttr(p, ATTR.CHAP_PASSWORD), Uint8Array.of(22, ...new Uint8Array(16).fill(9)));
  assert.deepEqual(findAttr(p, ATTR.CHAP_CHALLENGE), fromHex('0102030405'));
});

test('MS-CHAPv1 Access-Accept with MS-CHAP-MPPE-Keys (LM key | NtPasswordHashHash) → keys equal the local derivation', () => {
  const challenge = fromHex('102DB5DF085D3041');
  const { lmResponse, ntResponse } = msChapV1Responses(challenge, PASSWORD);
  const req: VerifyRequest = {
    requestId: 1, protocol: 'mschap-v1', username: USER, usernameBytes: utf8(USER), authenticatorName: 't',
    proof: { protocol: 'mschap-v1', challenge, lmResponse, ntResponse, useNtResponse: true },
  };
  const local = verifyWithSecret(req, PASSWORD);
  assert.ok(local.ok && local.keyMaterial?.kind === 'mschap-v1');
  const keysField = new Uint8Array(24);
  keysField.set(local.keyMaterial.lmKey ?? new Uint8Array(8));
  keysField.set(local.keyMaterial.ntPasswordHashHash, 8);
  const accept = packet(RADIUS_CODE.ACCESS_ACCEPT, [ms(MS_ATTR.MS_CHAP_MPPE_KEYS, hidePassword(keysField, 'sec', REQ_AUTH))]);
  const r = authResultFromResponse(req, accept, 'sec', REQ_AUTH);
  assert.ok(r.verdict.ok && r.verdict.keyMaterial);
  for (const bits of [40, 128] as const) assert.deepEqual(mppeStartKeys(r.verdict.keyMaterial, bits, 'server'), mppeStartKeys(local.keyMaterial, bits, 'server'));
});

test('MS-CHAPv1 Access-Accept with MS-CHAP-MPPE-Keys → LM key used for 40-bit only when the peer sent an LM response', () => {
  const challenge = fromHex('102DB5DF085D3041');
  const { ntResponse } = msChapV1Responses(challenge, PASSWORD);
  const lmHash = lmPasswordHash(PASSWORD)!;
  const keysField = new Uint8Array(24);
  keysField.set(lmHash.subarray(0, 8));
  keysField.set(hashNtPasswordHash(ntPasswordHash(PASSWORD)), 8);
  const accept = packet(RADIUS_CODE.ACCESS_ACCEPT, [ms(MS_ATTR.MS_CHAP_MPPE_KEYS, hidePassword(keysField, 'sec', REQ_AUTH))]);
  for (const lmResponse of [new Uint8Array(24), challengeResponse(challenge, lmHash)]) {
    const req: VerifyRequest = {
      requestId: 1, protocol: 'mschap-v1', username: USER, usernameBytes: utf8(USER), authenticatorName: 't',
      proof: { protocol: 'mschap-v1', challenge, lmResponse, ntResponse, useNtResponse: true },
    };
    const r = authResultFromResponse(req, accept, 'sec', REQ_AUTH);
    const local = verifyWithSecret(req, PASSWORD);
    assert.ok(r.verdict.ok && r.verdict.keyMaterial && local.ok && local.keyMaterial);
    const sentLm = lmResponse.some((b) => b !== 0);
    assert.equal(r.verdict.keyMaterial.kind === 'mschap-v1' && r.verdict.keyMaterial.lmKey !== undefined, sentLm);
    for (const bits of [40, 56, 128] as const) assert.deepEqual(mppeStartKeys(r.verdict.keyMaterial, bits, 'server'), mppeStartKeys(local.keyMaterial, bits, 'server'));
  }
});

test('accounting Stop: octets over 2^32 → Gigawords; session time, packets, terminate cause, Class echoed', () => {
  const attrs = accountingAttributes(
    'stop',
    { sessionId: 's1', username: 'u', nas: NAS, framedIpAddress: '10.0.0.9', classes: [utf8('k')], authentic: 'radius' },
    { inputOctets: 2 ** 32 * 3 + 5, outputOctets: 1234, inputPackets: 10, outputPackets: 11, sessionTimeS: 61.7 },
    5,
  );
  const p = packet(RADIUS_CODE.ACCOUNTING_REQUEST, attrs);
  const n = (t: number) => attrInt(findAttr(p, t));
  assert.equal(n(ATTR.ACCT_STATUS_TYPE), 2);
  assert.equal(n(ATTR.ACCT_INPUT_OCTETS), 5);
  assert.equal(n(ATTR.ACCT_INPUT_GIGAWORDS), 3);
  assert.equal(n(ATTR.ACCT_OUTPUT_OCTETS), 1234);
  assert.equal(n(ATTR.ACCT_OUTPUT_GIGAWORDS), 0);
  assert.equal(n(ATTR.ACCT_INPUT_PACKETS), 10);
  assert.equal(n(ATTR.ACCT_SESSION_TIME), 61);
  assert.equal(n(ATTR.ACCT_TERMINATE_CAUSE), 5);
  assert.deepEqual(findAttr(p, ATTR.CLASS), utf8('k'));
  assert.equal(new TextDecoder().decode(findAttr(p, ATTR.ACCT_SESSION_ID)), 's1');
  assert.equal(findAttr(p, ATTR.ACCT_MULTI_SESSION_ID), undefined, 'only when given');
  const multi = packet(RADIUS_CODE.ACCOUNTING_REQUEST, accountingAttributes('start', { sessionId: 's1', multiSessionId: 's1', username: 'u', nas: NAS, classes: [], authentic: 'radius' }));
  assert.equal(new TextDecoder().decode(findAttr(multi, ATTR.ACCT_MULTI_SESSION_ID)), 's1');
  const start = packet(4, accountingAttributes('start', { sessionId: 's1', username: 'u', nas: NAS, classes: [], authentic: 'local' }));
  assert.equal(findAttr(start, ATTR.ACCT_INPUT_OCTETS), undefined);
  assert.equal(findAttr(start, ATTR.ACCT_TERMINATE_CAUSE), undefined);
  assert.deepEqual(splitOctets(2 ** 32), { low: 0, giga: 1 });
});

test('terminate causes: link end reasons → RFC 2866 §5.10 values', () => {
  assert.equal(terminateCauseFor('Session-Timeout reached'), 5);
  assert.equal(terminateCauseFor('Idle-Timeout (600 s)'), 4);
  assert.equal(terminateCauseFor('Disconnect-Request from 127.0.0.1'), 6);
  assert.equal(terminateCauseFor('server shutting down'), 7);
  assert.equal(terminateCauseFor('peer sent Terminate-Request'), 1);
  assert.equal(terminateCauseFor('No response to 4 echo-requests'), 3);
  assert.equal(terminateCauseFor('something else'), 10);
  // The end reasons tunppp's transports give (src/server/pptp-service.ts, l2tp-endpoint.ts):
  assert.equal(terminateCauseFor('call cleared (peer-clear)'), 1);
  assert.equal(terminateCauseFor('control connection closed (peer-stop)'), 1);
  assert.equal(terminateCauseFor('control connection closed (tcp-closed)'), 2, 'TCP gone without Call-Clear: Lost-Carrier');
  assert.equal(terminateCauseFor('control connection closed (echo-timeout)'), 3);
  assert.equal(terminateCauseFor('control connection closed (framing-error)'), 8);
  assert.equal(terminateCauseFor('L2TP session closed (peer sent CDN (result 3))'), 1);
  assert.equal(terminateCauseFor('L2TP session closed (tunnel down: peer sent StopCCN (result 6))'), 1);
  assert.equal(terminateCauseFor('L2TP session closed (tunnel down: peer stopped acknowledging control messages (retransmissions exhausted))'), 2);
  assert.equal(terminateCauseFor('peer not responding: 4 Echo-Requests unanswered'), 3);
  assert.equal(terminateCauseFor('loopback detected (peer echoes our Magic-Number)'), 8);
  assert.equal(terminateCauseFor('disconnected by the administrator'), 6);
  assert.equal(terminateCauseFor('Disconnect-Request (admin reset)'), 6);
  assert.equal(terminateCauseFor('Session-Timeout (600 s)'), 5);
});

test('accessRequestProblem: CHAP-MD5 Response of 255 octets, User-Name of 254, PAP password of 129 → named problems; a 16-octet Response → none', () => {
  const chap = (response: Uint8Array, user = 'mallory'): VerifyRequest => ({
    requestId: 1, protocol: 'chap-md5', username: user, usernameBytes: utf8(user), authenticatorName: '', proof: { protocol: 'chap-md5', identifier: 1, challenge: new Uint8Array(16), response },
  });
  assert.match(accessRequestProblem(chap(new Uint8Array(255))) ?? '', /CHAP-MD5 Response of 255 octets/);
  assert.match(accessRequestProblem(chap(new Uint8Array(16), 'u'.repeat(254))) ?? '', /User-Name of 254 octets/);
  const pap: VerifyRequest = { requestId: 1, protocol: 'pap', username: 'u', usernameBytes: utf8('u'), authenticatorName: '', proof: { protocol: 'pap', password: new Uint8Array(129) } };
  assert.match(accessRequestProblem(pap) ?? '', /PAP password of 129 octets/);
  assert.equal(accessRequestProblem(chap(new Uint8Array(16))), undefined);
});

test('accountingAttributes: a User-Name of 300 octets (wildcard chap-secrets) → cut to 253, the record still encodes', () => {
  const attrs = accountingAttributes('start', { sessionId: 'S-1', username: 'w'.repeat(300), nas: NAS, classes: [], authentic: 'local' });
  const user = attrs.find((a) => a.type === ATTR.USER_NAME)!;
  assert.equal(user.value.length, 253);
  assert.doesNotThrow(() => encodeRadiusPacket({ code: RADIUS_CODE.ACCOUNTING_REQUEST, identifier: 1, authenticator: new Uint8Array(16), attributes: attrs }));
});
