/**
 * Byte, packet and drop totals over every link the server has had: the live
 * links' counters plus what links that ended had counted. A link's final
 * counters are retired when its link-down is seen (the log tap), or, if that
 * was missed, at the next scrape from the last values read — so the totals
 * never go backwards, which Prometheus counters must not.
 */
import type { SessionCounters } from '../ppp/session.js';
import type { LinkView } from './source.js';

/** Totals for one transport. */
export interface ProtoTotals {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  drops: Record<string, number>;
}

function zero(): ProtoTotals {
  return { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, drops: {} };
}

function addInto(t: ProtoTotals, c: SessionCounters): void {
  t.bytesIn += c.bytesIn;
  t.bytesOut += c.bytesOut;
  t.packetsIn += c.packetsIn;
  t.packetsOut += c.packetsOut;
  for (const [k, v] of Object.entries(c.drops)) t.drops[k] = (t.drops[k] ?? 0) + (v ?? 0);
}

function copyCounters(c: SessionCounters): SessionCounters {
  return { ...c, drops: { ...c.drops } };
}

/** Running totals across live and ended links. */
export class SessionTotals {
  private readonly retired = new Map<string, ProtoTotals>();
  private readonly retiredIds = new Set<number>();
  /** Counters read at the last scrape, per live link id. */
  private lastSeen = new Map<number, { proto: string; counters: SessionCounters }>();

  private bucket(proto: string): ProtoTotals {
    let b = this.retired.get(proto);
    if (!b) this.retired.set(proto, (b = zero()));
    return b;
  }

  /** Adds an ending link's final counters. */
  retire(link: LinkView): void {
    if (this.retiredIds.has(link.id)) return;
    this.retiredIds.add(link.id);
    this.lastSeen.delete(link.id);
    addInto(this.bucket(link.transport.proto), link.session.counters);
  }

  /** Totals per transport, live links included. */
  scrape(live: readonly LinkView[]): Map<string, ProtoTotals> {
    const seen = new Map<number, { proto: string; counters: SessionCounters }>();
    const out = new Map<string, ProtoTotals>();
    for (const [proto, t] of this.retired) out.set(proto, { ...t, drops: { ...t.drops } });
    const slot = (proto: string): ProtoTotals => {
      let b = out.get(proto);
      if (!b) out.set(proto, (b = zero()));
      return b;
    };
    for (const l of live) {
      if (this.retiredIds.has(l.id)) continue;
      seen.set(l.id, { proto: l.transport.proto, counters: copyCounters(l.session.counters) });
      addInto(slot(l.transport.proto), l.session.counters);
    }
    // Links gone without a link-down record: keep what they had counted.
    for (const [id, s] of this.lastSeen) {
      if (seen.has(id) || this.retiredIds.has(id)) continue;
      this.retiredIds.add(id);
      addInto(this.bucket(s.proto), s.counters);
      addInto(slot(s.proto), s.counters);
    }
    this.lastSeen = seen;
    // Ids of ended links only matter while a record for them may still arrive; bound the set.
    if (this.retiredIds.size > 100_000) this.retiredIds.clear();
    return out;
  }
}
