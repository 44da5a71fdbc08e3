/**
 * Two tunppp servers on one FreeRADIUS with rlm_sqlippool on PostgreSQL
 * (test/radius/sqlippool.ts), each in its namespace with its own
 * NAS-IP-Address and NAS-Identifier: PPTP on server A, L2TP on server B,
 * one pool of four addresses in radippool.
 *
 * Four clients get four distinct addresses from that pool; a fifth is refused
 * with FreeRADIUS's "pool exhausted"; the radippool rows name the right NAS,
 * user and NAS-Port, and radacct has one open row per session with a unique
 * Acct-Session-Id. A client leaving frees its lease (Stop) and the fifth gets
 * it; server B stopping frees its leases (Accounting-Off); server A killed
 * with SIGKILL and started again frees its leases and closes its sessions
 * (Accounting-On), and its clients with --reconnect come back with leases.
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { NetnsLab, netnsSkipReason } from '../io/netns.js';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { appendProcLogs, Proc, tcpTransfer, waitConnected, writeServerConfig, type Connected } from '../e2e/harness.js';
import { sqlIppoolMissing, startSqlIppoolRadius, type Lease, type SqlIppoolRadius } from './sqlippool.js';

const skip = netnsSkipReason() ?? sqlIppoolMissing();
const skipRadclient = skip ?? (spawnSync('radclient', ['-v'], { stdio: 'ignore' }).error ? 'radclient is not installed (apt-get install freeradius-utils)' : undefined);

const POOL = ['10.99.0.10', '10.99.0.11', '10.99.0.12', '10.99.0.13'];
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5'];
const pw = (u: string): string => `pw ${u}`;

/** Polls `read` until `ok` holds (bounded); returns the last value. */
async function until<T>(read: () => T, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v, null, 1)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `tunppp doctor`'s most likely cause for what a process logged. */
const doctorCause = (p: Proc): string | undefined => analyzeTexts([{ name: 'log', text: `${p.out}${p.err}` }]).findings[0]?.cause;

/** The first line a process printed that holds `text`. */
const lineWith = (p: Proc, text: string): string | undefined => `${p.out}\n${p.err}`.split('\n').find((l) => l.includes(text));

const active = (ls: Lease[]): Lease[] => ls.filter((l) => l.active);

/** Server A (PPTP, NAS 10.210.1.1) and B (L2TP, NAS 10.210.2.1) on FreeRADIUS in namespace r; client i in its own namespace on A or B. */
interface TwoServers {
  lab: NetnsLab;
  /** The namespaces: FreeRADIUS's, the servers', the clients'. */
  ns: { r: string; a: string; b: string; clients: string[] };
  procs: Proc[];
  radius: SqlIppoolRadius;
  serverA: Proc;
  serverB: Proc;
  /** Starts server A or B again (after a stop or a kill). */
  restart(which: 'a' | 'b'): Promise<Proc>;
  /** `tunppp connect` from client i as `user` (default USERS[i]). */
  connect(i: number, user?: string, args?: string[]): Proc;
}

/** Runs `fn` with two servers on one sqlippool FreeRADIUS; clients `onA[i]` on A, the others on B. Cleans up everything. */
async function withTwoServers(onA: boolean[], radiusExtra: { users?: string; session?: string }, fn: (t: TwoServers) => Promise<void>): Promise<void> {
  const lab = new NetnsLab();
  const procs: Proc[] = [];
  const cfgs: ReturnType<typeof writeServerConfig>[] = [];
  let radius: SqlIppoolRadius | undefined;
  try {
    const r = lab.ns();
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'veth-r', '10.210.1.1/24', r, 'veth-a', '10.210.1.2/24');
    lab.link(b, 'veth-r', '10.210.2.1/24', r, 'veth-b', '10.210.2.2/24');
    const clients = onA.map(() => lab.ns());
    clients.forEach((c, i) => lab.link(onA[i] ? a : b, `veth-c${i + 1}`, `10.211.${i + 1}.1/24`, c, 'veth-s', `10.211.${i + 1}.2/24`));
    radius = await startSqlIppoolRadius({
      netns: r,
      listenAddress: '*',
      clientAddress: '10.210.0.0/16',
      pool: 'shared',
      addresses: POOL,
      users: (radiusExtra.users ?? '') + USERS.map((u) => `${u} Cleartext-Password := "${pw(u)}"\n`).join('\n'),
      ...(radiusExtra.session !== undefined ? { sections: { session: radiusExtra.session } } : {}),
    });
    const fr = radius.fr;
    const serverConfig = (name: 'a' | 'b', nasIp: string, radiusIp: string, proto: 'pptp' | 'l2tp'): ReturnType<typeof writeServerConfig> => {
      const n = name === 'a' ? 1 : 2;
      const cfg = writeServerConfig({
        listen: '0.0.0.0',
        local: `10.98.${n}.1`,
        ranges: [`10.98.${n}.10-10.98.${n}.11`],
        users: [['nobody', 'unused']],
        extra: {
          listen: proto === 'pptp' ? { pptp: { addresses: ['0.0.0.0'] }, l2tp: { enabled: false } } : { pptp: { enabled: false }, l2tp: { addresses: ['0.0.0.0'] } },
          auth: { backends: ['radius'] },
          radius: {
            servers: [{ address: radiusIp, port: fr.authPort, acctPort: fr.acctPort, secret: fr.secret }],
            accounting: true,
            nasIdentifier: `tunppp-${name}`,
            nasIpAddress: nasIp,
            timeoutMs: 1000,
            retries: 2,
            disconnect: { enabled: true, address: '0.0.0.0' },
          },
        },
      });
      cfgs.push(cfg);
      return cfg;
    };
    const cfg = { a: serverConfig('a', '10.210.1.1', '10.210.1.2', 'pptp'), b: serverConfig('b', '10.210.2.1', '10.210.2.2', 'l2tp') };
    const start = async (which: 'a' | 'b'): Promise<Proc> => {
      const p = new Proc(which === 'a' ? a : b, ['serve', '--config', cfg[which].config]);
      procs.push(p);
      await p.waitFor(which === 'a' ? /serving on pptp 0\.0\.0\.0:1723/ : /serving on l2tp 0\.0\.0\.0:1701/);
      return p;
    };
    const serverA = await start('a');
    const serverB = await start('b');
    // Accounting-On from both before any login (sqlippool clears each NAS's leases on it).
    await until(() => fr.output(), (o) => (o.match(/Acct-Status-Type = Accounting-On/g) ?? []).length >= 2, 'two Accounting-On');
    let tunSeq = 0;
    const connect = (i: number, user = USERS[i]!, args: string[] = []): Proc => {
      const p = new Proc(clients[i]!, ['connect', `${onA[i] ? 'pptp' : 'l2tp'}://${user}@10.211.${i + 1}.1`, '--tun', `tsp${i + 1}${tunSeq++}`, ...args], { TUNPPP_PASSWORD: pw(user) });
      procs.push(p);
      return p;
    };
    await fn({ lab, ns: { r, a, b, clients }, procs, radius, serverA, serverB, restart: start, connect });
  } catch (err) {
    appendProcLogs(err, procs, { out: 3000, err: 6000 });
    if (err instanceof Error && radius) err.message += `\n--- FreeRADIUS\n${radius.fr.output().slice(-6000)}`;
    throw err;
  } finally {
    for (const p of procs) await p.stop('SIGKILL');
    await radius?.stop();
    lab.cleanup();
    for (const c of cfgs) c.cleanup();
  }
}

test('two servers, one sqlippool of four: four clients (PPTP on A, L2TP on B) get distinct leases, the fifth is refused "pool exhausted"; Stop, Accounting-Off and Accounting-On after kill -9 free the leases; --reconnect clients come back with fresh leases', { skip, timeout: 240_000 }, async () => {
  // u1, u2, u5 on A (PPTP); u3, u4 on B (L2TP).
  const onA = [true, true, false, false, true];
  await withTwoServers(onA, {}, async ({ radius, serverA, serverB, restart, connect }) => {
    const fr = radius.fr;
    const up: Connected[] = [];
    // u1 reconnects by itself when its server goes away (checked after the kill -9 below).
    for (const i of [0, 1, 2, 3]) up.push(await waitConnected(connect(i, USERS[i], i === 0 ? ['--reconnect'] : []), 30_000));
    const addrs = up.map((c) => c.address);
    assert.equal(new Set(addrs).size, 4, `distinct addresses: ${addrs.join(', ')}`);
    for (const x of addrs) assert.ok(POOL.includes(x), `${x} is from the shared pool`);

    // The fifth: FreeRADIUS rejects it, tunppp passes the reason on.
    const fifth = connect(4);
    await fifth.waitFor(/pool exhausted/, 30_000);
    process.stderr.write(`fifth client: ${lineWith(fifth, 'pool exhausted')}\n`);
    assert.equal(doctorCause(fifth), 'ip-pool-exhausted', 'tunppp doctor on the client\'s log');
    await serverA.waitFor(/RADIUS rejected u5/);

    // radippool: four live leases, each with its server's NAS-IP-Address, user and Calling-Station-Id.
    const leases = await until(() => radius.leases(), (ls) => active(ls).length === 4 && active(ls).every((l) => l.user !== ''), 'four leases');
    for (const [i, c] of up.entries()) {
      const l = leases.find((x) => x.address === c.address)!;
      assert.equal(l.user, USERS[i]);
      assert.equal(l.nasIp, onA[i] ? '10.210.1.1' : '10.210.2.1');
      assert.equal(l.callingStationId, `10.211.${i + 1}.2`);
    }
    // radacct: one open row per session, the Acct-Session-Ids distinct across both servers.
    const rows = await until(() => radius.acct(), (rs) => rs.filter((x) => !x.stopped).length === 4, 'four Start rows');
    assert.equal(new Set(rows.map((x) => x.sessionId)).size, rows.length);
    for (const [i, c] of up.entries()) assert.ok(rows.some((x) => x.user === USERS[i] && x.framedIp === c.address && x.nasIp === (onA[i] ? '10.210.1.1' : '10.210.2.1')), `radacct row of ${USERS[i]}`);

    // u2 leaves: Stop frees its lease; the fifth now gets exactly that address.
    assert.equal(await up[1]!.client.stop('SIGINT'), 0);
    await until(() => radius.leases(), (ls) => !ls.find((l) => l.address === up[1]!.address)!.active, `lease of ${up[1]!.address} freed by Stop`);
    await until(() => radius.acct(), (rs) => rs.some((x) => x.user === 'u2' && x.stopped && x.terminateCause === 'User-Request'), 'Stop row of u2');
    await fifth.stop('SIGKILL');
    const again = await waitConnected(connect(4, 'u5', ['--reconnect']), 30_000);
    assert.equal(again.address, up[1]!.address, 'the freed address');

    // Server B stops cleanly: Accounting-Off frees both of its leases.
    assert.equal(await serverB.stop('SIGTERM'), 0);
    const afterOff = await until(() => radius.leases(), (ls) => active(ls).every((l) => l.nasIp !== '10.210.2.1'), 'leases of B freed by Accounting-Off');
    assert.equal(active(afterOff).length, 2, 'A\'s two leases stay');
    assert.match(fr.output(), /Acct-Status-Type = Accounting-Off/);

    // Server A dies (SIGKILL: no Stop, no Accounting-Off); its leases stay until it starts again.
    const openOnA = radius.acct().filter((x) => x.nasIp === '10.210.1.1' && !x.stopped).map((x) => x.sessionId);
    assert.equal(openOnA.length, 2);
    await serverA.stop('SIGKILL');
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(active(radius.leases()).filter((l) => l.nasIp === '10.210.1.1').length, 2, 'a dead NAS keeps its leases');
    const ons = (fr.output().match(/Acct-Status-Type = Accounting-On/g) ?? []).length;
    await restart('a');
    await until(() => fr.output(), (o) => (o.match(/Acct-Status-Type = Accounting-On/g) ?? []).length > ons, 'Accounting-On after the restart');
    // Its Accounting-On closed the sessions it had; u1 and u5 (--reconnect) came back and hold fresh leases from the pool.
    await until(() => radius.acct(), (rs) => openOnA.every((id) => rs.find((x) => x.sessionId === id)!.stopped), 'the killed server\'s sessions closed by its Accounting-On');
    const connects = (p: Proc): number => (`${p.out}${p.err}`.match(/connected: address/g) ?? []).length;
    for (const p of [up[0]!.client, again.client]) await until(() => connects(p), (n) => n >= 2, 'a reconnect', 60_000);
    const back = await until(() => radius.leases(), (ls) => active(ls).length === 2 && active(ls).every((l) => l.nasIp === '10.210.1.1' && ['u1', 'u5'].includes(l.user)), 'the two reconnected clients\' leases', 20_000);
    const reopened = radius.acct().filter((x) => !x.stopped);
    assert.deepEqual(reopened.map((x) => x.user).sort(), ['u1', 'u5']);
    for (const x of reopened) {
      assert.ok(!openOnA.includes(x.sessionId), 'new Acct-Session-Ids after the restart');
      assert.ok(active(back).some((l) => l.address === x.framedIp), `${x.user}'s address ${x.framedIp} is leased`);
    }
  });
});

test('Simultaneous-Use := 1 across servers (FreeRADIUS sql session, radacct): u1 on A, then u1 on B → refused "already logged in" on both sides; after u1 leaves A, B lets it in; B killed with SIGKILL → u1 refused on A until B restarts and its Accounting-On closes the session', { skip, timeout: 240_000 }, async () => {
  await withTwoServers([true, false], { users: 'DEFAULT Simultaneous-Use := 1\n\tFall-Through = Yes\n\n', session: '  sql' }, async ({ radius, serverA, serverB, restart, connect }) => {
    const openRows = (): number => radius.acct().filter((x) => x.user === 'u1' && !x.stopped).length;
    const onA = await waitConnected(connect(0, 'u1'), 30_000);
    await until(openRows, (n) => n === 1, 'the radacct row of u1 on A');
    // The second login, on the other server.
    const second = connect(1, 'u1');
    await second.waitFor(/already logged in/, 30_000);
    process.stderr.write(`second login: ${lineWith(second, 'already logged in')}\n`);
    assert.equal(doctorCause(second), 'auth-already-logged-in', 'tunppp doctor on the client\'s log');
    assert.equal(doctorCause(serverB), 'auth-already-logged-in', 'tunppp doctor on the server\'s log');
    await serverB.waitFor(/RADIUS rejected u1 \(mschap-v2\): You are already logged in - access denied/);
    await second.stop('SIGKILL');
    assert.equal(onA.client.exitCode, undefined, 'the first session is untouched');

    // u1 leaves A: its Stop closes the row, and B lets u1 in.
    assert.equal(await onA.client.stop('SIGINT'), 0);
    await until(openRows, (n) => n === 0, 'the Stop of u1 on A');
    const onB = await waitConnected(connect(1, 'u1'), 30_000);
    await until(openRows, (n) => n === 1, 'the radacct row of u1 on B');

    // B dies without a Stop: its row stays open, so A refuses u1 ...
    await serverB.stop('SIGKILL');
    await onB.client.stop('SIGKILL');
    const third = connect(0, 'u1');
    await third.waitFor(/already logged in/, 30_000);
    await serverA.waitFor(/RADIUS rejected u1 .*already logged in/);
    await third.stop('SIGKILL');
    // ... until B starts again: its Accounting-On closes every session it had, and A lets u1 in.
    await restart('b');
    await until(openRows, (n) => n === 0, 'the row closed by B\'s Accounting-On');
    await waitConnected(connect(0, 'u1'), 30_000);
  });
});

/** radclient from FreeRADIUS's namespace to a server's RFC 5176 port: the reply's code name and attributes as it prints them. */
function radclient(ns: string, server: string, type: 'coa' | 'disconnect', secret: string, attrs: string[]): string {
  const input = [...attrs, `Event-Timestamp = ${Math.floor(Date.now() / 1000)}`].join('\n') + '\n';
  const rc = spawnSync('ip', ['netns', 'exec', ns, 'radclient', '-x', '-r', '1', '-t', '3', `${server}:3799`, type, secret], { input, encoding: 'utf8', timeout: 20_000 });
  return `${rc.stdout}${rc.stderr}`;
}

const mbps = (r: { received: number; ms: number }): number => (r.received * 8) / (r.ms / 1000) / 1e6;

test('CoA from radclient to the right server of two: Mikrotik-Rate-Limit 2M/2M → TCP at most 2 Mbit/s + 15 %, "0/0" → unlimited again; a session on the other server or another NAS-Identifier → CoA-NAK 503 / 403; Session-Timeout from now ends the session; Disconnect-Request ends exactly the named one; a killed client ends with Lost-Carrier', { skip: skipRadclient, timeout: 240_000 }, async () => {
  await withTwoServers([true, false, true], {}, async ({ ns, radius, serverA, serverB, connect }) => {
    const secret = radius.fr.secret;
    const [u1, u2, u3] = [await waitConnected(connect(0), 30_000), await waitConnected(connect(1), 30_000), await waitConnected(connect(2), 30_000)];
    const rows = await until(() => radius.acct(), (rs) => rs.filter((x) => !x.stopped).length === 3, 'three Start rows');
    const sid = (user: string): string => rows.find((x) => x.user === user)!.sessionId;

    // Down to 2 Mbit/s on A, by Acct-Session-Id.
    let out = radclient(ns.r, '10.210.1.1', 'coa', secret, [`Acct-Session-Id = "${sid('u1')}"`, 'Mikrotik-Rate-Limit = "2M/2M"']);
    assert.match(out, /Received CoA-ACK/, out);
    await serverA.waitFor(/rate limit up 2 Mbit\/s, down 2 Mbit\/s \(CoA Mikrotik-Rate-Limit \\?"2M\/2M\\?"\)/);
    const limited = mbps(await tcpTransfer(ns.clients[0]!, ns.a, u1.address, 5201, 1_250_000));
    process.stderr.write(`CoA e2e: u1 down at 2M: ${limited.toFixed(2)} Mbit/s\n`);
    // At most the rate (+ burst); not starved. The lower side is left loose: TCP on a loaded machine is slower by itself.
    assert.ok(limited <= 2.3 && limited >= 1, `limited by CoA: ${limited.toFixed(2)} Mbit/s, expected at most 2.3`);
    // And back up.
    out = radclient(ns.r, '10.210.1.1', 'coa', secret, ['User-Name = "u1"', 'Mikrotik-Rate-Limit = "0/0"']);
    assert.match(out, /Received CoA-ACK/, out);
    await serverA.waitFor(/rate limit removed \(CoA Mikrotik-Rate-Limit \\?"0\/0\\?"\)/);
    const free = mbps(await tcpTransfer(ns.clients[0]!, ns.a, u1.address, 5202, 1_250_000));
    process.stderr.write(`CoA e2e: u1 down after "0/0": ${free.toFixed(2)} Mbit/s\n`);
    assert.ok(free > 4, `unlimited again: ${free.toFixed(2)} Mbit/s`);

    // The wrong server: u2 lives on B; A answers 503. B refuses a request for another NAS with 403.
    out = radclient(ns.r, '10.210.1.1', 'coa', secret, ['User-Name = "u2"', 'Session-Timeout = 5']);
    assert.match(out, /Received CoA-NAK/, out);
    assert.match(out, /Error-Cause = Session-Context-Not-Found/, out);
    out = radclient(ns.r, '10.210.2.1', 'coa', secret, ['User-Name = "u2"', 'NAS-Identifier = "tunppp-a"', 'Session-Timeout = 5']);
    assert.match(out, /Error-Cause = NAS-Identification-Mismatch/, out);

    // Session-Timeout 2 s from now on B ends u2's session, with that cause in radacct.
    out = radclient(ns.r, '10.210.2.1', 'coa', secret, ['User-Name = "u2"', 'Session-Timeout = 2']);
    assert.match(out, /Received CoA-ACK/, out);
    await serverB.waitFor(/link down: Session-Timeout/, 10_000);
    await u2.client.waitFor(/disconnected: /, 15_000);
    await until(() => radius.acct(), (rs) => rs.some((x) => x.user === 'u2' && x.stopped && x.terminateCause === 'Session-Timeout'), 'the Stop of u2 with Session-Timeout');

    // Disconnect-Request by Acct-Session-Id on A: u3 ends, u1 stays.
    out = radclient(ns.r, '10.210.1.1', 'disconnect', secret, [`Acct-Session-Id = "${sid('u3')}"`]);
    assert.match(out, /Received Disconnect-ACK/, out);
    await u3.client.waitFor(/disconnected: /, 15_000);
    await until(() => radius.acct(), (rs) => rs.some((x) => x.user === 'u3' && x.stopped && x.terminateCause === 'Admin-Reset'), 'the Stop of u3 with Admin-Reset');
    assert.equal(u1.client.exitCode, undefined, 'u1 is still connected');
    assert.equal(radius.acct().filter((x) => !x.stopped).map((x) => x.user).join(), 'u1');
    // u1's client dies (SIGKILL: no Call-Clear, the kernel closes its TCP): Stop with Lost-Carrier.
    await u1.client.stop('SIGKILL');
    await until(() => radius.acct(), (rs) => rs.some((x) => x.user === 'u1' && x.stopped && x.terminateCause === 'Lost-Carrier'), 'the Stop of u1 with Lost-Carrier');
  });
});
