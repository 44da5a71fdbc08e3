/**
 * The rule interface. A rule encodes one mechanism — what a daemon does and
 * why that breaks the session — and looks at a finished session's events.
 * It never keys on one sample line: it keys on event kinds, which the
 * extractors produce from every wording variant they know.
 */
import type { Session } from '../session.js';
import type { Confidence, Ev, EvKind } from '../types.js';

/** A rule's verdict for one session. */
export interface RuleHit {
  cause: string;
  confidence: Confidence;
  /** The lines that show it, in log order. */
  evidence: Ev[];
  /** What this particular log shows, when it adds to the cause's general explanation. */
  detail?: string;
  /** Set by the ranking (chain.ts): the cause in the same session that led to this one. */
  explainedBy?: string;
}

/** One mechanism. */
export interface Rule {
  /** File-level name, for tests and docs. */
  name: string;
  /** Event kinds the rule looks at; it is skipped for sessions with none of them. */
  needs: readonly EvKind[];
  check(s: Session): RuleHit[];
}

/** Evidence helper: distinct events in log order. */
export function evidence(...groups: (Ev | undefined | Ev[])[]): Ev[] {
  const out = new Set<Ev>();
  for (const g of groups) {
    if (!g) continue;
    if (Array.isArray(g)) for (const e of g) out.add(e);
    else out.add(g);
  }
  const list = [...out];
  // Usually already in log order (groups are passed in order): then no sort,
  // whose work array is allocated for every call.
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1]!;
    const b = list[i]!;
    if (a.file > b.file || (a.file === b.file && a.line > b.line)) return list.sort((x, y) => x.file - y.file || x.line - y.line);
  }
  return list;
}

/** True when IPCP came up (the session carried traffic). */
export function ipUp(s: Session): boolean {
  return s.has('ip-local') || s.has('ip-remote');
}
