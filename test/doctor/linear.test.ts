// The doctor's per-line parsing is linear in the line's length (issue 12,
// finding 1): a peer chooses text that lands in the log (a user name on a
// failed login, an L2TP Host Name), and `GET /doctor` parses that log.
// Proved by how the time grows with the size, never by an absolute timer:
// ×4 the text must cost well under ×16 (quadratic) the time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { splitKvTail } from '../../src/log/kv-tail.js';

/** Best of `runs` wall-clock runs, in ms. */
function time(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Times `run(make(reps))` for growing repetition counts: small steps first
 * (exponential backtracking shows there, within a few dozen repetitions,
 * before a size that would never finish), then ×4 steps up to `maxReps`.
 * Every step whose larger run takes ≥ 3 ms (measurable) must grow less than
 * 2.5 × the size ratio.
 */
function assertLinear(label: string, make: (reps: number) => string, run: (text: string) => void, maxReps: number): void {
  const big: number[] = [];
  for (let r = maxReps; r > 32; r = Math.floor(r / 4)) big.unshift(r);
  const reps = [4, 8, 12, 16, 20, 24, 28, 32, ...big];
  run(make(big[0] ?? 32)); // warm up: compiled code on every step
  let prev: { reps: number; ms: number; text: string } | undefined;
  const seen: string[] = [];
  for (const n of reps) {
    const text = make(n);
    let ms = time(() => run(text));
    seen.push(`${text.length} chars: ${ms.toFixed(2)} ms`);
    if (prev && ms >= 3) {
      const sizeRatio = n / prev.reps;
      let timeRatio = ms / Math.max(prev.ms, 0.05);
      // A garbage collection or another process in a run (CI shares the
      // cores): measure both again, best of more runs, up to three times.
      // Super-linear growth stays above the bound however often it is measured.
      for (let retry = 0; retry < 3 && timeRatio >= sizeRatio * 2.5; retry++) {
        const p = prev;
        const again = time(() => run(p.text), 7);
        ms = Math.min(ms, time(() => run(text), 7));
        timeRatio = ms / Math.max(Math.max(prev.ms, again), 0.05);
        seen.push(`  again: ${again.toFixed(2)} / ${ms.toFixed(2)} ms`);
      }
      assert.ok(timeRatio < sizeRatio * 2.5, `${label}: ×${sizeRatio.toFixed(2)} the text took ×${timeRatio.toFixed(1)} the time (linear: ×${sizeRatio.toFixed(2)})\n${seen.join('\n')}`);
    }
    prev = { reps: n, ms, text };
  }
}

const MIB_OF = (unit: string): number => Math.ceil((1 << 20) / unit.length);
const TUNPPP = '2026-11-24T18:55:00+0000 vpn1 tunppp[4242]: ';

test('splitKvTail: a 1 MiB line of ` a="` (and of `E=691 R=1 `) → time linear in its length', () => {
  for (const unit of [' a="', 'E=691 R=1 ', ' a=', ' a="\\"', ' "']) {
    assertLinear(`splitKvTail ${JSON.stringify(unit)}`, (n) => `x${unit.repeat(n)} `, (t) => splitKvTail(t), MIB_OF(unit));
  }
});

test('doctor: a tunppp line whose message or field is 1 MiB of ` a="` / `E=691 R=1 ` → time linear in its length', () => {
  const doctor = (text: string): void => void analyzeTexts([{ name: 'tunppp', text }]);
  for (const unit of [' a="', 'E=691 R=1 ']) {
    assertLinear(`message ${JSON.stringify(unit)}`, (n) => `${TUNPPP}warn: Peer${unit.repeat(n)} failed CHAP authentication (rejected) user=x event=auth-failed`, doctor, MIB_OF(unit));
    assertLinear(`message end ${JSON.stringify(unit)}`, (n) => `${TUNPPP}tunnel closed by the peer:${unit.repeat(n)} `, doctor, MIB_OF(unit));
    assertLinear(`field ${JSON.stringify(unit)}`, (n) => `${TUNPPP}warn: Peer x failed CHAP authentication (rejected) user="${unit.repeat(n)}" event=auth-failed`, doctor, MIB_OF(unit));
  }
});

test('doctor: pppd, xl2tpd and charon lines built from the literals their patterns look for → time linear in the line length', () => {
  const doctor = (text: string): void => void analyzeTexts([{ name: 'syslog', text }]);
  // Each: a line head, the text a pattern keys on, a unit repeated, a suffix that makes the match fail.
  const shapes: [string, string, string, string][] = [
    ['pppd', 'pppd ', '0.', ' '],
    ['pppd', 'authentication failed: E=', 'CHAP', ' '],
    ['pppd', 'CHAP peer authentication failed for ', 'a', ''],
    ['pppd', '', 'peer authentication failed for ', 'x '],
    ['pppd', 'x ', 'a', ' peer authentication succeeded'],
    ['pppd', 'ip-up ppp0 ', '1.', ' x'],
    ['pppd', 'sent [LCP ', 'a', ' '],
    ['pppd', 'Peer ', 'x failed ', ''],
    ['xl2tpd', 'Result code 1 ', 'Result code 1 ', ''],
    ['xl2tpd', 'peer closing for reason ', '1 (', ''],
    ['charon', '05[IKE] ', '<', ''],
    ['charon', '05[IKE] ', 'E=691 R=1 ', ' a="'],
  ];
  for (const [prog, lit, unit, suffix] of shapes) {
    const head = prog === 'charon' ? 'Nov 24 18:55:00 vpn1 charon: ' : `Nov 24 18:55:00 vpn1 ${prog}[77]: `;
    assertLinear(`${prog} ${JSON.stringify(lit + unit)}`, (n) => `${head}${lit}${unit.repeat(n)}${suffix}`, doctor, Math.ceil((1 << 18) / unit.length));
  }
});

test('doctor: wrapped and client-format lines (container prefixes, log show, Console, Windows events) of 1 MiB → time linear in the line length', () => {
  const doctor = (text: string): void => void analyzeTexts([{ name: 'pasted', text }]);
  // Each: a prefix, a unit repeated, a suffix.
  const shapes: [string, string, string][] = [
    ['', 'a', '  | x'],
    ['pptpd_1  | ', 'pptpd_1  | ', 'x'],
    ['\x1b[36m', '\x1b[', 'm'],
    ['[pod/', 'a]', ' x'],
    ['2024-03-02T10:08:54.', '1', 'Z x'],
    ['2024-03-02T10:08:54Z ', '2024-03-02T10:08:54Z ', 'x'],
    ['2024-03-02 10:08:54.513 Df ', 'p', '[1:2] x'],
    ['2024-03-02 10:08:54.513456-0800 0x1 Default 0x0 1 0 ', '(', ') x'],
    ['3/2/17 10:08:54.', '5', ' AM x'],
    ['CoId={', '1 ', '} 12'],
    ['', 'Error ', 'x'],
    ['', 'Fehlercode: ', 'x'],
    ['', 'VpnStrategy = ', 'x'],
    ['', 'WAN Miniport (', 'x'],
    ['', 'a: ', ''],
    ['{"MESSAGE":[', '65,', '65]}'],
  ];
  for (const [prefix, unit, suffix] of shapes) {
    assertLinear(`${JSON.stringify(prefix + unit)}`, (n) => `${prefix}${unit.repeat(n)}${suffix}`, doctor, Math.ceil((1 << 18) / unit.length));
  }
  // journalctl -o json-pretty: a record's lines are joined once
  assertLinear('json-pretty record', (n) => `{\n${'\t"A" : "b",\n'.repeat(Math.min(n, 390))}\t"MESSAGE" : "${'x'.repeat(n)}"\n}`, doctor, 1 << 18);
});
