/**
 * IKE daemons → events: strongSwan charon (IKEv1/IKEv2, "NN[IKE] <conn|N> ..."),
 * libreswan/openswan pluto (`"conn"[N] 1.2.3.4 #5: ...`), racoon (ipsec-tools,
 * also macOS and Android) and macOS nesessionmanager. Wordings from
 * strongSwan src/libcharon/sa/ike_sa.c, tasks/*.c, pluto's ikev1*.c/ikev2*.c
 * and racoon's isakmp*.c. One entry per mechanism; the order matters where a
 * line could match two (a missing PSK also fails authentication).
 */
import type { EvFields } from '../types.js';

interface Entry {
  re: RegExp;
  ev: (m: RegExpExecArray, msg: string) => EvFields | null;
}

const phaseOf = (msg: string): number | undefined =>
  /CHILD_SA|quick mode|Quick Mode|QUICK|phase ?2|IPsec SA|IPsec-SA|ESP proposal|#\d+: .*STATE_QUICK/i.test(msg) ? 2 : /IKE_SA|Main Mode|Aggressive Mode|MAIN_|phase ?1|ISAKMP|IKE SA/i.test(msg) ? 1 : undefined;

const TABLE: Entry[] = [
  // NAT-T detection results. "no NAT detected" is explicitly not NAT.
  { re: /no NAT detected|NAT-Traversal: Result using [^:]*: no NAT/i, ev: () => null },
  { re: /behind (?:a )?NAT|is NATed|both are NATed|i am NATed|NAT detected|NAT-D payload (?:does not|doesn't) match|NAT-Traversal: Result using [^:]*: (?:peer|i am|both)/i, ev: (m) => ({ kind: 'nat-detected', reason: m[0] }) },
  // No key at all for this peer/ID: configuration, not a typo.
  { re: /no shared key found|couldn't find the pskey|no preshared key found|Can't authenticate: no preshared key|no PSK found|unable to (?:find|locate) (?:a )?(?:PSK|pre-?shared key)/i, ev: (m) => ({ kind: 'ike-psk-missing', reason: m[0], phase: 1 }) },
  // The key exists but the peer's differs: decryption or hash check fails.
  {
    re: /AUTHENTICATION_FAILED|AUTHENTICATION-FAILED|probable authentication failure|mismatch of preshared secrets|invalid HASH_V1 payload length|decryption failed\?|HASH mismatched|INVALID_HASH_INFORMATION|INVALID-HASH-INFORMATION|MAC mismatched|tried \d+ shared keys? for [^\n]* but|authentication of '[^']*' with pre-shared key failed|Hash Payload does not match|failed to decrypt|Phase ?1 Authentication (?:failure|failed)/i,
    ev: (m) => ({ kind: 'ike-auth-fail', reason: m[0], phase: 1 }),
  },
  {
    re: /no IKE config found|no matching peer config|no suitable connection|INVALID_ID_INFORMATION|INVALID-ID-INFORMATION|no connection is known|no configuration found for|no peer config found|cannot respond to IPsec SA request|TS_UNACCEPTABLE|no matching CHILD_SA config|no acceptable traffic selectors|no connection has been authorized|failed to get sainfo|no policy found|found no matching policy/i,
    ev: (m, msg) => ({ kind: 'ike-no-conn', reason: m[0], phase: /TS_UNACCEPTABLE|CHILD_SA|IPsec SA|traffic selectors|quick/i.test(msg) ? 2 : phaseOf(msg) }),
  },
  // pluto cannot parse the decrypted main-mode payload: the keys differ (PSK mismatch).
  { re: /malformed payload in packet|next payload type of ISAKMP \w+ Payload has an unknown value/, ev: (m) => ({ kind: 'ike-auth-fail', reason: m[0], phase: 1 }) },
  // Certificate authentication: no trusted key, unknown issuer, identity constraints.
  { re: /no trusted (?:RSA |ECDSA |EdDSA )?public key found|no issuer certificate found|constraint check failed|certificate [^\n]*(?:has expired|not yet valid|was revoked)|signature validation failed|unable to locate my private key/i, ev: (m) => ({ kind: 'ike-cert-fail', reason: m[0], phase: 1 }) },
  // User authentication inside IKE (IKEv2 EAP, IKEv1 XAuth): wrong user name or password.
  { re: /EAP method \S+ failed|XAUTH[^\n]*(?:Authentication Failed|authentication failed|failed)/i, ev: (m) => ({ kind: 'auth-fail', dir: 'peer', reason: m[0] }) },
  // The kernel cannot take the negotiated SAs (no xfrm/af_key/esp in a container or minimal kernel).
  { re: /unable to install (?:inbound and outbound )?IPsec (?:SA|policies)|unable to add SAD entry|unable to install policy|XFRM_MSG_NEW\w+ response [^\n]*errno \d+|kernel (?:interface|support) [^\n]*not (?:available|supported)|No kernel support for IPsec/i, ev: (m) => ({ kind: 'ipsec-kernel-fail', reason: m[0] }) },
  {
    re: /NO_PROPOSAL_CHOSEN|NO-PROPOSAL-CHOSEN|no acceptable (?:Oakley Transform|proposal|transform)|no suitable proposal|failed to get valid proposal|no matching proposal|no proposal chosen|proposal mismatch|no acceptable [\w ]*proposal|didn't accept DH group|requested (?:DH group|MODP_\d+)|INVALID_KE_PAYLOAD|invalid DH group/i,
    ev: (m, msg) => ({ kind: 'ike-no-proposal', reason: m[0], phase: phaseOf(msg) }),
  },
  // Dead peer detection: R-U-THERE (IKEv1) / liveness INFORMATIONAL (IKEv2) unanswered.
  { re: /DPD: No response from peer|declaring peer dead|dead peer detected|DPD (?:timed out|timeout)|liveness check failed|peer not responding, deleting/i, ev: (m) => ({ kind: 'dpd-timeout', reason: m[0] }) },
  {
    re: /giving up after \d+ retransmits|negotiation failed due to time up|max number of retransmissions|second timeout exceeded|No response \(or no acceptable response\)|retransmit(?:ted)? [^\n]*timeout|IKE Phase ?1 timed? ?out/i,
    ev: (m, msg) => ({ kind: 'ike-timeout', reason: m[0], phase: phaseOf(msg) ?? 1 }),
  },
  {
    re: /IKE_SA [^\n]*established between|ISAKMP SA established|ISAKMP-SA established|Main Mode completed|IKE SA established|STATE_MAIN_[RI]3|IKE SA authenticated|established IKE SA/i,
    ev: () => ({ kind: 'ike-up', phase: 1 }),
  },
  {
    re: /CHILD_SA [^\n]*established|IPsec SA established|IPsec-SA established|STATE_QUICK_[RI]2|established Child SA|IPSec connection established/i,
    ev: () => ({ kind: 'child-up', phase: 2 }),
  },
  { re: /deleting IKE_SA|received DELETE for IKE_SA|ISAKMP-SA deleted|deleting state|IKE SA deleted/i, ev: () => ({ kind: 'ike-deleted' }) },
];

/** Cheap literals: a line containing none of these cannot match the table. */
const PREFILTER = /DPD|dead|liveness|responding|trusted|issuer|constraint|certificate|signature|private key|uthentication|malformed|payload|EAP|XAUTH|install|SAD|XFRM|kernel|NAT|key|KEY|HASH|MAC|AUTH|auth|PROPOSAL|roposal|ransform|config|connection|ID_INFO|ID-INFO|TS_|selector|retransmi|time|establish|complete|DELETE|delet|decrypt|Hash|DH group|MODP|KE_PAYLOAD|sainfo|policy/;

/** IKE daemon message → event. */
export function extractIpsec(msg: string): EvFields | null {
  if (!PREFILTER.test(msg)) return null;
  for (const e of TABLE) {
    const m = e.re.exec(msg);
    if (m) {
      const ev = e.ev(m, msg);
      if (ev) ev.peer = ipsecPeer(msg) ?? undefined;
      return ev;
    }
  }
  return null;
}

const IPV4 = /\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g;

/**
 * The IKE peer a message is about, used as the session key: charon's
 * `<conn|N>` unique IKE_SA id, pluto's `"conn"[N] 1.2.3.4`, else the last
 * IPv4 address in the message (racoon prints `local[500]-remote[500]`).
 */
export function ipsecPeer(msg: string): string | null {
  const charon = /<([^|<>]+)\|(\d+)>/.exec(msg);
  if (charon) return `${charon[1]}|${charon[2]}`;
  const pluto = /^"([^"]+)"(?:\[\d+\])? (\d{1,3}(?:\.\d{1,3}){3})/.exec(msg);
  if (pluto) return pluto[2]!;
  const plutoName = /^"([^"]+)"(\[\d+\])?/.exec(msg);
  let last: string | null = null;
  for (const m of msg.matchAll(IPV4)) last = m[1]!;
  if (last) return last;
  return plutoName ? plutoName[1]! + (plutoName[2] ?? '') : null;
}
