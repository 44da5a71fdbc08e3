/**
 * PPTP end to end with RADIUS: `tunppp serve` in one namespace with
 * auth.backends ["radius"] and accounting on, FreeRADIUS on that namespace's
 * loopback, `tunppp connect` in another. MS-CHAPv2 goes through FreeRADIUS,
 * MPPE-128 runs on the keys from MS-MPPE-Send/Recv-Key, the address comes
 * from Framed-IP-Address, and the Stop record holds the byte counts the
 * server logged. A second session is ended by radclient's Disconnect-Request
 * and its Stop says Admin-Reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, tcpTransfer, writeServerConfig } from '../e2e/harness.js';
import { freeradiusMissing, startFreeRadius, type FreeRadius } from './freeradius.js';

const skip =
  netnsSkipReason() ??
  freeradiusMissing() ??
  (spawnSync('radclient', ['-v'], { stdio: 'ignore' }).error ? 'radclient is not installed (apt-get install freeradius-utils)' : undefined);

test('pptp + RADIUS e2e: MS-CHAPv2 via FreeRADIUS, MPPE-128 on RADIUS keys, Framed-IP, accounting Start/Stop with the byte counts, radclient Disconnect-Request', { skip, timeout: 150_000 }, async () => {
  const lab = new NetnsLab();
  const procs: Proc[] = [];
  let fr: FreeRadius | undefined;
  let cfg: ReturnType<typeof writeServerConfig> | undefined;
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.201.0.1/24', c, 'veth-c', '10.201.0.2/24');
    fr = await startFreeRadius({
      netns: s,
      users: 'alice Cleartext-Password := "radius horse"\n\tFramed-IP-Address = 192.168.78.15,\n\tClass = "e2e"\n',
    });
    cfg = writeServerConfig({
      listen: '10.201.0.1',
      local: '192.168.78.1',
      ranges: ['192.168.78.10-192.168.78.20'],
      // chap-secrets knows only someone else: alice must come through RADIUS.
      users: [['nobody', 'unused-secret']],
      extra: {
        auth: { backends: ['radius'] },
        radius: {
          servers: [{ address: '127.0.0.1', port: fr.authPort, acctPort: fr.acctPort, secret: fr.secret }],
          accounting: true,
          nasIdentifier: 'tunppp-e2e',
          timeoutMs: 1000,
          retries: 2,
          disconnect: { enabled: true, address: '127.0.0.1' },
        },
      },
    });
    // writeServerConfig puts auth.chapSecrets in; `extra` replaced the auth object, so point it back.
    const { readFileSync, writeFileSync } = await import('node:fs');
    const json = JSON.parse(readFileSync(cfg.config, 'utf8')) as { auth: Record<string, unknown> };
    json.auth.chapSecrets = `${cfg.dir}/chap-secrets`;
    writeFileSync(cfg.config, JSON.stringify(json));

    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on pptp 10\.201\.0\.1:1723/);
    const client = new Proc(c, ['connect', 'pptp://alice@10.201.0.1', '--tun', 'tpr0'], { TUNPPP_PASSWORD: 'radius horse' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+), MPPE (128-bit \w+)/);
    assert.equal(m[1], '192.168.78.15', 'address from Framed-IP-Address');
    assert.match(fr.output(), /MS-CHAP2-Success/);
    assert.match(fr.output(), /MS-MPPE-Send-Key/);
    // MPPE on RADIUS keys: traffic only flows when both ends derived the same keys.
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);
    const up = await tcpTransfer(s, c, '192.168.78.1', 5011, 1_000_000);
    assert.equal(up.received, 1_000_000);
    const down = await tcpTransfer(c, s, '192.168.78.15', 5012, 300_000);
    assert.equal(down.received, 300_000);
    // Start is in the detail file while the link is up.
    const startDeadline = Date.now() + 10_000;
    while (!/Acct-Status-Type = Start/.test(fr.detail())) {
      if (Date.now() > startDeadline) throw new Error(`no Start record:\n${fr.detail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await client.stop('SIGINT'), 0);
    const down2 = await server.waitFor(/link down: .*Sent (\d+) bytes, received (\d+) bytes/);
    const sent = Number(down2[1]);
    const received = Number(down2[2]);
    assert.ok(received > 1_000_000 && sent > 300_000, `${sent} ${received}`);
    const stopDeadline = Date.now() + 10_000;
    let stop: string | undefined;
    while (stop === undefined) {
      stop = fr.detail().split(/\n\n+/).find((r) => /Acct-Status-Type = Stop/.test(r));
      if (stop === undefined && Date.now() > stopDeadline) throw new Error(`no Stop record:\n${fr.detail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(stop, /User-Name = "alice"/);
    assert.match(stop, new RegExp(`Acct-Input-Octets = ${received}\\n`));
    assert.match(stop, new RegExp(`Acct-Output-Octets = ${sent}\\n`));
    assert.match(stop, /Framed-IP-Address = 192\.168\.78\.15/);
    assert.match(stop, /NAS-Identifier = "tunppp-e2e"/);
    assert.match(stop, /Class = 0x653265/);
    assert.match(stop, /Acct-Terminate-Cause = User-Request/);

    // Second session, kicked by FreeRADIUS's radclient with a Disconnect-Request (RFC 5176).
    const client2 = new Proc(c, ['connect', 'pptp://alice@10.201.0.1', '--tun', 'tpr1'], { TUNPPP_PASSWORD: 'radius horse' });
    procs.push(client2);
    await client2.waitFor(/connected: address 192\.168\.78\.15/);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.78.1'], 20_000);
    const rc = spawnSync('ip', ['netns', 'exec', s, 'radclient', '-x', '-r', '2', '-t', '3', '127.0.0.1:3799', 'disconnect', fr.secret], {
      // Event-Timestamp: required by default (RFC 5176 §6.3 replay protection).
      input: `User-Name = "alice"\nFramed-IP-Address = 192.168.78.15\nEvent-Timestamp = ${Math.floor(Date.now() / 1000)}\n`,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(rc.status, 0, `radclient: ${rc.stdout}\n${rc.stderr}`);
    assert.match(rc.stdout, /Received Disconnect-ACK/);
    await client2.waitFor(/disconnected: /);
    await server.waitFor(/link down: Disconnect-Request/);
    const stopDeadline2 = Date.now() + 10_000;
    let stop2: string | undefined;
    while (stop2 === undefined) {
      stop2 = fr.detail().split(/\n\n+/).filter((r) => /Acct-Status-Type = Stop/.test(r))[1];
      if (stop2 === undefined && Date.now() > stopDeadline2) throw new Error(`no second Stop record:\n${fr.detail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(stop2, /Acct-Terminate-Cause = Admin-Reset/);
    assert.match(stop2, /Acct-Input-Octets = [1-9]\d*\n/);
  } catch (err) {
    appendProcLogs(err, procs);
    if (fr) (err as Error).message += `\n--- freeradius\n${fr.output().slice(-4000)}`;
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    await fr?.stop();
    lab.cleanup();
    cfg?.cleanup();
  }
});
