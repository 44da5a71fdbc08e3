/**
 * What the interop case files share: one guest booted per file (before/after),
 * one-line results per case, and on failure the guest's log lines that
 * explain it appended to the error.
 */
import { after, before } from 'node:test';
import { guestImage, UmlLab, type Guest } from './uml.js';

/** The lines of a guest log that explain a PPTP/L2TP/PPP failure. */
export function relevantLogLines(log: string, max = 50): string {
  return log
    .split('\n')
    .filter((l) => /pptp|pppd|l2tp|xl2tpd|CTRL|GRE|LCP|error|fail|refus|timeout|tunnel|call|session/i.test(l))
    .slice(-max)
    .join('\n');
}

/** The context a case needs from node:test. */
export interface CaseContext {
  skip(message?: string): void;
  diagnostic(message: string): void;
}

/** A guest shared by the cases of one file. */
export interface GuestSuite {
  /** Runs one case: prints "interop PASS|FAIL <name>: …", adds the guest's logs to a failure. */
  runCase(t: CaseContext, name: string, body: (lab: UmlLab, g: Guest) => Promise<string>): Promise<void>;
}

/**
 * Registers before/after hooks that boot one guest for the enclosing
 * describe() and tear it down (namespace, TAP, guest) however the cases end.
 * `logs` is the guest command that prints the logs worth showing on failure.
 */
export function guestSuite(logs = 'cat /var/log/syslog /var/log/ppp*.log 2>/dev/null'): GuestSuite {
  let lab: UmlLab | undefined;
  let guest: Guest | undefined;
  let noImage: string | undefined;

  before(async () => {
    const { image, skip } = guestImage();
    if (!image) {
      noImage = skip;
      return;
    }
    lab = new UmlLab();
    try {
      guest = await lab.boot(image);
    } catch (e) {
      lab.cleanup();
      lab = undefined;
      throw e;
    }
  });

  after(async () => {
    try {
      await guest?.shutdown();
    } finally {
      lab?.cleanup();
    }
  });

  return {
    async runCase(t, name, body) {
      if (!lab || !guest) {
        t.skip(noImage);
        return;
      }
      const t0 = Date.now();
      try {
        const summary = await body(lab, guest);
        t.diagnostic(`interop PASS ${name}: ${summary} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        const out = await guest.run(logs, 10_000).catch(() => undefined);
        t.diagnostic(`interop FAIL ${name}: ${(e as Error).message.split('\n')[0]}`);
        if (out && e instanceof Error) e.message += `\n--- guest log lines ---\n${relevantLogLines(out.output)}`;
        throw e;
      }
    },
  };
}
