/**
 * L2TP control channel. RFC 2661 §5.8: control messages are retransmitted
 * until acknowledged and the tunnel is torn down when retries run out
 * (xl2tpd "Maximum retries exceeded", result "Timeout"; hello keepalives
 * time out the same way). Tunnel authentication (§5.1.1) fails when the
 * Challenge Response does not match the shared secret ("Invalid
 * authentication for host", closed with "Invalid challenge
 * authentication"), or when one end has no secret for the pair at all
 * ("no secret found for us=… and them=…", closed with "No secret key on our
 * side/end"; from the other end that reason arrives in its StopCCN); access control
 * refuses peers outside `lac =`. A client that cannot reach the server at
 * all (macOS "L2TP cannot connect to the server") is the same timeout seen
 * from the client.
 */
import type { Ev } from '../types.js';
import { evidence, type Rule, type RuleHit } from './rule.js';

/** Rule `l2tpTunnel`: the mechanism in this file's header. */
export const l2tpTunnel: Rule = {
  name: 'l2tp-tunnel',
  needs: ['l2tp-tunnel-auth-fail', 'l2tp-tunnel-secret-missing', 'l2tp-result', 'l2tp-denied', 'l2tp-retries', 'l2tp-hello-timeout', 'l2tp-tunnel-closed', 'ctrl-connect-fail'],
  check(s) {
    const out: RuleHit[] = [];
    // The reason a tunnel was closed with (ours, or the peer's StopCCN): control.c's set_error texts.
    const closedFor = (re: RegExp): Ev[] => s.events.filter((e) => (e.kind === 'l2tp-tunnel-closed' || e.kind === 'l2tp-result') && re.test(e.reason ?? ''));
    const missing = [...s.all('l2tp-tunnel-secret-missing'), ...closedFor(/No secret/i)];
    if (missing.length) {
      const peerSide = !s.has('l2tp-tunnel-secret-missing') && missing.some((e) => e.kind === 'l2tp-result' || e.dir === 'peer');
      out.push({ cause: 'l2tp-tunnel-secret-missing', confidence: 'high', evidence: evidence(missing), detail: peerSide ? 'The other end has no tunnel secret for this one (its StopCCN says so): fix the secrets file there.' : 'This end has no tunnel secret for the peer: fix the secrets file here.' });
    }
    const authFail = [...s.all('l2tp-tunnel-auth-fail'), ...closedFor(/challenge authentication/i)];
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
