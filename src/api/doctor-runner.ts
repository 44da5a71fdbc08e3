/**
 * `GET /doctor` off the event loop: the doctor reads the server's recent log,
 * which holds peer-chosen text (user names, Host Names), so it runs in a
 * worker thread with two caps. Over the input cap it does not start; over
 * the time cap the worker is terminated. Either way the API answers 503
 * with the reason, and sessions, keepalives and signals never wait for it
 * (issue 12: a 130-character user name once kept the server busy for 60 s).
 *
 * One run at a time: requests during a run share it.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FixContext } from './doctor-fix.js';
import type { DoctorJob } from './doctor-worker.js';
import type { DoctorInfo, DoctorOutcome } from './types.js';

/** Caps of a doctor run. */
export interface DoctorLimits {
  /** Largest log text (UTF-16 code units, about bytes) the doctor reads. Default 16 MiB. */
  maxInputChars?: number;
  /** Time a run may take, worker start included. Default 15 s. */
  timeoutMs?: number;
  /** Heap of the worker. Default 256 MB. */
  maxHeapMb?: number;
}


/**
 * The worker: the compiled doctor-worker.js in dist; from the sources (tests,
 * the e2e harness run `node --import tsx`), a bootstrap that registers tsx
 * in the worker first (Node 20 does not apply `--import` hooks to a worker's
 * entry module).
 */
function startWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./doctor-worker.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./doctor-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

/** Runs the doctor on `lines` in a worker thread, within `limits`; `here` names the running server's files in the fixes. Never rejects. */
export function runDoctor(lines: readonly string[], limits: DoctorLimits = {}, here?: FixContext): Promise<DoctorOutcome> {
  const maxInput = limits.maxInputChars ?? 16 << 20;
  const timeoutMs = limits.timeoutMs ?? 15_000;
  let size = 0;
  for (const l of lines) size += l.length + 1;
  if (size > maxInput) {
    return Promise.resolve({ ok: false, reason: `the recent log is ${size} characters, over the doctor's input cap of ${maxInput}; run \`tunppp doctor\` on the log file instead` });
  }
  const job: DoctorJob = { text: lines.join('\n'), lines: lines.length, year: new Date().getFullYear(), maxEvidence: 6, here };
  return new Promise<DoctorOutcome>((resolve) => {
    let done = false;
    const finish = (o: DoctorOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(o);
    };
    let worker: Worker;
    try {
      worker = startWorker({ workerData: job, resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb ?? 256 }, stdout: true, stderr: true });
    } catch (err) {
      done = true;
      resolve({ ok: false, reason: `cannot start the doctor's worker thread: ${(err as Error).message}` });
      return;
    }
    worker.unref();
    const timer = setTimeout(() => finish({ ok: false, reason: `the doctor took longer than ${timeoutMs} ms on the recent log and was stopped; run \`tunppp doctor\` on the log file instead` }), timeoutMs);
    timer.unref();
    worker.once('message', (info: DoctorInfo) => finish({ ok: true, info }));
    worker.once('error', (err) => finish({ ok: false, reason: `the doctor failed: ${err.message}` }));
    worker.once('exit', (code) => finish({ ok: false, reason: `the doctor's worker exited (code ${code}) without a report` }));
  });
}
