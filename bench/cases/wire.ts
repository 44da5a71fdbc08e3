/** Baseline numbers for the byte reader/writer every codec uses. */
import { Reader } from '../../src/wire/reader.js';
import { Writer } from '../../src/wire/writer.js';
import { opsPerSecond, type BenchCase } from '../types.js';

export const benchmarks: BenchCase[] = [
  {
    name: 'wire',
    async run() {
      const buf = new Uint8Array(1500).map((_, i) => i);
      const w = new Writer(1500);
      const readOps = opsPerSecond(() => {
        const r = new Reader(buf);
        let s = 0;
        while (r.remaining >= 4) s ^= r.u32();
        if (s === -1) throw new Error('unreachable');
      });
      const writeOps = opsPerSecond(() => {
        w.pos = 0;
        for (let i = 0; i < 375; i++) w.u32(i);
      });
      return [
        { bench: 'wire', metric: 'Reader u32 over 1500 B', value: (readOps * 1500) / 1e6, unit: 'MB/s', note: 'baseline for codec figures' },
        { bench: 'wire', metric: 'Writer u32 into 1500 B', value: (writeOps * 1500) / 1e6, unit: 'MB/s', note: 'baseline for codec figures' },
      ];
    },
  },
];
