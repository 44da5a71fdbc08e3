/**
 * Two established ISAKMP SAs (our initiator and responder machines back to
 * back), for the Quick Mode, informational and ESP tests.
 */
import { seededRng } from '../../src/core/rng.js';
import { DH_GROUP, P1_ENCR, P1_HASH } from '../../src/ipsec/constants.js';
import { MainModeInitiator } from '../../src/ipsec/main-mode-initiator.js';
import { MainModeResponder } from '../../src/ipsec/main-mode-responder.js';
import { DEFAULT_PHASE1_POLICY, type Phase1Suite } from '../../src/ipsec/phase1-proposals.js';
import type { Endpoint, Phase1Sa } from '../../src/ipsec/phase1-sa.js';

/** Dotted quad to 4 bytes. */
export const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

/** The endpoints of a pair: what each side uses as local and remote. */
export interface PairEndpoints {
  /** The client's own address (private when behind NAT). */
  clientLocal: Endpoint;
  /** The client as the server sees it. */
  clientSeen: Endpoint;
  server: Endpoint;
}

export const DIRECT: PairEndpoints = { clientLocal: { address: ip('198.51.100.7'), port: 500 }, clientSeen: { address: ip('198.51.100.7'), port: 500 }, server: { address: ip('203.0.113.1'), port: 500 } };
export const BEHIND_NAT: PairEndpoints = { clientLocal: { address: ip('192.168.1.10'), port: 500 }, clientSeen: { address: ip('198.51.100.7'), port: 31337 }, server: { address: ip('203.0.113.1'), port: 500 } };

/** Runs Main Mode to completion between our machines; throws when it does not establish. */
export function phase1Pair(ends: PairEndpoints = DIRECT, suite: Phase1Suite = { encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA2_256, group: DH_GROUP.MODP_2048 }, seed = 1): { client: Phase1Sa; server: Phase1Sa } {
  const psk = new TextEncoder().encode('pair psk');
  const ini = new MainModeInitiator({ psk, suites: [suite], lifetimeSeconds: 28800, local: ends.clientLocal, remote: ends.server }, seededRng(seed));
  const res = new MainModeResponder({ psk, policy: DEFAULT_PHASE1_POLICY, local: ends.server, remote: ends.clientSeen }, seededRng(seed + 100));
  let out = ini.handle({ type: 'start' }, 0);
  for (let i = 0; i < 3; i++) {
    const req = out.find((o) => o.kind === 'send');
    if (!req || req.kind !== 'send') break;
    const rep = res.handle({ type: 'packet', bytes: req.bytes }, 0).find((o) => o.kind === 'send');
    if (!rep || rep.kind !== 'send') break;
    out = ini.handle({ type: 'packet', bytes: rep.bytes }, 0);
  }
  if (!ini.sa || !res.sa) throw new Error('phase 1 did not establish');
  return { client: ini.sa, server: res.sa };
}
