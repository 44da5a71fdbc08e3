/**
 * Admission of a new L2TP tunnel by the LAC's address (xl2tpd's `access
 * control`, `lac`/`no lac`, `exclusive`; verdict in config/lac-access.ts).
 * A refused SCCRQ gets no tunnel: one StopCCN answers it, as xl2tpd answers
 * with StopCCN "No Authorization", without state or retransmission (the
 * LAC's next SCCRQ gets the same answer), and nothing is allocated.
 */
import { parseL2tpHeader, encodeL2tp } from '../l2tp/header.js';
import { encodeL2tpMessage, parseL2tpMessage } from '../l2tp/message.js';
import { MSG } from '../l2tp/constants.js';
import type { L2tpEndpoint, UdpPeer } from '../l2tp/endpoint.js';
import { lacVerdict, type LacAccess } from '../config/lac-access.js';

/** A refusal: the StopCCN to send (none when the SCCRQ could not be read) and why, for the log. */
export interface LacRefusal {
  reply: Uint8Array | undefined;
  why: string;
}

/**
 * Whether the control message `bytes` from `from` is an SCCRQ that `access`
 * refuses. Established tunnels from the same address count for `exclusive`;
 * a retransmission of the SCCRQ that made a tunnel is never refused.
 */
export function lacRefusal(access: LacAccess | undefined, endpoint: L2tpEndpoint, bytes: Uint8Array, from: UdpPeer): LacRefusal | undefined {
  if (!access || (!access.control && !access.exclusive)) return undefined;
  const f = parseL2tpHeader(bytes);
  if (!f.ok || !f.value.header.isControl || f.value.header.tunnelId !== 0) return undefined;
  const m = parseL2tpMessage(bytes.subarray(f.value.payloadStart, f.value.payloadEnd));
  if (m.ok && m.value.messageType !== MSG.SCCRQ) return undefined;
  const peerTunnelId = m.ok ? m.value.assignedTunnelId : undefined;
  let others = 0;
  for (const id of endpoint.tunnelIds()) {
    const p = endpoint.peerOf(id);
    const t = endpoint.tunnel(id);
    if (!p || !t || p.address !== from.address) continue;
    if (p.port === from.port && peerTunnelId !== undefined && t.peerTunnelId === peerTunnelId) return undefined;
    // Only established tunnels count: a blind spoofer's half-open SCCRQ must not lock the real LAC out.
    if (t.state === 'established') others++;
  }
  const v = lacVerdict(access, from.address, others);
  if (v.ok) return undefined;
  if (!m.ok || peerTunnelId === undefined || peerTunnelId === 0) return { reply: undefined, why: v.why };
  const body = encodeL2tpMessage({ messageType: MSG.STOPCCN, assignedTunnelId: 0, resultCode: { result: v.result, error: 0, message: v.message } });
  const reply = encodeL2tp({ isControl: true, tunnelId: peerTunnelId, sessionId: 0, ns: 0, nr: (f.value.header.ns! + 1) & 0xffff, priority: false }, body);
  return { reply, why: v.why };
}
