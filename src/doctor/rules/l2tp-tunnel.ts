/**
 * L2TP control channel. RFC 2661 §5.8: control messages are retransmitted
 * until acknowledged and the tunnel is torn down when retries run out
 * (xl2tpd "Maximum retries exceeded", result "Timeout"; hello keepalives
 * time out the same way). Tunnel authentication (§5.1.1) fails when the
 * Challenge Response does not match the shared secret; access control
 * refuses peers outside `lac =`. A client that cannot reach the server at
 * all (macOS "L2TP cannot connect to the server") is the same timeout seen
 * from the client.
 */
import { evidence, type Rule, type RuleHit } from './rule.js';

/** Rule `l2tpTunnel`: the mechanism in this file's header. */
export const l2tpTunnel: Rule = {
  name: 'l2tp-tunnel',
  needs: ['l2tp-tunnel-auth-fail', 'l2tp-denied', 'l2tp-retries', 'l2tp-hello-timeout', 'l2tp-tunnel-closed', 'ctrl-connect-fail'],
  check(s) {
    const out: RuleHit[] = [];
    const authFail = s.all('l2tp-tunnel-auth-fail');
    if (authFail.length) out.push({ cause: 'l2tp-tunnel-auth-failed', confidence: 'high', evidence: evidence(authFail) });
    const denied = s.all('l2tp-denied');
    if (denied.length) out.push({ cause: 'l2tp-peer-denied', confidence: 'high', evidence: evidence(denied) });
    const timeouts = s.events.filter(
      (e) =>
        e.kind === 'l2tp-retries' ||
        e.kind === 'l2tp-hello-timeout' ||
        (e.kind === 'l2tp-tunnel-closed' && /timeout/i.test(e.reason ?? '')) ||
        (e.kind === 'ctrl-connect-fail' && (e.transport === 'l2tp' || s.kind === 'l2tp')),
    );
    if (timeouts.length) out.push({ cause: 'l2tp-tunnel-timeout', confidence: 'high', evidence: evidence(timeouts.slice(0, 4)) });
    return out;
  },
};
