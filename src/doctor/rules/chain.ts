/**
 * The first cause in the chain. A session that fails often fails twice: an
 * address the peer may not use makes IPCP fail, and the link teardown that
 * follows carries the peer's words ("MPPE required but not available",
 * "Authentication failed"), which another rule reads as a cause of its own.
 * Ranking by a fixed order of causes puts such a consequence first. Here a
 * cause A explains a cause B in the same session when A's first line comes
 * no later than B's and either
 *
 *   - EXPLAINS lists B as a consequence of A (a mechanism chain: an empty
 *     pool leaves IPCP without an address; a GRE path-MTU drop ends in a
 *     keepalive timeout; a wrong IKE secret makes the L2TP tunnel time out), or
 *   - every line B rests on is a teardown (Terminate-Request/-Ack, "LCP
 *     terminated by peer", Call-Clear, Modem hangup, exit, end of the control
 *     connection, L2TP StopCCN/CDN results) and A rests on something else:
 *     whatever words a teardown carries, it follows the failure before it.
 *
 * Order: causes no other cause explains ("roots") first — failures
 * (critical, error) before warnings, then by the time of their first line,
 * then by the catalogue order — each followed by the causes it explains, in
 * the order of their first lines. SUPPRESS (rules/index.ts) still drops the
 * consequences that add nothing; the ones ranked here stay in the report.
 */
import { cause, causeOrder } from '../causes.js';
import type { Ev, EvKind } from '../types.js';
import type { RuleHit } from './rule.js';

/** cause → the causes it can lead to in the same session. */
export const EXPLAINS: Readonly<Record<string, readonly string[]>> = {
  'ip-pool-exhausted': ['ip-address-conflict', 'ipcp-not-negotiated', 'lcp-terminated-by-peer'],
  'ip-address-conflict': ['ipcp-not-negotiated', 'lcp-terminated-by-peer'],
  'gre-path-mtu': ['lcp-echo-timeout', 'pptp-keepalive-timeout', 'gre-blocked'],
  'gre-blocked': ['lcp-echo-timeout', 'pptp-keepalive-timeout'],
  'l2tp-tunnel-auth-failed': ['l2tp-tunnel-timeout'],
  'l2tp-tunnel-secret-missing': ['l2tp-tunnel-timeout'],
  'ipsec-psk-mismatch': ['ipsec-unreachable', 'l2tp-tunnel-timeout', 'ipsec-dpd-timeout'],
  'ipsec-psk-missing': ['l2tp-tunnel-timeout'],
  'ipsec-proposal-mismatch': ['ipsec-unreachable', 'l2tp-tunnel-timeout'],
  'ipsec-nat-t': ['l2tp-tunnel-timeout', 'ipsec-dpd-timeout'],
  'auth-bad-credentials': ['lcp-terminated-by-peer'],
  'auth-unknown-user': ['lcp-terminated-by-peer', 'auth-bad-credentials'],
  'pppd-options-error': ['auth-bad-credentials'],
};

/** Lines that only say the link or tunnel is going away. */
const TEARDOWN = new Set<EvKind>(['termreq', 'termack', 'term-by-peer', 'lcp-down', 'call-clear', 'ctrl-eof', 'ctrl-end', 'hangup', 'exit', 'terminated', 'transport-hangup', 'l2tp-result', 'l2tp-msg', 'l2tp-call-closed', 'l2tp-tunnel-closed', 'user-request', 'signal']);

function first(h: RuleHit): Ev | undefined {
  let f: Ev | undefined;
  for (const e of h.evidence) if (!f || e.file < f.file || (e.file === f.file && e.line < f.line)) f = e;
  return f;
}

function notAfter(a: Ev | undefined, b: Ev | undefined): boolean {
  if (!a || !b) return false;
  return a.file < b.file || (a.file === b.file && a.line <= b.line);
}

function onlyTeardown(h: RuleHit): boolean {
  return h.evidence.length > 0 && h.evidence.every((e) => TEARDOWN.has(e.kind));
}

const failing = (id: string): number => (cause(id).severity === 'critical' || cause(id).severity === 'error' ? 0 : 1);

/** True when `a` explains `b` in one session (this file's header). */
export function explains(a: RuleHit, b: RuleHit): boolean {
  if (a === b || !notAfter(first(a), first(b))) return false;
  if (EXPLAINS[a.cause]?.includes(b.cause)) return true;
  return onlyTeardown(b) && !onlyTeardown(a);
}

/** A session's hits (distinct causes) in chain order; sets `explainedBy` on the explained ones. */
export function rankChain(hits: RuleHit[]): RuleHit[] {
  const by = new Map<RuleHit, RuleHit>();
  for (const b of hits) {
    // The earliest explainer is the one that started it.
    let best: RuleHit | undefined;
    for (const a of hits) if (explains(a, b) && !explains(b, a) && (!best || notAfter(first(a), first(best)))) best = a;
    if (best) by.set(b, best);
  }
  const timeline = (x: RuleHit, y: RuleHit): number => {
    const fx = first(x);
    const fy = first(y);
    if (fx && fy && (fx.file !== fy.file || fx.line !== fy.line)) return notAfter(fx, fy) ? -1 : 1;
    return causeOrder(x.cause, y.cause);
  };
  const roots = hits.filter((h) => !by.has(h)).sort((x, y) => failing(x.cause) - failing(y.cause) || timeline(x, y));
  const out: RuleHit[] = [];
  const visit = (h: RuleHit): void => {
    if (out.includes(h)) return;
    out.push(h);
    for (const c of hits.filter((x) => by.get(x) === h).sort(timeline)) visit(c);
  };
  for (const r of roots) visit(r);
  // A cycle left nothing unexplained: keep what is left in timeline order.
  for (const h of [...hits].sort(timeline)) visit(h);
  for (const [b, a] of by) b.explainedBy = a.cause;
  return out;
}
