/**
 * RADIUS setup at start: each configured server's shared secret (inline or
 * the first line of its secretFile) and its address (host names resolved
 * once). Errors are ConfigErrors naming the server and the fix.
 */
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';

/** A RADIUS server with its secret read and its address resolved. */
export interface RadiusEndpoint {
  address: string;
  port: number;
  acctPort: number;
  secret: string;
}

/** Reads secrets (secretFile: first line) and resolves host names. Throws ConfigError. */
export async function resolveRadiusServers(config: Config): Promise<RadiusEndpoint[]> {
  const out: RadiusEndpoint[] = [];
  for (const [i, s] of config.radius.servers.entries()) {
    let secret = s.secret;
    if (secret === undefined && s.secretFile !== undefined) {
      try {
        secret = (await readFile(s.secretFile, 'utf8')).split(/\r?\n/)[0]!.trim();
      } catch (err) {
        throw new ConfigError('CONFIG_VALUE', `cannot read RADIUS secret file: ${(err as Error).message}`, { file: s.secretFile }, `create it with the shared secret on the first line, or set radius.servers[${i}].secret`);
      }
      if (secret === '') throw new ConfigError('CONFIG_VALUE', 'RADIUS secret file is empty', { file: s.secretFile }, 'put the shared secret on its first line');
    }
    let address = s.address;
    if (isIP(address) === 0) {
      try {
        address = (await lookup(address)).address;
      } catch (err) {
        throw new ConfigError('CONFIG_VALUE', `cannot resolve RADIUS server ${s.address}: ${(err as Error).message}`, { file: '(config)' }, `check radius.servers[${i}].address`);
      }
    }
    out.push({ address, port: s.port, acctPort: s.acctPort, secret: secret! });
  }
  return out;
}
