/**
 * The local verifier: checks a `VerifyRequest` against a known plaintext
 * secret (chap-secrets) and returns the verdict the server machine needs,
 * including MPPE key material and, for MS-CHAPv2, the authenticator response.
 * Pure: no I/O, no state; the secret is only used inside the call. JS strings
 * cannot be wiped, so the caller should not keep the secret around either;
 * the NT password hash derived from it is zeroed before returning.
 *
 * RADIUS is the other backend: it returns the same `AuthVerdict` shape with
 * keys from MS-MPPE-Send/Recv-Key (`start-keys` material).
 */
import type { AuthBackend, AuthVerdict, VerifyRequest } from './types.js';
import { MSCHAP_ERROR } from './types.js';
import {
  challengeResponse,
  chapMd5Response,
  constantTimeEqual,
  generateAuthenticatorResponseFromHashHash,
  generateNtResponseFromHash,
  hashNtPasswordHash,
  lmPasswordHash,
  hasLmResponse,
  msChapV1KeyMaterial,
  msChapV2KeyMaterial,
  ntPasswordHash,
  utf8,
} from './mschap.js';

const REJECT: AuthVerdict = { ok: false, code: MSCHAP_ERROR.AUTHENTICATION_FAILURE };

/**
 * Verifies the proof in `request` against `secret` (the password). Returns a
 * success verdict with key material (MS-CHAP) and the S= string (MS-CHAPv2),
 * or a failure with code 691. Malformed proofs (wrong sizes) are failures.
 */
export function verifyWithSecret(request: VerifyRequest, secret: string): AuthVerdict {
  const p = request.proof;
  switch (p.protocol) {
    case 'pap':
      return constantTimeEqual(p.password, utf8(secret)) ? { ok: true } : REJECT;
    case 'chap-md5':
      return constantTimeEqual(p.response, chapMd5Response(p.identifier, utf8(secret), p.challenge)) ? { ok: true } : REJECT;
    case 'mschap-v1': {
      if (p.challenge.length !== 8 || p.ntResponse.length !== 24 || p.lmResponse.length !== 24) return REJECT;
      let good: boolean;
      if (p.useNtResponse) {
        const hash = ntPasswordHash(secret);
        good = constantTimeEqual(p.ntResponse, challengeResponse(p.challenge, hash));
        hash.fill(0);
      } else {
        // RFC 2433 §6: flag 0 means only the LAN Manager response counts.
        const lm = lmPasswordHash(secret);
        good = lm !== undefined && constantTimeEqual(p.lmResponse, challengeResponse(p.challenge, lm));
      }
      // 40/56-bit MPPE keys: from the LM hash only for a peer that sent an LM response (Windows, RFC 3079 §2.1);
      // pppd zero-fills it and derives them from the NT hash (pppd/mppe.c mppe_set_chapv1).
      return good ? { ok: true, keyMaterial: msChapV1KeyMaterial(p.challenge, secret, hasLmResponse(p.lmResponse)) } : REJECT;
    }
    case 'mschap-v2': {
      if (p.authenticatorChallenge.length !== 16 || p.peerChallenge.length !== 16 || p.ntResponse.length !== 24) return REJECT;
      const hash = ntPasswordHash(secret);
      const expected = generateNtResponseFromHash(p.authenticatorChallenge, p.peerChallenge, request.usernameBytes, hash);
      if (!constantTimeEqual(p.ntResponse, expected)) {
        hash.fill(0);
        return REJECT;
      }
      const hashHash = hashNtPasswordHash(hash);
      hash.fill(0);
      return {
        ok: true,
        keyMaterial: msChapV2KeyMaterial(hashHash, p.ntResponse),
        authenticatorResponse: generateAuthenticatorResponseFromHashHash(
          hashHash, p.ntResponse, p.peerChallenge, p.authenticatorChallenge, request.usernameBytes),
      };
    }
  }
}

/**
 * A backend over plaintext secrets (chap-secrets): `lookup` returns the
 * secret for a peer name and our authenticator name, or undefined for an
 * unknown user, which fails exactly like a wrong password (no user probing).
 */
export function secretBackend(lookup: (username: string, authenticatorName: string) => string | undefined): AuthBackend {
  return {
    verify(request: VerifyRequest): AuthVerdict {
      const secret = lookup(request.username, request.authenticatorName);
      return secret === undefined ? REJECT : verifyWithSecret(request, secret);
    },
  };
}
