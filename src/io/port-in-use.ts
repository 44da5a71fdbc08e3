/**
 * "Address already in use" at start, the commonest first failure of a
 * migration: pptpd or xl2tpd (or an IPsec daemon, or another tunppp) still
 * holds the port. Turned into one line that names the port, the daemon that
 * usually holds it and how to stop it, with exit code 2 (cli/main.ts).
 */
import { IoError } from '../core/errors.js';

/** The daemons that usually hold a port tunppp wants. */
const HOLDERS: Record<string, { who: string; stop: string }> = {
  'tcp/1723': { who: 'pptpd', stop: 'systemctl stop pptpd' },
  'udp/1701': { who: 'xl2tpd', stop: 'systemctl stop xl2tpd' },
  'udp/500': { who: 'an IPsec daemon (charon/strongSwan or pluto/Libreswan)', stop: 'systemctl stop strongswan ipsec' },
  'udp/4500': { who: 'an IPsec daemon (charon/strongSwan or pluto/Libreswan)', stop: 'systemctl stop strongswan ipsec' },
};

/** A listen address and port another process holds. */
export class PortInUseError extends IoError {
  constructor(
    readonly proto: 'tcp' | 'udp',
    readonly address: string,
    readonly port: number,
    /** What the port is for when it is not a well-known one ('the API'). */
    what?: string,
  ) {
    const holder = HOLDERS[`${proto}/${port}`];
    const question = holder ? `is ${holder.who} still running?` : what ? `is another tunppp serve (or something else) using it for ${what}?` : 'is another daemon using it?';
    super(
      'PORT_IN_USE',
      `${proto.toUpperCase()} ${address}:${port} is in use — ${question}${holder ? ` (${holder.stop})` : ''}`,
      holder ? `stop it (${holder.stop}; \`ss -lnp${proto === 'tcp' ? 't' : 'u'}\` shows who holds it), then start tunppp again` : `\`ss -lnp${proto === 'tcp' ? 't' : 'u'}\` shows who holds it; stop that, or configure another address or port`,
    );
  }
}

/**
 * `err` as a PortInUseError when it is an EADDRINUSE bind failure, else
 * undefined. The address and port come from the error (node:net, node:dgram)
 * or its message (the addon's "UDP socket A:P"), else from `fallback`.
 */
export function asPortInUse(err: unknown, proto: 'tcp' | 'udp', fallback: { address: string; port: number }, what?: string): PortInUseError | undefined {
  if (err instanceof PortInUseError) return err;
  const e = err as { code?: unknown; errno?: unknown; address?: unknown; port?: unknown; message?: unknown } | null;
  if (!e || (e.code !== 'EADDRINUSE' && e.errno !== 'EADDRINUSE')) return undefined;
  let address = typeof e.address === 'string' ? e.address : undefined;
  let port = typeof e.port === 'number' ? e.port : undefined;
  if (address === undefined && typeof e.message === 'string') {
    const m = /(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})/.exec(e.message);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  return new PortInUseError(proto, address ?? fallback.address, port ?? fallback.port, what);
}
