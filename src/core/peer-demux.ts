/**
 * Entries keyed by (peer address, ID), with every entry of one peer at hand:
 * both data paths (src/server/gre-endpoint.ts, l2tp-endpoint.ts) keep their
 * sessions in one to fan a path-MTU signal for an address out to every
 * session toward it. Several clients behind one NAT share an address, so
 * the address alone never identifies a session. Two-level maps keep lookups
 * free of string building.
 */
export class PeerDemux<T, A = string> {
  private readonly byPeer = new Map<A, Map<number, T>>();
  private count = 0;

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  /** The entry of (`peer`, `id`). */
  get(peer: A, id: number): T | undefined {
    return this.byPeer.get(peer)?.get(id);
  }

  /** Adds or replaces an entry. */
  set(peer: A, id: number, value: T): void {
    let m = this.byPeer.get(peer);
    if (!m) this.byPeer.set(peer, (m = new Map()));
    if (!m.has(id)) this.count++;
    m.set(id, value);
  }

  /** Removes an entry; true when there was one. */
  delete(peer: A, id: number): boolean {
    const m = this.byPeer.get(peer);
    if (!m || !m.delete(id)) return false;
    this.count--;
    if (m.size === 0) this.byPeer.delete(peer);
    return true;
  }

  /** Removes every entry of `peer`; returns how many. */
  deleteAddr(peer: A): number {
    const m = this.byPeer.get(peer);
    if (!m) return 0;
    this.byPeer.delete(peer);
    this.count -= m.size;
    return m.size;
  }

  /** The entries of `peer` (a copy: the caller may change the demux meanwhile). */
  ofPeer(peer: A): T[] {
    const m = this.byPeer.get(peer);
    return m ? [...m.values()] : [];
  }

  /** Every entry. */
  *values(): IterableIterator<T> {
    for (const m of this.byPeer.values()) yield* m.values();
  }
}
