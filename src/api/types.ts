/**
 * The JSON shapes of the local API (docs/operations.md documents them) and
 * the backend interface the HTTP layer calls. The HTTP layer (server.ts)
 * knows nothing about PPP; ops.ts implements the backend on a running server.
 */

/** One session in GET /sessions. */
export interface SessionInfo {
  id: number;
  protocol: 'pptp' | 'l2tp';
  state: 'starting' | 'up' | 'down';
  user: string | null;
  /** The client's outer (public) address. */
  clientAddress: string;
  /** The tunnel address the client was given. */
  assignedIp: string | null;
  localIp: string | null;
  auth: string | null;
  /** e.g. '128-bit stateless', or null without MPPE. */
  mppe: string | null;
  mtu: number;
  /** Seconds since the link came up (since the call started while negotiating). */
  uptimeS: number;
  /** ISO 8601. */
  startedAt: string;
  /** IP payload bytes from the client (in) and to it (out). */
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  /** The server's NAS-Identifier (radius.nasIdentifier), to tell servers apart when several are listed together. */
  nas: string | null;
  /** Where assignedIp came from: RADIUS (Framed-IP-Address, e.g. an sqlippool lease) or a local pool / chap-secrets. */
  addressFrom: 'radius' | 'local' | null;
  /** Acct-Session-Id, when RADIUS tracks the session. */
  acctSessionId: string | null;
  /** The rate limit in bits per second (null: that direction unlimited) and where it came from; null without one. */
  rateLimit: { upBps: number | null; downBps: number | null; source: string } | null;
}

/** What POST /reload (and SIGHUP) did. */
export type ReloadReport =
  | {
      ok: true;
      /** Files read. */
      sources: string[];
      users: number;
      /** Top-level settings that changed and now apply to new sessions. */
      applied: string[];
      /** Settings that changed but need a restart (listeners, pools, TUN); the running values stay. */
      needsRestart: string[];
      warnings: string[];
    }
  | { ok: false; error: string; hint?: string };

/** A recent failed authentication. */
export interface AuthFailureInfo {
  time: string;
  user: string | null;
  peer: string | null;
  protocol: string | null;
  reason: string;
  message: string;
}

/** GET /status. */
export interface StatusInfo {
  version: string;
  pid: number;
  startedAt: string;
  uptimeS: number;
  listening: { proto: string; address: string; port: number }[];
  tun: string;
  sessions: { total: number; up: number; starting: number };
  /** Byte/packet totals over every session since start. */
  totals: { bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number };
  authOk: number;
  authFailuresByReason: Record<string, number>;
  /** Server counters (ServerStats). */
  counters: Record<string, number>;
  /** Operations settings in effect. */
  ops: { masquerade: string | null; user: string | null; reloads: number; lastReload: string | null };
}

/** GET /doctor: `tunppp doctor` findings on the server's own recent log. */
export interface DoctorInfo {
  lines: number;
  findings: { cause: string; severity: string; title: string; explanation: string; detail: string | null; fix: { target: string; lines: string[] }[]; evidence: string[] }[];
  sessions: { total: number; ok: number; failed: number; dropped: number; open: number };
}

/** A `GET /doctor` run: the findings, or why there are none (a cap was hit: the API answers 503 with the reason). */
export type DoctorOutcome = { ok: true; info: DoctorInfo } | { ok: false; reason: string };

/** What the HTTP layer needs. */
export interface ApiBackend {
  sessions(): SessionInfo[];
  /** Starts disconnecting session `id`; resolves with its state afterwards, or undefined when unknown. */
  kick(id: number): Promise<{ id: number; ended: boolean } | undefined>;
  reload(): Promise<ReloadReport>;
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): StatusInfo;
  authFailures(): AuthFailureInfo[];
  /** The doctor on the recent log, run off the event loop with input and time caps (doctor-runner.ts). */
  doctor(): Promise<DoctorOutcome>;
  /** Recent log lines (text format), oldest first. */
  log(): string[];
}
