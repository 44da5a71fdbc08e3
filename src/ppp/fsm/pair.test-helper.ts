/** Test helper: runs two control protocols against each other over a perfect link until quiet. */
import type { ControlProtocol, CpOutput } from './protocol.js';

export function runPair<E>(a: ControlProtocol<E>, b: ControlProtocol<E>, now = 0): { a: CpOutput<E>[]; b: CpOutput<E>[] } {
  const log = { a: [] as CpOutput<E>[], b: [] as CpOutput<E>[] };
  let oa: CpOutput<E>[] = [];
  let ob: CpOutput<E>[] = [];
  a.open(now, oa); a.lowerUp(now, oa);
  b.open(now, ob); b.lowerUp(now, ob);
  for (let i = 0; i < 200 && (oa.length || ob.length); i++) {
    const na: CpOutput<E>[] = [];
    const nb: CpOutput<E>[] = [];
    for (const o of oa) if (o.kind === 'send') b.receive(o.bytes, now, nb);
    for (const o of ob) if (o.kind === 'send') a.receive(o.bytes, now, na);
    log.a.push(...oa);
    log.b.push(...ob);
    oa = na;
    ob = nb;
  }
  return log;
}
