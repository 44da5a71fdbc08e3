/**
 * What the RADIUS service reads and calls on a link, without a PPP session:
 * its id, user, addresses, transport and counters; `close` and
 * `setRateLimit` record what the service did. Cast to PppLink where the
 * service wants one.
 */
export interface FakeLinkFields {
  username?: string;
  peerIp?: string;
  proto?: 'pptp' | 'l2tp';
  peerAddress?: string;
}

export function fakeLink(id: number, f: FakeLinkFields = {}) {
  return {
    id,
    username: f.username,
    peerIp: f.peerIp,
    framedAddress: undefined as string | undefined,
    limits: [] as { limit: unknown; source: string }[],
    setRateLimit(limit: unknown, source: string) {
      this.limits.push({ limit, source });
    },
    transport: { proto: f.proto ?? 'pptp', peerAddress: f.peerAddress ?? '198.51.100.9' },
    session: { counters: { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 } },
    closed: [] as string[],
    close(reason: string) {
      this.closed.push(reason);
    },
  };
}
