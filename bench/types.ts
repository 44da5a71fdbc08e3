/** The shape of a benchmark case and of a row in `npm run bench`'s table. */

/** One line of the benchmark table. */
export interface BenchRow {
  bench: string;
  metric: string;
  value: number | string;
  unit: string;
  /** The target from the issue, as text (e.g. '>= 200'). */
  goal?: string;
  /** Baseline, ratio or caveat. */
  note?: string;
}

/** A named benchmark that measures and returns rows. */
export interface BenchCase {
  name: string;
  run(): Promise<BenchRow[]>;
}

/** Runs `fn` repeatedly for at least `minMs` and returns operations per second. */
export function opsPerSecond(fn: () => void, minMs = 500): number {
  // warm-up
  for (let i = 0; i < 100; i++) fn();
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return (n * 1000) / elapsed;
}
