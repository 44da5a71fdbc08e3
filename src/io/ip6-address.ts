/**
 * Link-local IPv6 addresses on the TUN device, with `ip -6 addr` (iproute2):
 * the address IPV6CP negotiated for our end (RFC 5072 §5) goes on the device
 * so the kernel answers the peer, as pppd does on its ppp unit. `nodad`: the
 * identifier was already checked for uniqueness on the link by IPV6CP.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../log/logger.js';

/**
 * A TunSide.onLinkLocal hook: adds or removes `address`/64 on `dev` in the
 * background; failures are logged (warn for add, debug for del: the device
 * may be gone already), never thrown.
 */
export function linkLocalAddresser(log: Logger): (op: 'add' | 'del', address: string, dev: string) => void {
  return (op, address, dev) => {
    const args = ['-6', 'addr', op, `${address}/64`, 'dev', dev, ...(op === 'add' ? ['nodad'] : [])];
    execFile('ip', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err) return;
      const why = (stderr || err.message).trim();
      if (op === 'add') log.warn('ipv6-address', `cannot put ${address} on ${dev} (ip ${args.join(' ')}): ${why}; IPv6 to this end of the link gets no answer`);
      else log.debug('ipv6-address', `ip ${args.join(' ')}: ${why}`);
    });
  };
}
