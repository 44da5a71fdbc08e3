/**
 * Quick Mode proposal choice for ESP (RFC 2409 §5.5, RFC 2407 §4.5): the
 * responder takes the first single-protocol ESP proposal whose transform our
 * allow-list admits, in transport mode (plain, or UDP-encapsulated when NAT-T
 * is in use: RFC 3947 numbers 4, draft numbers 61444), with PFS as the
 * policy says, and clamps the lifetime. AH, IPComp and protocol bundles
 * (several proposals with one number, RFC 2408 §4.2) are not offered by the
 * clients we serve and are skipped. The reply echoes the chosen proposal's
 * transform with our SPI.
 */
import { DOI_IPSEC, ENCAPSULATION, ESP_TRANSFORM, LIFE_TYPE, P2_ATTR, P2_AUTH, PROTO, SIT_IDENTITY_ONLY } from './constants.js';
import { dhGroup } from './dh.js';
import { espSuite, type EspSuite, type EspSuiteOptions } from './esp.js';
import { findAttribute, saAttribute, type SaAttribute, type SaPayload, type Transform } from './sa-payload.js';

/** One admitted ESP combination. */
export interface EspProposalSuite {
  transformId: number;
  keyLengthBits?: number;
  /** P2_AUTH value; undefined for GCM. */
  auth?: number;
}

/** The default ESP allow-list: AES-GCM-16 (ChromeOS), AES-CBC with SHA2-512/384/256 and SHA1, 3DES-SHA1 (old clients, weak). */
export const DEFAULT_ESP_SUITES: readonly EspProposalSuite[] = [
  { transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: 256 },
  { transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: 128 },
  { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 256, auth: P2_AUTH.HMAC_SHA2_512 },
  { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 256, auth: P2_AUTH.HMAC_SHA2_384 },
  { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 256, auth: P2_AUTH.HMAC_SHA2_256 },
  { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 128, auth: P2_AUTH.HMAC_SHA2_256 },
  { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 256, auth: P2_AUTH.HMAC_SHA1 },
  { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 128, auth: P2_AUTH.HMAC_SHA1 },
  { transformId: ESP_TRANSFORM['3DES'], auth: P2_AUTH.HMAC_SHA1 },
];

/** Quick Mode policy. */
export interface EspPolicy {
  suites: readonly EspProposalSuite[];
  /** DH groups admitted for PFS. */
  pfsGroups: readonly number[];
  /** 'require': refuse proposals without PFS; 'allow': take either. */
  pfs: 'allow' | 'require';
  defaultLifetimeSeconds: number;
  minLifetimeSeconds: number;
  maxLifetimeSeconds: number;
  suiteOptions?: EspSuiteOptions;
}

/** Defaults: RFC 2407 §4.5's 28800 s when none is proposed, clamped to 5 min..8 h. */
export const DEFAULT_ESP_POLICY: EspPolicy = {
  suites: DEFAULT_ESP_SUITES,
  pfsGroups: [20, 19, 14, 5, 2],
  pfs: 'allow',
  defaultLifetimeSeconds: 28800,
  minLifetimeSeconds: 300,
  maxLifetimeSeconds: 28800,
};

/** What Quick Mode negotiated. */
export interface EspChoice {
  suite: EspSuite;
  /** The peer's SPI for the SA we send on. */
  peerSpi: Uint8Array;
  /** The ENCAPSULATION value agreed (transport or a UDP-transport form). */
  encapsulation: number;
  /** DH group for PFS, or undefined without PFS. */
  pfsGroup: number | undefined;
  lifetimeSeconds: number;
  lifetimeKilobytes: number | undefined;
  proposalNumber: number;
  transform: Transform;
}

/** `aes128-sha1`, `aes256gcm16`, with `-modp2048` for PFS: ipsec.conf `esp=` words. */
export function espChoiceName(c: Pick<EspChoice, 'suite' | 'pfsGroup'>): string {
  return c.pfsGroup === undefined ? c.suite.name : `${c.suite.name}-${dhGroup(c.pfsGroup)?.name ?? `group${c.pfsGroup}`}`;
}

/** Result of `selectEsp`. */
export type EspSelection = { ok: true; choice: EspChoice } | { ok: false; reason: 'no-proposal-chosen'; offered: string[] };

function sameEspSuite(a: EspProposalSuite, transformId: number, keyLengthBits: number | undefined, auth: number | undefined): boolean {
  const ka = a.transformId === ESP_TRANSFORM['3DES'] ? undefined : (a.keyLengthBits ?? 128);
  const kb = transformId === ESP_TRANSFORM['3DES'] ? keyLengthBits : (keyLengthBits ?? 128);
  return a.transformId === transformId && ka === kb && a.auth === auth;
}

/**
 * Picks the ESP transform. `natT` is the variant in use (undefined without
 * NAT-T): it decides which encapsulation modes are transport.
 */
export function selectEsp(sa: SaPayload, policy: EspPolicy, natT: 'rfc3947' | 'draft' | undefined): EspSelection {
  const offered: string[] = [];
  const counts = new Map<number, number>();
  for (const p of sa.proposals) counts.set(p.proposalNumber, (counts.get(p.proposalNumber) ?? 0) + 1);
  for (const p of sa.proposals) {
    if (p.protocolId !== PROTO.IPSEC_ESP || p.spi.length !== 4) {
      offered.push(`protocol-${p.protocolId}`);
      continue;
    }
    if (counts.get(p.proposalNumber)! > 1) {
      offered.push('bundle');
      continue;
    }
    for (const t of p.transforms) {
      const a = t.attributes;
      const keyLengthBits = findAttribute(a, P2_ATTR.KEY_LENGTH);
      const auth = findAttribute(a, P2_ATTR.AUTHENTICATION_ALGORITHM);
      const pfsGroup = findAttribute(a, P2_ATTR.GROUP_DESCRIPTION);
      const mode = findAttribute(a, P2_ATTR.ENCAPSULATION_MODE) ?? ENCAPSULATION.TUNNEL;
      const suite = espSuite(t.transformId, keyLengthBits, auth, policy.suiteOptions);
      const name = suite ? espChoiceName({ suite, pfsGroup }) : `esp-transform-${t.transformId}`;
      const modeOk = natT === undefined ? mode === ENCAPSULATION.TRANSPORT : mode === (natT === 'rfc3947' ? ENCAPSULATION.UDP_TRANSPORT : ENCAPSULATION.UDP_TRANSPORT_DRAFT);
      offered.push(modeOk ? name : `${name} (mode ${mode})`);
      if (!suite || !modeOk || !policy.suites.some((s) => sameEspSuite(s, t.transformId, keyLengthBits, auth))) continue;
      if (pfsGroup !== undefined ? !policy.pfsGroups.includes(pfsGroup) || !dhGroup(pfsGroup) : policy.pfs === 'require') continue;
      const life = lifetimes(a);
      if (!life) continue;
      const lifetimeSeconds = Math.min(policy.maxLifetimeSeconds, Math.max(policy.minLifetimeSeconds, life.seconds ?? policy.defaultLifetimeSeconds));
      return { ok: true, choice: { suite, peerSpi: p.spi, encapsulation: mode, pfsGroup, lifetimeSeconds, lifetimeKilobytes: life.kilobytes, proposalNumber: p.proposalNumber, transform: t } };
    }
  }
  return { ok: false, reason: 'no-proposal-chosen', offered };
}

/** SA Life Type/Duration pairs (RFC 2407 §4.5); undefined for an unknown life type. */
function lifetimes(a: readonly SaAttribute[]): { seconds: number | undefined; kilobytes: number | undefined } | undefined {
  let seconds: number | undefined;
  let kilobytes: number | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.type !== P2_ATTR.SA_LIFE_TYPE) continue;
    const type = findAttribute([a[i]!], P2_ATTR.SA_LIFE_TYPE);
    const next = a[i + 1];
    const dur = next && next.type === P2_ATTR.SA_LIFE_DURATION ? findAttribute([next], P2_ATTR.SA_LIFE_DURATION) : undefined;
    if (type === LIFE_TYPE.SECONDS) seconds = dur;
    else if (type === LIFE_TYPE.KILOBYTES) kilobytes = dur;
    else return undefined;
  }
  return { seconds, kilobytes };
}

/** The responder's SA payload: the chosen transform with our SPI. */
export function espAnswer(choice: EspChoice, ourSpi: Uint8Array): SaPayload {
  return { doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY, proposals: [{ proposalNumber: choice.proposalNumber, protocolId: PROTO.IPSEC_ESP, spi: ourSpi, transforms: [choice.transform] }] };
}

/** The initiator's SA payload: one ESP proposal with a transform per suite. */
export function espOffer(suites: readonly EspProposalSuite[], ourSpi: Uint8Array, encapsulation: number, lifetimeSeconds: number, pfsGroup: number | undefined): SaPayload {
  return {
    doi: DOI_IPSEC,
    situation: SIT_IDENTITY_ONLY,
    proposals: [{
      proposalNumber: 1,
      protocolId: PROTO.IPSEC_ESP,
      spi: ourSpi,
      transforms: suites.map((s, i) => ({
        transformNumber: i + 1,
        transformId: s.transformId,
        attributes: [
          ...(s.keyLengthBits !== undefined ? [saAttribute(P2_ATTR.KEY_LENGTH, s.keyLengthBits)] : []),
          ...(s.auth !== undefined ? [saAttribute(P2_ATTR.AUTHENTICATION_ALGORITHM, s.auth)] : []),
          saAttribute(P2_ATTR.ENCAPSULATION_MODE, encapsulation),
          ...(pfsGroup !== undefined ? [saAttribute(P2_ATTR.GROUP_DESCRIPTION, pfsGroup)] : []),
          saAttribute(P2_ATTR.SA_LIFE_TYPE, LIFE_TYPE.SECONDS),
          saAttribute(P2_ATTR.SA_LIFE_DURATION, lifetimeSeconds),
        ],
      })),
    }],
  };
}
