/**
 * L2TP end to end with RADIUS: the LNS authenticates our LAC's MS-CHAPv2
 * through FreeRADIUS, MPPE-128 runs on the keys from MS-MPPE-Send/Recv-Key,
 * the address comes from Framed-IP-Address, and the Stop record holds the
 * byte counts the server logged. The PPTP twin is pptp-radius.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { appendProcLogs, Proc, tcpTransfer, writeServerConfig } from '../e2e/harness.js';
import { freeradiusMissing, startFreeRadius, type FreeRadius } from './freeradius.js';

const skip = netnsSkipReason() ?? freeradiusMissing();

test('l2tp + RADIUS e2e: MS-CHAPv2 via FreeRADIUS, MPPE-128 on RADIUS keys, Framed-IP, accounting Stop with the byte counts', { skip, timeout: 150_000 }, async () => {
  const lab = new NetnsLab();
  const procs: Proc[] = [];
  let fr: FreeRadius | undefined;
  let cfg: ReturnType<typeof writeServerConfig> | undefined;
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.202.0.1/24', c, 'veth-c', '10.202.0.2/24');
    fr = await startFreeRadius({ netns: s, users: 'bob Cleartext-Password := "l2tp radius"\n\tFramed-IP-Address = 192.168.81.17\n' });
    cfg = writeServerConfig({
      listen: '10.202.0.1',
      local: '192.168.81.1',
      ranges: ['192.168.81.10-192.168.81.20'],
      users: [['nobody', 'unused-secret']],
      extra: {
        listen: { pptp: { enabled: false }, l2tp: { addresses: ['10.202.0.1'] } },
        ppp: { mppe: { mode: 'require', l2tpMode: 'require', keyBits: [128] } },
        auth: { backends: ['radius'] },
        radius: {
          servers: [{ address: '127.0.0.1', port: fr.authPort, acctPort: fr.acctPort, secret: fr.secret }],
          accounting: true,
          nasIdentifier: 'tunppp-l2tp-e2e',
          timeoutMs: 1000,
          retries: 2,
        },
      },
    });
    // `extra` replaced the auth object: point it back at the secrets file.
    const json = JSON.parse(readFileSync(cfg.config, 'utf8')) as { auth: Record<string, unknown> };
    json.auth.chapSecrets = `${cfg.dir}/chap-secrets`;
    writeFileSync(cfg.config, JSON.stringify(json));

    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on l2tp 10\.202\.0\.1:1701/);
    const client = new Proc(c, ['connect', 'l2tp://bob@10.202.0.1', '--tun', 'tlr0', '--mppe', 'require'], { TUNPPP_PASSWORD: 'l2tp radius' });
    procs.push(client);
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+), MPPE (128-bit \w+)/);
    assert.equal(m[1], '192.168.81.17', 'address from Framed-IP-Address');
    assert.match(fr.output(), /MS-MPPE-Send-Key/);
    run('ip', ['netns', 'exec', c, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.168.81.1'], 20_000);
    const up = await tcpTransfer(s, c, '192.168.81.1', 5021, 500_000);
    assert.equal(up.received, 500_000);
    assert.equal(await client.stop('SIGINT'), 0);
    const ended = await server.waitFor(/link down: .*Sent (\d+) bytes, received (\d+) bytes/);
    const received = Number(ended[2]);
    const deadline = Date.now() + 10_000;
    let stop: string | undefined;
    while (stop === undefined) {
      stop = fr.detail().split(/\n\n+/).find((r) => /Acct-Status-Type = Stop/.test(r));
      if (stop === undefined && Date.now() > deadline) throw new Error(`no Stop record:\n${fr.detail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(stop, /User-Name = "bob"/);
    assert.match(stop, new RegExp(`Acct-Input-Octets = ${received}\\n`));
    assert.match(stop, /Framed-IP-Address = 192\.168\.81\.17/);
  } catch (err) {
    appendProcLogs(err, procs);
    if (fr) (err as Error).message += `\n--- freeradius\n${fr.output().slice(-3000)}`;
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    await fr?.stop();
    lab.cleanup();
    cfg?.cleanup();
  }
});
