/**
 * Can this process do what the data plane needs? Checked before opening
 * anything so `serve` and `doctor` can say what is missing and how to fix it,
 * instead of failing on the first EPERM.
 */
import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { IoError } from '../core/errors.js';
import { HINT_NET_ADMIN, HINT_NET_RAW, HINT_NO_TUN, HINT_TUN_ACCESS, RawSocketError, TunOpenError } from './errors.js';

/** Capability bit numbers (linux/capability.h). */
export const CAP = { NET_ADMIN: 12, NET_RAW: 13, SYS_ADMIN: 21 } as const;

/** One thing that is missing, with the fix. */
export interface PrivilegeProblem {
  code: 'RAW_SOCKET' | 'TUN_OPEN';
  message: string;
  hint: string;
}

/** What the process may do. */
export interface PrivilegeReport {
  uid: number;
  capNetRaw: boolean;
  capNetAdmin: boolean;
  capSysAdmin: boolean;
  tunDevice: 'ok' | 'missing' | 'no-access';
  problems: PrivilegeProblem[];
}

/** Where the facts come from; tests pass their own. */
export interface PrivilegeSources {
  /** Contents of /proc/self/status. */
  procStatus(): string;
  uid(): number;
  /** State of the TUN clone device. */
  tunDevice(path: string): 'ok' | 'missing' | 'no-access';
}

/** The effective capability set from /proc/self/status, or undefined when absent. */
export function parseCapEff(status: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

const realSources: PrivilegeSources = {
  procStatus: () => readFileSync('/proc/self/status', 'utf8'),
  uid: () => process.getuid?.() ?? -1,
  tunDevice(path) {
    if (!existsSync(path)) return 'missing';
    try {
      accessSync(path, fsConstants.R_OK | fsConstants.W_OK);
      return 'ok';
    } catch {
      return 'no-access';
    }
  },
};

/** Reports the capabilities and TUN device the data plane needs. */
export function checkPrivileges(src: PrivilegeSources = realSources, tunPath = '/dev/net/tun'): PrivilegeReport {
  let caps: bigint | undefined;
  try {
    caps = parseCapEff(src.procStatus());
  } catch {
    caps = undefined;
  }
  const uid = src.uid();
  // Without /proc, assume root has everything and others nothing.
  const has = (bit: number): boolean => (caps === undefined ? uid === 0 : ((caps >> BigInt(bit)) & 1n) === 1n);
  const report: PrivilegeReport = {
    uid,
    capNetRaw: has(CAP.NET_RAW),
    capNetAdmin: has(CAP.NET_ADMIN),
    capSysAdmin: has(CAP.SYS_ADMIN),
    tunDevice: src.tunDevice(tunPath),
    problems: [],
  };
  if (!report.capNetRaw) report.problems.push({ code: 'RAW_SOCKET', message: 'no CAP_NET_RAW: the raw GRE socket cannot be opened', hint: HINT_NET_RAW });
  if (!report.capNetAdmin) report.problems.push({ code: 'TUN_OPEN', message: 'no CAP_NET_ADMIN: the TUN device cannot be created or configured', hint: HINT_NET_ADMIN });
  if (report.tunDevice === 'missing') report.problems.push({ code: 'TUN_OPEN', message: `${tunPath} does not exist`, hint: HINT_NO_TUN });
  else if (report.tunDevice === 'no-access')
    report.problems.push({ code: 'TUN_OPEN', message: `${tunPath} is not readable and writable by this user`, hint: HINT_TUN_ACCESS });
  return report;
}

/** Throws the first missing privilege among `need` as RawSocketError or TunOpenError. */
export function assertPrivileges(need: { gre?: boolean; tun?: boolean }, report: PrivilegeReport = checkPrivileges()): void {
  for (const p of report.problems) {
    if (p.code === 'RAW_SOCKET' && need.gre) throw new RawSocketError(p.message, { errno: 'EPERM', syscall: undefined }, p.hint);
    if (p.code === 'TUN_OPEN' && need.tun) {
      const errno = report.tunDevice === 'missing' ? 'ENOENT' : 'EPERM';
      throw new TunOpenError(p.message, { errno, syscall: undefined }, p.hint);
    }
  }
}

/** True when this error means "not allowed" rather than "broken" (for exit codes). */
export function isPermissionError(err: unknown): boolean {
  return err instanceof IoError && (err as { errno?: string }).errno !== undefined && ['EPERM', 'EACCES'].includes((err as { errno?: string }).errno!);
}
