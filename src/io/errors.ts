/**
 * Errors of the I/O edge. The native addon throws plain Errors whose `code` is
 * the errno name; `fromNativeError` sorts them into VpnError subclasses with a
 * stable code and a hint that names the fix (STYLE.md §5).
 */
import { constants as osConstants } from 'node:os';
import { IoError, LocalUsageError, type VpnError } from '../core/errors.js';

/**
 * How to grant the capabilities without root: the systemd unit's ambient
 * capabilities (packaging/tunppp.service), not `setcap` on the node binary,
 * which would hand them to every node program on the host.
 */
const UNIT_CAPS =
  'under systemd give the service `AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW` and `CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW` ' +
  '(packaging/tunppp.service; docs/operations.md) — not `setcap` on the node binary, which would give every node program those rights';
/** Hint for a missing CAP_NET_RAW (raw GRE socket). */
export const HINT_NET_RAW =
  `raw GRE sockets need CAP_NET_RAW: run as root, or ${UNIT_CAPS}; in Docker add \`--cap-add NET_RAW --cap-add NET_ADMIN\``;
/** Hint for a missing CAP_NET_ADMIN (TUN creation, interface configuration). */
export const HINT_NET_ADMIN =
  `creating and configuring a TUN device needs CAP_NET_ADMIN: run as root, or ${UNIT_CAPS}; in Docker add \`--cap-add NET_ADMIN --device /dev/net/tun\``;
/** Hint for a /dev/net/tun this user may not open. */
export const HINT_TUN_ACCESS =
  '/dev/net/tun is not readable and writable by this user: run as root, or `chmod 0666 /dev/net/tun` ' +
  `(creating a device still needs CAP_NET_ADMIN: ${UNIT_CAPS}); ` +
  'in Docker add `--cap-add NET_ADMIN --device /dev/net/tun`';
/** Hint for a missing /dev/net/tun. */
export const HINT_NO_TUN =
  'no /dev/net/tun: load the driver with `modprobe tun` (or create the node: `mkdir -p /dev/net && mknod /dev/net/tun c 10 200`); ' +
  'in Docker add `--cap-add NET_ADMIN --device /dev/net/tun`';

/** The addon is missing or could not be loaded. */
export class NativeAddonError extends IoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(
      'NATIVE_ADDON',
      message,
      'run `npm rebuild` in the tunppp directory: node-gyp compiles native/*.c into build/Release/tunppp.node ' +
        'at install and needs python3, make and a C compiler (Debian: `apt-get install python3 make g++`)',
      options,
    );
  }
}

/** What a failed system call left behind, kept on the errors below. */
export interface SyscallFailure {
  /** errno name, e.g. 'EPERM'. */
  readonly errno: string | undefined;
  /** The failing call, e.g. 'socket', 'ioctl(TUNSETIFF)'. */
  readonly syscall: string | undefined;
}

/** The raw GRE socket could not be opened or set up. */
export class RawSocketError extends IoError implements SyscallFailure {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  constructor(message: string, f: SyscallFailure, hint?: string, options?: { cause?: unknown }) {
    super('RAW_SOCKET', message, hint, options);
    this.errno = f.errno;
    this.syscall = f.syscall;
  }
}

/** A UDP socket (native/udp.c) could not be opened or bound. */
export class UdpSocketError extends IoError implements SyscallFailure {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  constructor(message: string, f: SyscallFailure, hint?: string, options?: { cause?: unknown }) {
    super('UDP_SOCKET', message, hint, options);
    this.errno = f.errno;
    this.syscall = f.syscall;
  }
}

/** The TUN device could not be opened or attached. */
export class TunOpenError extends IoError implements SyscallFailure {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  constructor(message: string, f: SyscallFailure, hint?: string, options?: { cause?: unknown }) {
    super('TUN_OPEN', message, hint, options);
    this.errno = f.errno;
    this.syscall = f.syscall;
  }
}

/** MTU, address or flags of an interface could not be set. */
export class TunConfigError extends IoError implements SyscallFailure {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  constructor(message: string, f: SyscallFailure, hint?: string, options?: { cause?: unknown }) {
    super('TUN_CONFIG', message, hint, options);
    this.errno = f.errno;
    this.syscall = f.syscall;
  }
}

/** The network namespace given in the options could not be entered. */
export class NetnsError extends IoError implements SyscallFailure {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  constructor(message: string, f: SyscallFailure, hint?: string, options?: { cause?: unknown }) {
    super('NETNS', message, hint, options);
    this.errno = f.errno;
    this.syscall = f.syscall;
  }
}

const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);

/** The errno name of a positive errno number ('EMSGSIZE'), or 'E<n>' when unknown. */
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `E${n}`;
}

/** The errno number of an errno name, or undefined. */
export function errnoNumber(name: string): number | undefined {
  return (osConstants.errno as Record<string, number>)[name];
}

/** Which operation failed, for choosing the error class and hint. */
export type NativeOp = 'gre-open' | 'udp-open' | 'tun-open' | 'if-configure';

function failure(err: unknown): SyscallFailure & { message: string; code: string | undefined } {
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    errno: typeof e?.code === 'string' && e.code.startsWith('E') ? e.code : undefined,
    syscall: typeof e?.syscall === 'string' ? e.syscall : undefined,
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

/**
 * Turns an error thrown by the addon during `op` into a VpnError subclass with
 * a hint. `what` names the object for the message ("GRE socket in netns x").
 */
export function fromNativeError(op: NativeOp, err: unknown, what: string): VpnError {
  const f = failure(err);
  if (f.code === 'ERR_TUNPPP_USAGE') return new LocalUsageError(`${what}: ${f.message}`);
  const msg = `${what}: ${f.message}`;
  const perm = f.errno === 'EPERM' || f.errno === 'EACCES';
  if (f.syscall === 'setns' || (f.syscall === 'open' && /\/netns\/|\/ns\/net/.test(f.message))) {
    const hint =
      f.errno === 'ENOENT'
        ? 'no such network namespace: create it with `ip netns add NAME` or pass a path such as /proc/PID/ns/net'
        : perm
          ? 'entering a network namespace needs CAP_SYS_ADMIN: run as root'
          : undefined;
    return new NetnsError(msg, f, hint, { cause: err });
  }
  if (op === 'gre-open') {
    const hint = perm ? HINT_NET_RAW : f.errno === 'EADDRNOTAVAIL' ? 'the bind address is not configured on any interface' : undefined;
    return new RawSocketError(msg, f, hint, { cause: err });
  }
  if (op === 'udp-open') {
    const hint = f.errno === 'EADDRINUSE' ? 'another socket holds this address and port' : f.errno === 'EADDRNOTAVAIL' ? 'the bind address is not configured on any interface' : perm ? 'ports below 1024 need CAP_NET_BIND_SERVICE: run as root' : undefined;
    return new UdpSocketError(msg, f, hint, { cause: err });
  }
  if (op === 'tun-open') {
    let hint: string | undefined;
    if (f.syscall === 'open' && (f.errno === 'ENOENT' || f.errno === 'ENODEV' || f.errno === 'ENXIO')) hint = HINT_NO_TUN;
    else if (perm) hint = f.syscall === 'open' ? HINT_TUN_ACCESS : HINT_NET_ADMIN;
    else if (f.errno === 'EBUSY') hint = 'the interface name is held by another TUN/TAP queue (use another name, or multiQueue on every queue)';
    else if (f.errno === 'EINVAL' && f.syscall === 'ioctl(TUNSETIFF)')
      hint = 'the name belongs to a device of another type, or its flags (multi-queue, vnet header) differ from this open';
    return new TunOpenError(msg, f, hint, { cause: err });
  }
  const hint = perm
    ? HINT_NET_ADMIN
    : f.errno === 'ENODEV'
      ? 'no interface with that name in this network namespace'
      : f.errno === 'EINVAL' && f.syscall === 'ioctl(SIOCSIFMTU)'
        ? 'the device refused this MTU (TUN accepts 68..65535)'
        : undefined;
  return new TunConfigError(msg, f, hint, { cause: err });
}
