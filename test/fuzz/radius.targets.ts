/**
 * RADIUS fuzz targets: the packet codec and attribute decoders, the client
 * machine fed hostile replies, and the mapping of an Access-Accept/Reject
 * (MS-CHAP2-Success, MS-CHAP-Error, MS-MPPE keys, Framed-IP) to a verdict.
 */
import { seededRng } from '../../src/core/rng.js';
import {
  ATTR,
  MS_ATTR,
  RADIUS_CODE,
  RADIUS_MAX_LENGTH,
  VENDOR_MICROSOFT,
  decryptMppeKey,
  encodeRadiusPacket,
  encodeVendorSpecific,
  encryptMppeKey,
  ipv4Attr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  parseVendorSpecific,
  signResponse,
  textAttr,
  unhidePassword,
  verifyResponse,
  type RadiusAttribute,
} from '../../src/radius/codec.js';
import { RadiusClient, type RadiusClientOutput } from '../../src/radius/client.js';
import { accessRequest, authResultFromResponse } from '../../src/radius/auth.js';
import { RADIUS_LAYOUT } from './structure.js';
import { check, type FuzzTarget } from './harness.js';
import { verifyRequests } from './ppp.targets.js';

export const RADIUS_SECRET = 'radius-secret';
const SECRET = RADIUS_SECRET;
const WIRE_CODES = new Set(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED']);
const enc = new TextEncoder();

/** A client with two servers, the first with RADIUS_SECRET; seeded, so its first request is always the same. */
export function radiusClient(): RadiusClient {
  return new RadiusClient({ servers: [{ secret: SECRET }, { secret: 'other' }], timeoutMs: 1000, retries: 1, requireMessageAuthenticator: true }, seededRng(7));
}

/** The first Access-Request a fresh client sends for every captured VerifyRequest. */
export function radiusFirstRequests(): { req: ReturnType<typeof verifyRequests>[number]; bytes: Uint8Array; authenticator: Uint8Array }[] {
  return verifyRequests().map((req) => {
    const parts = accessRequest(req, { nasIdentifier: 'tunppp' });
    const out = radiusClient().handle({ type: 'request', tag: 1, code: RADIUS_CODE.ACCESS_REQUEST, attributes: parts.attributes, ...(parts.password ? { password: parts.password } : {}) }, 0);
    const s = out.find((o) => o.kind === 'send');
    const bytes = s?.kind === 'send' ? s.bytes : new Uint8Array(0);
    return { req, bytes, authenticator: bytes.subarray(4, 20) };
  });
}

function ms(type: number, value: Uint8Array): RadiusAttribute {
  return encodeVendorSpecific({ vendorId: VENDOR_MICROSOFT, vendorType: type, value });
}

let replyCache: Uint8Array[] | undefined;
/** Correctly signed replies of every kind (Accept, Reject, Challenge) to each first request, in request order. */
export function radiusReplySeeds(): Uint8Array[] {
  if (replyCache) return replyCache;
  const out: Uint8Array[] = [];
  for (const { bytes, authenticator } of radiusFirstRequests()) {
    if (bytes.length < 20) continue;
    const id = bytes[1]!;
    const key = new Uint8Array(16).fill(9);
    const sets: [number, RadiusAttribute[]][] = [
      [RADIUS_CODE.ACCESS_ACCEPT, [
        messageAuthenticatorPlaceholder(),
        ms(MS_ATTR.MS_CHAP2_SUCCESS, Uint8Array.of(1, ...enc.encode('S=0123456789ABCDEF0123456789ABCDEF01234567'))),
        ms(MS_ATTR.MS_MPPE_SEND_KEY, encryptMppeKey(key, SECRET, authenticator, 0x8001)),
        ms(MS_ATTR.MS_MPPE_RECV_KEY, encryptMppeKey(key, SECRET, authenticator, 0x8002)),
        ipv4Attr(ATTR.FRAMED_IP_ADDRESS, '10.9.0.7'),
        textAttr(ATTR.REPLY_MESSAGE, 'welcome'),
        textAttr(ATTR.CLASS, 'c1'),
      ]],
      [RADIUS_CODE.ACCESS_REJECT, [messageAuthenticatorPlaceholder(), ms(MS_ATTR.MS_CHAP_ERROR, Uint8Array.of(1, ...enc.encode('E=691 R=0 V=3'))), textAttr(ATTR.REPLY_MESSAGE, 'no')]],
      [RADIUS_CODE.ACCESS_CHALLENGE, [messageAuthenticatorPlaceholder(), textAttr(ATTR.REPLY_MESSAGE, 'more')]],
    ];
    for (const [code, attributes] of sets) {
      out.push(signResponse(encodeRadiusPacket({ code, identifier: id, authenticator: new Uint8Array(16), attributes }), authenticator, SECRET));
    }
  }
  replyCache = out;
  return out;
}

function checkClientOutputs(outs: readonly RadiusClientOutput[]): void {
  check(outs.length <= 8, `radius client: ${outs.length} outputs`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= RADIUS_MAX_LENGTH, 'radius client sent an oversized packet');
}

/** Every RADIUS target. */
export const radiusTargets: FuzzTarget[] = [
  {
    name: 'radius/codec',
    seeds: radiusReplySeeds,
    layout: RADIUS_LAYOUT,
    maxPackets: 1,
    maxBytes: 4200,
    run([b]) {
      const r = parseRadiusPacket(b!);
      const auth = new Uint8Array(16);
      verifyResponse(b!, auth, SECRET);
      if (!r.ok) {
        check(WIRE_CODES.has(r.error.code), 'bad error code');
        return;
      }
      check(r.bytesRead <= b!.length, 'bytesRead past the input');
      for (const a of r.value.attributes) {
        check(a.value.length <= 253, 'attribute value over 253 octets');
        if (a.type === ATTR.VENDOR_SPECIFIC) {
          const v = parseVendorSpecific(a.value);
          if (v.ok) for (const x of v.value) decryptMppeKey(x.value, SECRET, auth);
        }
        unhidePassword(a.value, SECRET, auth);
      }
    },
  },
  {
    name: 'radius/client',
    seeds: radiusReplySeeds,
    layout: RADIUS_LAYOUT,
    maxPackets: 8,
    maxBytes: 4200,
    run(replies) {
      const reqs = radiusFirstRequests();
      const which = reqs[replies.length % Math.max(1, reqs.length)];
      const c = radiusClient();
      const parts = which ? accessRequest(which.req, { nasIdentifier: 'tunppp' }) : { attributes: [textAttr(ATTR.USER_NAME, 'u')] };
      let now = 0;
      checkClientOutputs(c.handle({ type: 'request', tag: 1, code: RADIUS_CODE.ACCESS_REQUEST, attributes: parts.attributes }, now));
      let answered = 0;
      for (const r of replies) {
        now += 10;
        const outs = c.handle({ type: 'response', server: r.length % 3, bytes: r }, now);
        checkClientOutputs(outs);
        for (const o of outs) {
          if (o.kind !== 'event' || o.event.type !== 'response') continue;
          answered++;
          if (which) authResultFromResponse(which.req, o.event.packet, o.event.secret, o.event.requestAuthenticator);
        }
        if (r.length % 4 === 0) checkClientOutputs(c.handle({ type: 'timeout' }, (now = Math.max(now, c.nextDeadline() ?? now))));
      }
      check(answered <= 1, 'one request answered twice');
      check(c.outstanding <= 1, 'requests leaked');
    },
  },
  {
    name: 'radius/reply-mapping',
    seeds: radiusReplySeeds,
    layout: RADIUS_LAYOUT,
    maxPackets: 1,
    maxBytes: 4200,
    run([b]) {
      // A server that holds the secret but sends hostile content: the mapping must not throw either.
      const p = parseRadiusPacket(b!);
      if (!p.ok) return;
      for (const { req, authenticator } of radiusFirstRequests()) {
        const r = authResultFromResponse(req, p.value, SECRET, authenticator);
        check(typeof r === 'object' && r !== null, 'no result');
      }
    },
  },
];
