/**
 * Replay protection for Disconnect- and CoA-Requests (RFC 5176 §3.5 via
 * §6.3, and the duplicate detection of §2.3), as a pure machine: the caller
 * passes the wall-clock time in seconds.
 *
 * - Event-Timestamp (RFC 2869 §5.3) must be within `windowS` of now, either
 *   way; a request outside the window is silently discarded ("MUST").
 * - A request without Event-Timestamp is refused when `requireEventTimestamp`
 *   (RFC 5176 §3.5 "SHOULD be configurable"): the caller answers it with a
 *   NAK, Error-Cause 402 (Missing Attribute).
 * - A request seen before within the window (same client address and port,
 *   Identifier and Request Authenticator) is a duplicate: the caller sends the
 *   answer it gave the first time again and acts no second time. The window
 *   used for duplicates is the timestamp window (§6.3: "MUST be the same"),
 *   so a captured request can never be replayed into an action: inside the
 *   window it is a duplicate, outside it is stale.
 *
 * The table of seen requests is bounded (`maxEntries`, the oldest go first).
 */

/** What to do with one authenticated request. */
export type DaeReplayVerdict =
  /** New and current: act on it, then `remember` the answer. */
  | { kind: 'fresh' }
  /** No Event-Timestamp while one is required: NAK 402, no action. */
  | { kind: 'missing-timestamp' }
  /** Event-Timestamp outside the window: discard silently. `skewS` is timestamp − now. */
  | { kind: 'stale'; skewS: number }
  /** Seen before within the window: send `reply` again (when the first one was answered), no action. */
  | { kind: 'duplicate'; reply: Uint8Array | undefined };

/** Options. */
export interface DaeReplayOptions {
  /** Accepted distance between Event-Timestamp and now, and how long requests are remembered. */
  windowS: number;
  /** Refuse requests without Event-Timestamp. */
  requireEventTimestamp: boolean;
  /** Requests remembered at most (default 4096). */
  maxEntries?: number;
}

/** Identifies one request for duplicate detection. */
export interface DaeRequestKey {
  /** The client's address and port, e.g. "192.0.2.1:41234". */
  client: string;
  identifier: number;
  /** The 16-octet Request Authenticator. */
  authenticator: Uint8Array;
}

interface Seen {
  atS: number;
  reply: Uint8Array | undefined;
}

/** Decodes an Event-Timestamp value (4 octets, seconds since 1970-01-01 UTC), or undefined. */
export function eventTimestampS(v: Uint8Array | undefined): number | undefined {
  if (v === undefined || v.length !== 4) return undefined;
  return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
}

/** The replay window of one Disconnect listener. */
export class DaeReplayWindow {
  private readonly seen = new Map<string, Seen>();
  private readonly maxEntries: number;

  constructor(private readonly opts: DaeReplayOptions) {
    this.maxEntries = opts.maxEntries ?? 4096;
  }

  /** Requests remembered now (for tests). */
  get size(): number {
    return this.seen.size;
  }

  /** Judges one request whose authenticator was already verified. */
  check(key: DaeRequestKey, eventTimestamp: number | undefined, nowS: number): DaeReplayVerdict {
    this.expire(nowS);
    if (eventTimestamp !== undefined && Math.abs(eventTimestamp - nowS) > this.opts.windowS) return { kind: 'stale', skewS: eventTimestamp - nowS };
    const prior = this.seen.get(keyText(key));
    if (prior !== undefined) return { kind: 'duplicate', reply: prior.reply };
    if (eventTimestamp === undefined && this.opts.requireEventTimestamp) return { kind: 'missing-timestamp' };
    return { kind: 'fresh' };
  }

  /** Records the answer given to a request (`check` said fresh or missing-timestamp), for its duplicates. */
  remember(key: DaeRequestKey, reply: Uint8Array | undefined, nowS: number): void {
    const k = keyText(key);
    this.seen.delete(k);
    this.seen.set(k, { atS: nowS, reply });
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
  }

  private expire(nowS: number): void {
    // Insertion order is time order (`remember` re-inserts), so expiry stops at the first live entry.
    for (const [k, v] of this.seen) {
      if (nowS - v.atS <= this.opts.windowS) break;
      this.seen.delete(k);
    }
  }
}

function keyText(k: DaeRequestKey): string {
  let hex = '';
  for (const b of k.authenticator) hex += b.toString(16).padStart(2, '0');
  return `${k.client}/${k.identifier}/${hex}`;
}
