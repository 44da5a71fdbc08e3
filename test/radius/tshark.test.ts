/**
 * Our RADIUS packets dissected by tshark with the shared secret: a PAP and an
 * MS-CHAPv2 Access-Request from the client machine, Access-Accepts signed by
 * the codec (with MS-CHAP2-Success and MPPE keys), Accounting Start/Stop and
 * their responses, a Disconnect-Request and its ACK. tshark decrypts the
 * User-Password, validates the Response Authenticators, and reports no
 * malformed packets or warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { LINKTYPE, udpIpv4Packet, type PcapRecord } from '../../src/wire/pcap.js';
import { generateNtResponse, utf8 } from '../../src/ppp/auth/mschap.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { RadiusClient, type RadiusClientOutput } from '../../src/radius/client.js';
import { accessRequest } from '../../src/radius/auth.js';
import { accountingAttributes } from '../../src/radius/accounting.js';
import {
  ATTR,
  MS_ATTR,
  RADIUS_CODE,
  VENDOR_MICROSOFT,
  encodeRadiusPacket,
  encodeVendorSpecific,
  encryptMppeKey,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signRequest,
  signResponse,
  textAttr,
  type RadiusAttribute,
} from '../../src/radius/codec.js';
import { dissect, field, fields, tsharkSkipReason } from '../helpers/tshark.js';

const SECRET = 'tshark-secret';
const NAS = { nasIdentifier: 'tunppp', nasPort: 3, callingStationId: '203.0.113.9', acctSessionId: 'ABCD-1' };

function sent(out: RadiusClientOutput[]): Uint8Array {
  const s = out.find((o) => o.kind === 'send');
  assert.ok(s && s.kind === 'send');
  return s.bytes;
}

function answer(request: Uint8Array, code: number, attributes: RadiusAttribute[]): Uint8Array {
  const r = parseRadiusPacket(request);
  assert.ok(r.ok);
  return signResponse(encodeRadiusPacket({ code, identifier: r.value.identifier, authenticator: new Uint8Array(16), attributes: [messageAuthenticatorPlaceholder(), ...attributes] }), r.value.authenticator, SECRET);
}

test('tshark: Access/Accounting/Disconnect exchanges decode cleanly, password decrypts, authenticators validate', { skip: tsharkSkipReason() }, () => {
  const c = new RadiusClient({ servers: [{ secret: SECRET }], timeoutMs: 1000, retries: 1 }, seededRng(3));
  const pairs: [Uint8Array, Uint8Array][] = [];
  // PAP
  const papReq: VerifyRequest = { requestId: 1, protocol: 'pap', username: 'alice', usernameBytes: utf8('alice'), authenticatorName: '', proof: { protocol: 'pap', password: utf8('pw123') } };
  const pap = accessRequest(papReq, NAS);
  const r1 = sent(c.handle({ type: 'request', tag: 1, code: RADIUS_CODE.ACCESS_REQUEST, attributes: pap.attributes, password: pap.password! }, 0));
  pairs.push([r1, answer(r1, RADIUS_CODE.ACCESS_ACCEPT, [textAttr(ATTR.REPLY_MESSAGE, 'welcome')])]);
  c.handle({ type: 'response', server: 0, bytes: pairs[0]![1] }, 1);
  // MS-CHAPv2
  const ac = new Uint8Array(16).fill(1);
  const pc = new Uint8Array(16).fill(2);
  const v2: VerifyRequest = {
    requestId: 2, protocol: 'mschap-v2', username: 'bob', usernameBytes: utf8('bob'), authenticatorName: 'tunppp',
    proof: { protocol: 'mschap-v2', authenticatorChallenge: ac, peerChallenge: pc, ntResponse: generateNtResponse(ac, pc, utf8('bob'), 'pw'), flags: 0 },
  };
  const r2 = sent(c.handle({ type: 'request', tag: 2, code: RADIUS_CODE.ACCESS_REQUEST, attributes: accessRequest(v2, NAS).attributes }, 2));
  const auth2 = r2.subarray(4, 20);
  const ms = (t: number, v: Uint8Array) => encodeVendorSpecific({ vendorId: VENDOR_MICROSOFT, vendorType: t, value: v });
  pairs.push([r2, answer(r2, RADIUS_CODE.ACCESS_ACCEPT, [
    ms(MS_ATTR.MS_CHAP2_SUCCESS, Uint8Array.of(1, ...utf8('S=407A5589115FD0D6209F510FE9C04566932CDA56'))),
    ms(MS_ATTR.MS_MPPE_SEND_KEY, encryptMppeKey(new Uint8Array(16).fill(7), SECRET, auth2, 0x8001)),
    ms(MS_ATTR.MS_MPPE_RECV_KEY, encryptMppeKey(new Uint8Array(16).fill(8), SECRET, auth2, 0x8002)),
  ])]);
  // Accounting Start and Stop
  const session = { sessionId: 'ABCD-1', username: 'bob', nas: NAS, framedIpAddress: '192.168.7.10', classes: [], authentic: 'radius' as const };
  const r3 = sent(c.handle({ type: 'request', tag: 3, code: RADIUS_CODE.ACCOUNTING_REQUEST, attributes: accountingAttributes('start', session) }, 3));
  pairs.push([r3, answer(r3, RADIUS_CODE.ACCOUNTING_RESPONSE, [])]);
  const counters = { inputOctets: 2 ** 32 + 77, outputOctets: 4242, inputPackets: 12, outputPackets: 13, sessionTimeS: 90 };
  const r4 = sent(c.handle({ type: 'request', tag: 4, code: RADIUS_CODE.ACCOUNTING_REQUEST, attributes: accountingAttributes('stop', session, counters, 1) }, 4));
  pairs.push([r4, answer(r4, RADIUS_CODE.ACCOUNTING_RESPONSE, [])]);
  // Disconnect-Request and ACK
  const r5 = signRequest(encodeRadiusPacket({ code: RADIUS_CODE.DISCONNECT_REQUEST, identifier: 9, authenticator: new Uint8Array(16), attributes: [textAttr(ATTR.ACCT_SESSION_ID, 'ABCD-1'), messageAuthenticatorPlaceholder()] }), SECRET);
  pairs.push([r5, answer(r5, RADIUS_CODE.DISCONNECT_ACK, [])]);

  const records: PcapRecord[] = [];
  const ports = [1812, 1812, 1813, 1813, 3799];
  pairs.forEach(([req, rsp], i) => {
    const port = ports[i]!;
    records.push({ timeMs: i * 10, bytes: udpIpv4Packet('10.0.0.1', '10.0.0.2', 40000 + i, port, req) });
    records.push({ timeMs: i * 10 + 1, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', port, 40000 + i, rsp) });
  });
  const { frames, problems } = dissect(LINKTYPE.RAW, records, ['-o', `radius.shared_secret:${SECRET}`, '-o', 'radius.validate_authenticator:TRUE', '--no-duplicate-keys']);
  assert.deepEqual(problems, []);
  assert.equal(frames.length, 10);
  const codes = frames.map((f) => field(f, 'radius.code'));
  assert.deepEqual(codes, ['1', '2', '1', '2', '4', '5', '4', '5', '40', '41']);
  assert.equal(field(frames[0]!, 'radius.User_Password'), 'pw123');
  assert.equal(field(frames[0]!, 'radius.User_Name'), 'alice');
  assert.ok(field(frames[2]!, 'radius.MS_CHAP2_Response') !== undefined);
  assert.ok(field(frames[3]!, 'radius.MS_MPPE_Send_Key') !== undefined);
  // Every response's authenticator checks out against its request with the secret.
  for (const i of [1, 3, 5, 7, 9]) assert.equal(field(frames[i]!, 'radius.authenticator.valid'), '1', `frame ${i + 1}`);
  assert.equal(field(frames[6]!, 'radius.Acct_Input_Octets'), '77');
  assert.equal(field(frames[6]!, 'radius.Acct_Input_Gigawords'), '1');
  assert.equal(field(frames[6]!, 'radius.Acct_Output_Octets'), '4242');
  assert.equal(field(frames[6]!, 'radius.Acct_Terminate_Cause'), '1');
  assert.ok(fields(frames[0]!, 'radius.Message_Authenticator').length === 1);
});
