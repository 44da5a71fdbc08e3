/**
 * RADIUS codec cost per authentication: building and signing an MS-CHAPv2
 * Access-Request through the client machine, and verifying and mapping the
 * Access-Accept (Response Authenticator, Message-Authenticator, MS-MPPE key
 * decryption). Shows how many logins per second one core can push through
 * the RADIUS path before the server is the limit.
 */
import { seededRng } from '../../src/core/rng.js';
import { generateNtResponse, utf8 } from '../../src/ppp/auth/mschap.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { accessRequest, authResultFromResponse } from '../../src/radius/auth.js';
import { RadiusClient } from '../../src/radius/client.js';
import {
  MS_ATTR,
  VENDOR_MICROSOFT,
  encodeRadiusPacket,
  encodeVendorSpecific,
  encryptMppeKey,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signResponse,
} from '../../src/radius/codec.js';
import { opsPerSecond, type BenchCase } from '../types.js';

const SECRET = 'bench-secret';

export const benchmarks: BenchCase[] = [
  {
    name: 'radius',
    async run() {
      const ac = new Uint8Array(16).fill(1);
      const pc = new Uint8Array(16).fill(2);
      const req: VerifyRequest = {
        requestId: 1, protocol: 'mschap-v2', username: 'user', usernameBytes: utf8('user'), authenticatorName: 'tunppp',
        proof: { protocol: 'mschap-v2', authenticatorChallenge: ac, peerChallenge: pc, ntResponse: generateNtResponse(ac, pc, utf8('user'), 'pw'), flags: 0 },
      };
      const nas = { nasIdentifier: 'bench', nasPort: 1, callingStationId: '192.0.2.1', acctSessionId: 'X-1' };
      const client = new RadiusClient({ servers: [{ secret: SECRET }], timeoutMs: 1000, retries: 1 }, seededRng(1));
      let tag = 0;
      let last: Uint8Array = new Uint8Array(0);
      const build = opsPerSecond(() => {
        const out = client.handle({ type: 'request', tag: ++tag, code: 1, attributes: accessRequest(req, nas).attributes }, 0);
        const s = out[0];
        if (s?.kind === 'send') last = s.bytes;
        client.handle({ type: 'cancel', tag }, 0);
      });
      const parsed = parseRadiusPacket(last);
      if (!parsed.ok) throw new Error('bench request did not parse');
      const auth = parsed.value.authenticator;
      const ms = (t: number, v: Uint8Array) => encodeVendorSpecific({ vendorId: VENDOR_MICROSOFT, vendorType: t, value: v });
      const accept = signResponse(encodeRadiusPacket({
        code: 2, identifier: parsed.value.identifier, authenticator: new Uint8Array(16),
        attributes: [
          messageAuthenticatorPlaceholder(),
          ms(MS_ATTR.MS_CHAP2_SUCCESS, Uint8Array.of(1, ...utf8('S=407A5589115FD0D6209F510FE9C04566932CDA56'))),
          ms(MS_ATTR.MS_MPPE_SEND_KEY, encryptMppeKey(new Uint8Array(16).fill(7), SECRET, auth, 0x8001)),
          ms(MS_ATTR.MS_MPPE_RECV_KEY, encryptMppeKey(new Uint8Array(16).fill(8), SECRET, auth, 0x8002)),
        ],
      }), auth, SECRET);
      const check = opsPerSecond(() => {
        const t = ++tag;
        const out = client.handle({ type: 'request', tag: t, code: 1, attributes: [] }, 0);
        // Answer with the prepared Accept re-signed for this request's id and authenticator.
        const s = out[0];
        if (s?.kind !== 'send') return;
        const a = accept.slice();
        a[1] = s.bytes[1]!;
        signResponse(a, s.bytes.subarray(4, 20), SECRET);
        const r = client.handle({ type: 'response', server: 0, bytes: a }, 0);
        const e = r.find((o) => o.kind === 'event');
        if (e?.kind === 'event' && e.event.type === 'response') authResultFromResponse(req, e.event.packet, e.event.secret, e.event.requestAuthenticator);
      });
      return [
        { bench: 'radius', metric: 'MS-CHAPv2 Access-Request build+sign', value: Math.round(build), unit: 'ops/s' },
        { bench: 'radius', metric: 'Accept sign+verify+map (keys, S=)', value: Math.round(check), unit: 'ops/s', note: 'includes one request build and the server-side re-sign' },
      ];
    },
  },
];
