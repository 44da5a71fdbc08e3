/**
 * An ESP SA pair negotiated by Quick Mode (RFC 2409 §5.5): the keys of each
 * direction from KEYMAT, and the L2TP traffic selector rule.
 *
 * KEYMAT is computed once per SPI: the inbound SA is keyed with the SPI we
 * chose (the one the peer sends to), the outbound one with the peer's.
 *
 * Traffic selectors: L2TP/IPsec protects UDP 1701 between the two hosts in
 * transport mode, so IDci/IDcr must be single IPv4 addresses with protocol
 * UDP, the server's port 1701 and the client's 1701 or 0 (any: some clients
 * send from another port). An address must be the one the IKE packets use,
 * except on the side behind a NAT, where it is the private original
 * address (RFC 3947 §5.2). Anything else is refused with the reason, never
 * narrowed: the SA would otherwise carry traffic the L2TP service does not
 * expect.
 */
import type { IdPayload } from './isakmp.js';
import { ID_TYPE, PROTO } from './constants.js';
import { espKeymatBytes, espKeysFromKeymat, type EspSaKeys } from './esp.js';
import type { EspChoice } from './esp-proposals.js';
import { keymat } from './ikev1-keys.js';
import type { Endpoint, Phase1Sa } from './phase1-sa.js';
import { get32 } from './bytes.js';

/** The L2TP port. */
export const L2TP_PORT = 1701;
const UDP = 17;

/** An established ESP SA pair. */
export interface ChildSa {
  choice: EspChoice;
  inbound: EspSaKeys;
  outbound: EspSaKeys;
  /** IDci and IDcr as negotiated. */
  initiatorId: IdPayload;
  responderId: IdPayload;
  /** NAT-OA original addresses (RFC 3947 §5.2), when sent: for fixing up inner UDP checksums. */
  natOa: Uint8Array[];
  /** True when ESP travels in UDP 4500 (RFC 3948). */
  udpEncapsulated: boolean;
}

/**
 * Keys of both directions (RFC 2409 §5.5): KEYMAT with the protocol, the SA's
 * own SPI, Ni_b, Nr_b, and the Quick Mode DH secret with PFS.
 */
export function childSaKeys(p1: Phase1Sa, choice: EspChoice, ourSpi: Uint8Array, niB: Uint8Array, nrB: Uint8Array, gqmxy: Uint8Array | undefined): { inbound: EspSaKeys; outbound: EspSaKeys } {
  const n = espKeymatBytes(choice.suite);
  const km = (spi: Uint8Array) => keymat(p1.choice.hash, p1.keys.d, PROTO.IPSEC_ESP, spi, niB, nrB, n, gqmxy);
  return {
    inbound: espKeysFromKeymat(get32(ourSpi, 0), choice.suite, km(ourSpi)),
    outbound: espKeysFromKeymat(get32(choice.peerSpi, 0), choice.suite, km(choice.peerSpi)),
  };
}

/** What the selector check needs to know about the IKE path. */
export interface SelectorContext {
  local: Endpoint;
  remote: Endpoint;
  localBehindNat: boolean;
  peerBehindNat: boolean;
  /** Which side is the L2TP server (port 1701 required there). */
  server: 'us' | 'peer';
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function show(id: IdPayload): string {
  const addr = id.idType === ID_TYPE.IPV4_ADDR && id.data.length === 4 ? Array.from(id.data).join('.') : `id-type-${id.idType}`;
  return `${addr}[${id.protocolId}/${id.port}]`;
}

/**
 * Undefined when `ours`/`theirs` are acceptable L2TP transport selectors,
 * else the reason in the words of the log ("TS unacceptable: ...").
 */
export function l2tpSelectorProblem(ours: IdPayload | undefined, theirs: IdPayload | undefined, ctx: SelectorContext): string | undefined {
  if (!ours || !theirs) return 'no traffic selectors (IDci/IDcr) sent; L2TP/IPsec needs UDP 1701 between the two hosts';
  for (const [id, side] of [[ours, 'local'], [theirs, 'remote']] as const) {
    if (id.idType !== ID_TYPE.IPV4_ADDR || id.data.length !== 4) return `${side} selector ${show(id)} is not a single IPv4 address`;
    if (id.protocolId !== UDP) return `${side} selector ${show(id)} is not UDP`;
  }
  const serverId = ctx.server === 'us' ? ours : theirs;
  const clientId = ctx.server === 'us' ? theirs : ours;
  if (serverId.port !== L2TP_PORT) return `server selector ${show(serverId)} is not port 1701`;
  if (clientId.port !== L2TP_PORT && clientId.port !== 0) return `client selector ${show(clientId)} is not port 1701 or any`;
  if (!ctx.localBehindNat && !sameAddress(ours.data, ctx.local.address)) return `local selector ${show(ours)} is not our address`;
  if (!ctx.peerBehindNat && !sameAddress(theirs.data, ctx.remote.address)) return `remote selector ${show(theirs)} is not the peer's address`;
  return undefined;
}
