/**
 * The worker thread that runs `tunppp doctor` for `GET /doctor` (see
 * doctor-runner.ts): the log it reads holds peer-chosen text, so the doctor
 * never runs on the server's event loop. Input: `workerData` (DoctorJob);
 * output: one message, the DoctorInfo.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeTexts } from '../doctor/analyze.js';
import { evidenceUser, localizeFix, type FixContext } from './doctor-fix.js';
import type { DoctorInfo } from './types.js';

/** What the runner sends. */
export interface DoctorJob {
  text: string;
  lines: number;
  year: number;
  maxEvidence: number;
  /** The running server's chap-secrets and PPP name, for the fix steps (doctor-fix.ts). */
  here?: FixContext;
}

/** The findings of the doctor on `job.text`, in the API's shape. */
export function doctorInfo(job: DoctorJob): DoctorInfo {
  const report = analyzeTexts([{ name: 'tunppp', text: job.text }], { year: job.year, maxEvidence: job.maxEvidence });
  return {
    lines: job.lines,
    findings: report.findings.map((f) => ({
      cause: f.cause,
      severity: f.severity,
      title: f.title,
      explanation: f.explanation,
      detail: f.detail,
      fix: job.here ? localizeFix(f.fix, job.here, evidenceUser(f.evidence.map((e) => e.text))) : f.fix.map((x) => ({ target: x.target, lines: x.lines })),
      evidence: f.evidence.map((e) => e.text),
    })),
    sessions: { total: report.summary.sessions, ok: report.summary.ok, failed: report.summary.failed, dropped: report.summary.dropped, open: report.summary.open },
  };
}

if (parentPort && workerData && typeof (workerData as DoctorJob).text === 'string') {
  parentPort.postMessage(doctorInfo(workerData as DoctorJob));
}
