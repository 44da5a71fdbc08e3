/**
 * A scripted IKEv1 Main Mode with PSK (RFC 2409 §5) plus the first Quick
 * Mode message, built from our codec and key derivations for both sides: the
 * initiator's messages 1, 3, 5 and the responder's 2, 4, 6. Each side checks
 * the other's hash, so the script fails when the derivations disagree. Used
 * to hand a complete exchange to tshark and as a known-good peer.
 */
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { concat } from '../../src/ipsec/bytes.js';
import { ENCAPSULATION, ESP_TRANSFORM, EXCHANGE, FLAG, ID_TYPE, KEY_IKE, LIFE_TYPE, P1_ATTR, P1_AUTH, P2_ATTR, P2_AUTH, PROTO } from '../../src/ipsec/constants.js';
import { dhGenerate, dhSharedSecret } from '../../src/ipsec/dh.js';
import { decryptIkeBody, encryptIkeBody, ikeCipher, type IkeCipher } from '../../src/ipsec/ikev1-cipher.js';
import { deriveSkeyids, hashI, hashR, ikeHashFromAttribute, natDetectionHash, phase1EncryptionKey, phase1Iv, phase2Iv, quickModeHash1, skeyidPsk, type IkeHash } from '../../src/ipsec/ikev1-keys.js';
import { encodeIsakmpHeader, encodeIsakmpMessage, encodePayloadBody, encodePayloads, findPayload, firstPayloadType, parseIsakmpMessage, parsePayloads, type IsakmpHeaderFields, type IsakmpPayload } from '../../src/ipsec/isakmp.js';
import { saAttribute, type SaPayload } from '../../src/ipsec/sa-payload.js';

/** What the script negotiates. */
export interface ScriptSuite {
  encryption: number;
  keyLengthBits?: number;
  hash: number;
  group: number;
}

/** The messages, in order, and the keys tshark needs. */
export interface ScriptedExchange {
  messages: { fromInitiator: boolean; bytes: Uint8Array }[];
  initiatorCookie: Uint8Array;
  responderCookie: Uint8Array;
  encryptionKey: Uint8Array;
  /** The cleartext payload chains of messages 5, 6 and Quick Mode 1, as the receiver decrypted them. */
  decrypted: IsakmpPayload[][];
}

const PSK = new TextEncoder().encode('a long random pre-shared key for the script');

/** Runs the exchange with `suite`; seeds make it deterministic. */
export function scriptedMainMode(suite: ScriptSuite, seed = 1): ScriptedExchange {
  const rngI = seededRng(seed);
  const rngR = seededRng(seed + 1000);
  const h: IkeHash = ikeHashFromAttribute(suite.hash)!;
  const cipher: IkeCipher = ikeCipher(suite.encryption, suite.keyLengthBits)!;
  const ckyI = rngI.bytes(8);
  const ckyR = rngR.bytes(8);
  const attrs = [saAttribute(P1_ATTR.ENCRYPTION_ALGORITHM, suite.encryption), ...(suite.keyLengthBits ? [saAttribute(P1_ATTR.KEY_LENGTH, suite.keyLengthBits)] : []),
    saAttribute(P1_ATTR.HASH_ALGORITHM, suite.hash), saAttribute(P1_ATTR.AUTHENTICATION_METHOD, P1_AUTH.PRE_SHARED_KEY), saAttribute(P1_ATTR.GROUP_DESCRIPTION, suite.group),
    saAttribute(P1_ATTR.LIFE_TYPE, LIFE_TYPE.SECONDS), saAttribute(P1_ATTR.LIFE_DURATION, 28800)];
  const sa: SaPayload = { doi: 1, situation: 1, proposals: [{ proposalNumber: 1, protocolId: PROTO.ISAKMP, spi: new Uint8Array(0), transforms: [{ transformNumber: 1, transformId: KEY_IKE, attributes: attrs }] }] };
  const hdr = (responderCookie: Uint8Array, exchangeType: number, flags = 0, messageId = 0): IsakmpHeaderFields => ({ initiatorCookie: ckyI, responderCookie, majorVersion: 1, minorVersion: 0, exchangeType, flags, messageId });
  const messages: ScriptedExchange['messages'] = [];
  const send = (fromInitiator: boolean, bytes: Uint8Array) => {
    messages.push({ fromInitiator, bytes });
    const m = parseIsakmpMessage(bytes);
    assert.ok(m.ok, JSON.stringify(m));
    return m.value;
  };
  const MM = EXCHANGE.IDENTITY_PROTECTION;
  // 1, 2: SA
  const m1 = send(true, encodeIsakmpMessage({ header: hdr(new Uint8Array(8), MM), payloads: [{ kind: 'sa', sa }] }));
  const saiB = m1.bodies[0]!;
  send(false, encodeIsakmpMessage({ header: hdr(ckyR, MM), payloads: [{ kind: 'sa', sa }] }));
  // 3, 4: KE, nonce, NAT-D (the addresses of the pcap the caller writes)
  const dhI = dhGenerate(suite.group, rngI);
  const dhR = dhGenerate(suite.group, rngR);
  const ni = rngI.bytes(32);
  const nr = rngR.bytes(32);
  const natd = (addr: number[], port: number): IsakmpPayload => ({ kind: 'nat-d', draft: false, hash: natDetectionHash(h, ckyI, ckyR, Uint8Array.from(addr), port) });
  const m3 = send(true, encodeIsakmpMessage({ header: hdr(ckyR, MM), payloads: [{ kind: 'ke', data: dhI.publicKey }, { kind: 'nonce', data: ni }, natd([10, 0, 0, 1], 500), natd([10, 0, 0, 2], 500)] }));
  const m4 = send(false, encodeIsakmpMessage({ header: hdr(ckyR, MM), payloads: [{ kind: 'ke', data: dhR.publicKey }, { kind: 'nonce', data: nr }, natd([10, 0, 0, 2], 500), natd([10, 0, 0, 1], 500)] }));
  const gxi = findPayload(m3.payloads, 'ke')!.data;
  const gxr = findPayload(m4.payloads, 'ke')!.data;
  const gxyI = dhSharedSecret(dhI, gxr)!;
  const gxyR = dhSharedSecret(dhR, gxi)!;
  assert.deepEqual(gxyI, gxyR);
  const skeyid = skeyidPsk(h, PSK, ni, nr);
  const k = deriveSkeyids(h, skeyid, gxyI, ckyI, ckyR);
  const key = phase1EncryptionKey(h, k.e, cipher.keyBytes);
  let iv = phase1Iv(h, gxi, gxr, cipher.blockBytes);
  const decrypted: IsakmpPayload[][] = [];
  const sealed = (fromInitiator: boolean, header: IsakmpHeaderFields, payloads: IsakmpPayload[], ivIn: Uint8Array) => {
    const enc = encryptIkeBody(cipher, key, ivIn, encodePayloads(payloads));
    const bytes = concat(encodeIsakmpHeader({ ...header, flags: FLAG.ENCRYPTION }, firstPayloadType(payloads), enc.bytes.length), enc.bytes);
    const m = send(fromInitiator, bytes);
    const dec = decryptIkeBody(cipher, key, ivIn, m.encrypted!)!;
    const chain = parsePayloads(m.header.nextPayload, dec.bytes);
    assert.ok(chain.ok, JSON.stringify(chain));
    decrypted.push(chain.value.payloads);
    return { chain: chain.value, nextIv: dec.nextIv };
  };
  // 5: IDii, HASH_I (the responder checks it)
  const idI: IsakmpPayload = { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 500, data: Uint8Array.of(10, 0, 0, 2) } };
  const hI = hashI(h, skeyid, gxi, gxr, ckyI, ckyR, saiB, encodePayloadBody(idI));
  const m5 = sealed(true, hdr(ckyR, MM), [idI, { kind: 'hash', data: hI }], iv);
  assert.deepEqual(findPayload(m5.chain.payloads, 'hash')!.data, hashI(h, skeyid, gxi, gxr, ckyI, ckyR, saiB, m5.chain.bodies[0]!));
  iv = m5.nextIv;
  // 6: IDir, HASH_R (the initiator checks it)
  const idR: IsakmpPayload = { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 500, data: Uint8Array.of(10, 0, 0, 1) } };
  const hR = hashR(h, skeyid, gxi, gxr, ckyI, ckyR, saiB, encodePayloadBody(idR));
  const m6 = sealed(false, hdr(ckyR, MM), [idR, { kind: 'hash', data: hR }], iv);
  assert.deepEqual(findPayload(m6.chain.payloads, 'hash')!.data, hashR(h, skeyid, gxi, gxr, ckyI, ckyR, saiB, m6.chain.bodies[0]!));
  const lastPhase1Block = m6.nextIv;
  // Quick Mode 1: HASH(1), SA (ESP AES-CBC/SHA1, UDP-encapsulated transport), Ni, IDci/IDcr for UDP 1701.
  const messageId = 0x5a5a0001;
  const qmSa: IsakmpPayload = { kind: 'sa', sa: { doi: 1, situation: 1, proposals: [{ proposalNumber: 1, protocolId: PROTO.IPSEC_ESP, spi: rngI.bytes(4), transforms: [
    { transformNumber: 1, transformId: ESP_TRANSFORM.AES_CBC, attributes: [saAttribute(P2_ATTR.KEY_LENGTH, 128), saAttribute(P2_ATTR.AUTHENTICATION_ALGORITHM, P2_AUTH.HMAC_SHA1), saAttribute(P2_ATTR.ENCAPSULATION_MODE, ENCAPSULATION.UDP_TRANSPORT), saAttribute(P2_ATTR.SA_LIFE_TYPE, LIFE_TYPE.SECONDS), saAttribute(P2_ATTR.SA_LIFE_DURATION, 3600)] },
  ] }] } };
  const rest: IsakmpPayload[] = [qmSa, { kind: 'nonce', data: rngI.bytes(16) },
    { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 1701, data: Uint8Array.of(10, 0, 0, 2) } },
    { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 1701, data: Uint8Array.of(10, 0, 0, 1) } }];
  const h1 = quickModeHash1(h, k.a, messageId, encodePayloads(rest));
  const qm = sealed(true, hdr(ckyR, EXCHANGE.QUICK_MODE, 0, messageId), [{ kind: 'hash', data: h1 }, ...rest], phase2Iv(h, lastPhase1Block, messageId, cipher.blockBytes));
  assert.equal(qm.chain.payloads[0]!.kind, 'hash');
  return { messages, initiatorCookie: ckyI, responderCookie: ckyR, encryptionKey: key, decrypted };
}
