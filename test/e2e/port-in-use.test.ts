/**
 * A port another daemon holds (pptpd or xl2tpd still running, the commonest
 * first failure of a migration): `tunppp serve` says which port, who usually
 * holds it and how to stop it, exits 2, and prints no stack trace. The
 * "daemon" is a node process holding the port in the server's namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { netnsSkipReason } from '../io/netns.js';
import { e2eRun, type Proc } from './harness.js';

const skip = netnsSkipReason();

/** A node process in `ns` holding `proto` `addr:port`; resolves once it holds it. */
async function holdPort(ns: string, proto: 'tcp' | 'udp', addr: string, port: number): Promise<ChildProcess> {
  const js =
    proto === 'tcp'
      ? `require('net').createServer().listen(${port},'${addr}',()=>console.log('HELD'))`
      : `require('dgram').createSocket('udp4').bind(${port},'${addr}',()=>console.log('HELD'))`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `${js};setTimeout(()=>process.exit(0),60000)`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const t0 = Date.now();
  while (!out.includes('HELD')) {
    if (Date.now() - t0 > 10_000 || child.exitCode !== null) throw new Error(`could not hold ${proto} ${addr}:${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}

async function exitOf(p: Proc, timeoutMs = 20_000): Promise<number | null | undefined> {
  const t0 = Date.now();
  while (p.exitCode === undefined && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 50));
  return p.exitCode;
}

const cases = [
  { name: 'TCP 1723 (pptpd)', proto: 'tcp', port: 1723, extra: {}, args: [], re: /TCP 0\.0\.0\.0:1723 is in use — is pptpd still running\? \(systemctl stop pptpd\)/ },
  { name: 'UDP 1701 (xl2tpd)', proto: 'udp', port: 1701, extra: { listen: { pptp: { enabled: false }, l2tp: { enabled: true } } }, args: [], re: /UDP 0\.0\.0\.0:1701 is in use — is xl2tpd still running\? \(systemctl stop xl2tpd\)/ },
  { name: 'the API on TCP 127.0.0.1:8099', proto: 'tcp', port: 8099, extra: { listen: { pptp: { enabled: false }, l2tp: { enabled: true } } }, args: ['--api-listen', '127.0.0.1:8099'], re: /TCP 127\.0\.0\.1:8099 is in use — is another tunppp serve \(or something else\) using it for the API\?/ },
] as const;

for (const k of cases) {
  test(`serve: ${k.name} held by another process → one line naming it, exit 2, no stack trace`, { skip, timeout: 60_000 }, async () => {
    await e2eRun({ listen: '0.0.0.0', local: '192.168.79.1', ranges: ['192.168.79.10-192.168.79.20'], users: [['alice', 'pw']], extra: k.extra }, async (e2e) => {
      const s = e2e.lab.ns();
      const addr = k.port === 8099 ? '127.0.0.1' : '0.0.0.0';
      const holder = await holdPort(s, k.proto, addr, k.port);
      try {
        const server = e2e.serve(s, [...k.args, '--api-token-file', join(e2e.cfg.dir, 'token')]);
        assert.equal(await exitOf(server), 2, server.describe());
        assert.match(server.err, k.re);
        assert.doesNotMatch(server.err, /\n[ \t]+at /, 'no stack trace');
      } finally {
        holder.kill('SIGKILL');
      }
    });
  });
}
