/**
 * Phase 1 proposal choice (RFC 2409 §5, RFC 2408 §4.2): the responder walks
 * the initiator's transforms in the initiator's order and takes the first
 * one our allow-list admits, with pre-shared key authentication and a
 * lifetime in seconds clamped to our bounds. The reply echoes the chosen
 * transform as offered (Windows compares it attribute by attribute); a
 * shorter local lifetime is kept locally, as charon and pluto do.
 *
 * Names follow ipsec.conf's `ike=` syntax (`aes256-sha1-modp2048`) so a
 * "no proposal chosen" log line can be compared with the config directly.
 */
import { KEY_IKE, LIFE_TYPE, P1_ATTR, P1_AUTH, P1_ENCR, P1_HASH, PROTO, SIT_IDENTITY_ONLY, DOI_IPSEC } from './constants.js';
import { dhGroup } from './dh.js';
import { ikeCipher, type IkeCipher } from './ikev1-cipher.js';
import { ikeHashFromAttribute, type IkeHash } from './ikev1-keys.js';
import { findAttribute, saAttribute, type SaPayload, type Transform } from './sa-payload.js';

/** One admitted Phase 1 combination. */
export interface Phase1Suite {
  /** P1_ENCR value. */
  encryption: number;
  /** AES key length in bits; undefined for 3DES. */
  keyLengthBits?: number;
  /** P1_HASH value. */
  hash: number;
  /** DH group number. */
  group: number;
}

/**
 * The default allow-list, strongest first (the initiator's order decides on
 * the responder side): AES-256/128 with SHA2 and SHA1 over ECP384, ECP256,
 * MODP2048 and MODP1536, covering the Windows, macOS/iOS and ChromeOS
 * families; then the weak families old Android needs (MODP1024, 3DES), which
 * the log names as weak. MD5 only when configured.
 */
export const DEFAULT_PHASE1_SUITES: readonly Phase1Suite[] = (() => {
  const out: Phase1Suite[] = [];
  for (const group of [20, 19, 14, 5, 2]) {
    for (const keyLengthBits of [256, 128]) {
      for (const hash of [P1_HASH.SHA2_256, P1_HASH.SHA2_384, P1_HASH.SHA2_512, P1_HASH.SHA1]) out.push({ encryption: P1_ENCR.AES_CBC, keyLengthBits, hash, group });
    }
  }
  for (const group of [14, 5, 2]) out.push({ encryption: P1_ENCR['3DES_CBC'], hash: P1_HASH.SHA1, group });
  return out;
})();

/** What Phase 1 negotiated. */
export interface Phase1Choice {
  suite: Phase1Suite;
  cipher: IkeCipher;
  hash: IkeHash;
  group: number;
  /** Lifetime we enforce: the proposed one clamped to our bounds. */
  lifetimeSeconds: number;
  /** The initiator's proposal and transform numbers, for the reply. */
  proposalNumber: number;
  transform: Transform;
  /** True when the suite has a weak part (MODP1024, 3DES, MD5): the caller logs it. */
  weak: boolean;
}

/** Lifetime bounds and the allow-list. */
export interface Phase1Policy {
  suites: readonly Phase1Suite[];
  /** Lifetime when the peer proposes none (RFC 2407 §4.5 default for Phase 2 is 28800 s; we use it for Phase 1 too). */
  defaultLifetimeSeconds: number;
  minLifetimeSeconds: number;
  maxLifetimeSeconds: number;
}

/** Defaults in line with charon's (ikelifetime 3h, margin) and Windows' 8 h proposals. */
export const DEFAULT_PHASE1_POLICY: Phase1Policy = {
  suites: DEFAULT_PHASE1_SUITES,
  defaultLifetimeSeconds: 28800,
  minLifetimeSeconds: 300,
  maxLifetimeSeconds: 86400,
};

/** `aes256-sha1-modp2048` style name of a suite. */
export function phase1SuiteName(s: Phase1Suite): string {
  const enc = s.encryption === P1_ENCR.AES_CBC ? `aes${s.keyLengthBits ?? 128}` : s.encryption === P1_ENCR['3DES_CBC'] ? '3des' : `encr${s.encryption}`;
  const hash = { [P1_HASH.MD5]: 'md5', [P1_HASH.SHA1]: 'sha1', [P1_HASH.SHA2_256]: 'sha256', [P1_HASH.SHA2_384]: 'sha384', [P1_HASH.SHA2_512]: 'sha512' }[s.hash] ?? `hash${s.hash}`;
  return `${enc}-${hash}-${dhGroup(s.group)?.name ?? `group${s.group}`}`;
}

/** A transform's attributes read as a suite, or why it is not one (for the "offered" log). */
function readTransform(t: Transform): { suite: Phase1Suite; auth: number | undefined; lifetime: number | undefined; lifeTypeOk: boolean } {
  const a = t.attributes;
  const keyLengthBits = findAttribute(a, P1_ATTR.KEY_LENGTH);
  const suite: Phase1Suite = {
    encryption: findAttribute(a, P1_ATTR.ENCRYPTION_ALGORITHM) ?? 0,
    hash: findAttribute(a, P1_ATTR.HASH_ALGORITHM) ?? 0,
    group: findAttribute(a, P1_ATTR.GROUP_DESCRIPTION) ?? 0,
    ...(keyLengthBits !== undefined ? { keyLengthBits } : {}),
  };
  // Life type/duration come in pairs (RFC 2409 Appendix A); only seconds bound our SA, kilobytes are ignored.
  let lifetime: number | undefined;
  let lifeTypeOk = true;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.type !== P1_ATTR.LIFE_TYPE) continue;
    const type = findAttribute([a[i]!], P1_ATTR.LIFE_TYPE);
    const next = a[i + 1];
    const dur = next && next.type === P1_ATTR.LIFE_DURATION ? findAttribute([next], P1_ATTR.LIFE_DURATION) : undefined;
    if (type === LIFE_TYPE.SECONDS) lifetime = dur;
    else if (type !== LIFE_TYPE.KILOBYTES) lifeTypeOk = false;
  }
  return { suite, auth: findAttribute(a, P1_ATTR.AUTHENTICATION_METHOD), lifetime, lifeTypeOk };
}

function sameSuite(a: Phase1Suite, b: Phase1Suite): boolean {
  // RFC 3602 §5.3: an AES transform without Key Length means 128 bits.
  const ka = a.encryption === P1_ENCR.AES_CBC ? (a.keyLengthBits ?? 128) : a.keyLengthBits;
  const kb = b.encryption === P1_ENCR.AES_CBC ? (b.keyLengthBits ?? 128) : b.keyLengthBits;
  return a.encryption === b.encryption && ka === kb && a.hash === b.hash && a.group === b.group;
}

/** The result of `selectPhase1`. */
export type Phase1Selection =
  | { ok: true; choice: Phase1Choice }
  | { ok: false; reason: 'no-proposal-chosen'; offered: string[] };

/**
 * Picks the first admissible transform of the initiator's SA (RFC 2409 §5:
 * Phase 1 has one proposal of protocol ISAKMP, each transform KEY_IKE). The
 * refusal lists what the peer offered, in ipsec.conf words, with the
 * authentication method when it is not PSK (XAUTH, RSA).
 */
export function selectPhase1(sa: SaPayload, policy: Phase1Policy): Phase1Selection {
  const offered: string[] = [];
  for (const p of sa.proposals) {
    if (p.protocolId !== PROTO.ISAKMP) continue;
    for (const t of p.transforms) {
      if (t.transformId !== KEY_IKE) {
        offered.push(`transform-id-${t.transformId}`);
        continue;
      }
      const r = readTransform(t);
      const name = phase1SuiteName(r.suite);
      if (r.auth !== P1_AUTH.PRE_SHARED_KEY) {
        offered.push(`${name} (auth ${r.auth === P1_AUTH.XAUTH_INIT_PSK ? 'xauth-psk' : r.auth === P1_AUTH.RSA_SIG ? 'rsasig' : String(r.auth)})`);
        continue;
      }
      offered.push(name);
      if (!r.lifeTypeOk) continue;
      const allowed = policy.suites.find((s) => sameSuite(s, r.suite));
      const cipher = ikeCipher(r.suite.encryption, r.suite.keyLengthBits);
      const hash = ikeHashFromAttribute(r.suite.hash);
      const group = dhGroup(r.suite.group);
      if (!allowed || !cipher || !hash || !group) continue;
      const proposed = r.lifetime ?? policy.defaultLifetimeSeconds;
      const lifetimeSeconds = Math.min(policy.maxLifetimeSeconds, Math.max(policy.minLifetimeSeconds, proposed));
      return {
        ok: true,
        choice: { suite: r.suite, cipher, hash, group: r.suite.group, lifetimeSeconds, proposalNumber: p.proposalNumber, transform: t, weak: cipher.weak || group.weak || hash === 'md5' },
      };
    }
  }
  return { ok: false, reason: 'no-proposal-chosen', offered };
}

/** The SA payload an initiator sends: one ISAKMP proposal with a transform per suite, PSK, `lifetimeSeconds`. */
export function phase1Offer(suites: readonly Phase1Suite[], lifetimeSeconds: number): SaPayload {
  return {
    doi: DOI_IPSEC,
    situation: SIT_IDENTITY_ONLY,
    proposals: [{
      proposalNumber: 1,
      protocolId: PROTO.ISAKMP,
      spi: new Uint8Array(0),
      transforms: suites.map((s, i) => ({
        transformNumber: i + 1,
        transformId: KEY_IKE,
        attributes: [
          saAttribute(P1_ATTR.ENCRYPTION_ALGORITHM, s.encryption),
          ...(s.keyLengthBits !== undefined ? [saAttribute(P1_ATTR.KEY_LENGTH, s.keyLengthBits)] : []),
          saAttribute(P1_ATTR.HASH_ALGORITHM, s.hash),
          saAttribute(P1_ATTR.AUTHENTICATION_METHOD, P1_AUTH.PRE_SHARED_KEY),
          saAttribute(P1_ATTR.GROUP_DESCRIPTION, s.group),
          saAttribute(P1_ATTR.LIFE_TYPE, LIFE_TYPE.SECONDS),
          saAttribute(P1_ATTR.LIFE_DURATION, lifetimeSeconds),
        ],
      })),
    }],
  };
}

/** The responder's SA payload: the initiator's chosen transform, echoed in a single proposal. */
export function phase1Answer(choice: Phase1Choice): SaPayload {
  return { doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY, proposals: [{ proposalNumber: choice.proposalNumber, protocolId: PROTO.ISAKMP, spi: new Uint8Array(0), transforms: [choice.transform] }] };
}
