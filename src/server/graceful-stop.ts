/**
 * The graceful stop both services run: every link gets an LCP
 * Terminate-Request, then after a short pause (for the Terminate-Acks and
 * the call clearing they trigger) the control plane is told to stop
 * (Stop-Control-Connection-Request, StopCCN), and we wait until the peers
 * have acknowledged or `graceMs` has passed. The caller closes its sockets
 * afterwards.
 */

/** What one service does at each step. */
export interface GracefulStopSteps {
  /** LCP Terminate-Request on every link, and flush. */
  closeLinks(): void;
  /** Stop every control connection or tunnel. */
  stopControl(): void;
  /** True while a peer has not acknowledged the stop. */
  pending(): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the steps; resolves when every peer acknowledged, or after about graceMs + min(300, graceMs). */
export async function gracefulStop(steps: GracefulStopSteps, graceMs: number): Promise<void> {
  steps.closeLinks();
  await sleep(Math.min(300, graceMs));
  steps.stopControl();
  const deadline = Date.now() + graceMs;
  while (steps.pending() && Date.now() < deadline) await sleep(50);
}
