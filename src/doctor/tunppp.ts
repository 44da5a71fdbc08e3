/**
 * tunppp's own log lines (src/log/logger.ts): text lines `[level: ]message
 * key=value… event=id` or pino JSON. Every line of a call carries `peer=`;
 * lines of the PPP link also carry `link=N`, unique per server process.
 * Control-connection lines (event control-start / control-end) carry only
 * the peer, and one client address may hold many calls at once, so a
 * control connection is paired with its link the way pptpd is paired with
 * pppd: first started, first linked (control-start → the next new link from
 * that peer), and control-end closes the oldest call of that peer whose link
 * already went down.
 */

/** Routes tunppp lines to session keys. */
export class TunpppRouter {
  private n = 0;
  private readonly linkSub = new Map<string, string>();
  private readonly waiting = new Map<string, string[]>();
  private readonly open = new Map<string, string[]>();
  private readonly down = new Set<string>();

  /** The session key for a line with these fields. */
  route(pid: number, kv: Record<string, string>): string {
    const peer = kv.peer;
    const link = kv.link ?? kv.session;
    const p = `${pid}|${peer ?? ''}`;
    if (kv.event === 'control-start' && !link) {
      const sub = `tunppp${pid}|c${++this.n}`;
      this.push(this.waiting, p, sub);
      this.push(this.open, p, sub);
      return sub;
    }
    if (link !== undefined) {
      const lk = `${pid}|${link}`;
      let sub = this.linkSub.get(lk);
      if (!sub) {
        sub = this.waiting.get(p)?.shift() ?? `tunppp${pid}|l${link}`;
        this.linkSub.set(lk, sub);
        if (this.linkSub.size > 100_000) this.linkSub.clear();
      }
      if (kv.event === 'link-down') this.down.add(sub);
      return sub;
    }
    const list = this.open.get(p);
    if (kv.event === 'control-end' || kv.event === 'tunnel-down') {
      if (list?.length) {
        const i = Math.max(0, list.findIndex((x) => this.down.has(x)));
        const [sub] = list.splice(i, 1);
        this.down.delete(sub!);
        const w = this.waiting.get(p);
        if (w) this.waiting.set(p, w.filter((x) => x !== sub));
        return sub!;
      }
      return `tunppp${pid}|${peer ?? ''}`;
    }
    return list?.[list.length - 1] ?? `tunppp${pid}|${peer ?? ''}`;
  }

  private push(m: Map<string, string[]>, k: string, v: string): void {
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(v);
    if (l.length > 10_000) l.shift();
  }
}
