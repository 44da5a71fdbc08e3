/**
 * A hostile lab whose server knows no user locally: chap-secrets holds only
 * `nobody`, so every login goes through the RADIUS server named here (CHAP,
 * no MPPE, L2TP only). For the black-box tests of the RADIUS auth path.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSecretLine } from '../../../src/config/chap-secrets.js';
import type { HostileOpts } from './harness.js';

export interface RadiusOnlyServer {
  opts: HostileOpts;
  cleanup(): void;
}

/** The lab options and the temporary chap-secrets for a server whose only backend is RADIUS at 127.0.0.1 (in its namespace). */
export function radiusOnlyServer(r: { port: number; acctPort: number; secret: string; timeoutMs: number; retries: number }): RadiusOnlyServer {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-hostile-radius-'));
  const secrets = join(dir, 'chap-secrets');
  writeFileSync(secrets, `${formatSecretLine('nobody', '*', 'unused-secret', '*')}\n`, { mode: 0o600 });
  return {
    opts: {
      protocols: ['l2tp'],
      serverArgs: ['--chap-secrets', secrets],
      extra: {
        auth: { backends: ['radius'] },
        radius: { servers: [{ address: '127.0.0.1', port: r.port, acctPort: r.acctPort, secret: r.secret }], timeoutMs: r.timeoutMs, retries: r.retries },
        ppp: { authProtocols: ['chap'], mppe: { mode: 'refuse', l2tpMode: 'refuse' } },
      },
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
