/**
 * All rules, and the order of findings within a session. `SUPPRESS` lists
 * causes that make another one a mere consequence in the same session (no
 * kernel PPP also means LCP never ran); the rest are ranked first cause in
 * the chain first (chain.ts).
 */
import type { Session } from '../session.js';
import type { EvKind } from '../types.js';
import { auth } from './auth.js';
import { ipPool } from './ip-pool.js';
import { ipsec } from './ipsec.js';
import { kernelPpp } from './kernel-ppp.js';
import { keepalive } from './keepalive.js';
import { l2tpAvp } from './l2tp-avp.js';
import { l2tpIpsecSecret } from './l2tp-ipsec-secret.js';
import { l2tpTunnel } from './l2tp-tunnel.js';
import { lcpTimeout } from './lcp-timeout.js';
import { mppe } from './mppe.js';
import { mutualAuth } from './mutual-auth.js';
import { pathMtu } from './path-mtu.js';
import { peerTerminated } from './peer-terminated.js';
import { pptpControl } from './pptp-control.js';
import { greErrors } from './gre-errors.js';
import { windowsError } from './windows-error.js';
import { optionsError } from './options-error.js';
import { ipsecKernel } from './ipsec-kernel.js';
import { simultaneousUse } from './simultaneous-use.js';
import { pppdExitCode } from './pppd-exit-code.js';
import { pptpClientVanished } from './pptp-client-vanished.js';
import type { Rule, RuleHit } from './rule.js';
import { rankChain } from './chain.js';

export type { Rule, RuleHit } from './rule.js';

/** Every rule; each encodes one mechanism (see its file header). */
export const RULES: readonly Rule[] = [pathMtu, kernelPpp, mppe, lcpTimeout, auth, mutualAuth, keepalive, ipPool, l2tpIpsecSecret, l2tpTunnel, l2tpAvp, ipsec, pptpControl, greErrors, windowsError, optionsError, ipsecKernel, pppdExitCode, simultaneousUse];

const SUPPRESS: Record<string, string[]> = {
  'kernel-ppp-missing': ['gre-blocked', 'l2tp-ppp-no-answer', 'lcp-echo-timeout'],
  'dev-ppp-permission': ['gre-blocked', 'l2tp-ppp-no-answer', 'lcp-echo-timeout'],
  'pppd-options-error': ['gre-blocked', 'l2tp-ppp-no-answer', 'lcp-terminated-by-peer'],
  'mppe-no-kernel-support': ['mppe-not-negotiated', 'lcp-terminated-by-peer'],
  'ipsec-psk-missing': ['ipsec-unreachable', 'ipsec-nat-t'],
  'l2tp-ipsec-secret-missing': ['l2tp-tunnel-timeout'],
  'l2tp-tunnel-secret-missing': ['l2tp-tunnel-auth-failed'],
  'auth-server-no-secrets': ['auth-client-requires-server-auth', 'gre-blocked', 'l2tp-ppp-no-answer'],
  'auth-client-requires-server-auth': ['auth-bad-credentials', 'auth-protocol-mismatch'],
};

const SUPPRESS_LIST = Object.entries(SUPPRESS);

/** True when the session has an event of one of these kinds. */
function hasAny(s: Session, kinds: readonly EvKind[]): boolean {
  for (let i = 0; i < kinds.length; i++) if (s.has(kinds[i]!)) return true;
  return false;
}

/** Runs every rule on a finished session; findings most important first. */
export function diagnose(s: Session): RuleHit[] {
  let hits: RuleHit[] = [];
  for (const r of RULES) if (hasAny(s, r.needs)) for (const h of r.check(s)) hits.push(h);
  if (!hits.length) hits = peerTerminated(s);
  if (!hits.length) hits = pptpClientVanished(s);
  // One hit (or none): nothing to merge, suppress or order.
  if (hits.length <= 1) return hits;
  const seen = new Map<string, RuleHit>();
  for (const h of hits) {
    const prev = seen.get(h.cause);
    if (prev) prev.evidence = [...new Set([...prev.evidence, ...h.evidence])].sort((a, b) => a.line - b.line);
    else seen.set(h.cause, h);
  }
  if (seen.size > 1) {
    const present = new Set(seen.keys());
    for (const [c, list] of SUPPRESS_LIST) if (present.has(c)) for (const x of list) seen.delete(x);
  }
  const out = [...seen.values()];
  return out.length > 1 ? rankChain(out) : out;
}
