import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './main.js';
import { captureContext } from '../../test/helpers/cli-context.js';

const ctx = (): ReturnType<typeof captureContext> => captureContext();

async function run(...argv: string[]) {
  const c = ctx();
  const code = await runCli(['mtu', ...argv], c);
  return { code, out: c.out(), err: c.err() };
}

test('mtu --proto pptp: table, results and config lines → exit 0', async () => {
  const r = await run('--proto', 'pptp');
  assert.equal(r.code, 0);
  assert.match(r.out, /GRE acknowledgment number\s+4\s+RFC 2637 §4\.1/);
  assert.match(r.out, /MPPE header \([^)]*\)\s+2\s+RFC 3078/);
  assert.match(r.out, /PPP MTU\/MRU \(LCP\):\s+1460/);
  assert.match(r.out, /IP MTU in tunnel:\s+1456/);
  assert.match(r.out, /TCP MSS:\s+1416 \(IPv4\)\s+1396 \(IPv6\)/);
  assert.match(r.out, /^mtu 1460$/m);
  assert.match(r.out, /^mru 1460$/m);
  assert.match(r.out, /--set-mss 1416/);
  assert.match(r.out, /sudo ifconfig ppp0 mtu 1456/);
  assert.match(r.out, /netsh interface ipv4 set subinterface "VPN Connection" mtu=1456 store=persistent/);
  assert.match(r.out, /"ppp": \{ "mtu": 1460, "mru": 1460 \}/);
  assert.match(r.out, /total\s+1500/);
});

test('mtu --proto l2tp-ipsec --nat-t --cipher aes-gcm --json: machine-readable numbers', async () => {
  const r = await run('--proto', 'l2tp-ipsec', '--nat-t', '--cipher=aes-gcm', '--json');
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out) as { ipMtu: number; mss: { ipv4: number; ipv6: number }; headers: { bytes: number }[]; config: Record<string, { lines: string[] }>; options: { esp: { icvBytes: number } } };
  assert.equal(j.ipMtu, 1414);
  assert.deepEqual(j.mss, { ipv4: 1374, ipv6: 1354 });
  assert.equal(j.headers.reduce((s, h) => s + h.bytes, 0) + j.ipMtu, 1500);
  assert.equal(j.options.esp.icvBytes, 16);
  assert.deepEqual(j.config['xl2tpd']!.lines, ['[lns default]', 'length bit = yes', 'pppoptfile = /etc/ppp/options.xl2tpd']);
});

test('mtu --pppoe --path-mtu 1500: PPPoE row and 1492 link', async () => {
  const r = await run('--proto', 'l2tp', '--pppoe', '--no-length', '--no-sequence', '--acfc', '--pfc');
  assert.equal(r.code, 0);
  assert.match(r.out, /PPPoE header \+ PPP protocol\s+8/);
  // 1492 − 20 − 8 − 6 − 1 = 1457
  assert.match(r.out, /IP MTU in tunnel:\s+1457/);
  assert.match(r.out, /length bit = no/);
});

test('mtu usage errors → exit 2 naming the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['--proto', 'sstp'], /unknown protocol 'sstp'[\s\S]*fix: use --proto pptp\|l2tp\|l2tp-ipsec/],
    [[], /--proto is required[\s\S]*fix: add --proto/],
    [['--proto', 'pptp', '--path-mtu', '500'], /out of range 576\.\.65535[\s\S]*fix: give --path-mtu 576\.\.65535/],
    [['--proto', 'pptp', '--path-mtu', '70000'], /out of range/],
    [['--proto', 'pptp', '--ipv6', '--path-mtu', '1000'], /out of range 1280\.\.65535 for an IPv6 path[\s\S]*RFC 8200/],
    [['--proto', 'pptp', '--path-mtu', 'big'], /needs a whole number/],
    [['--proto', 'l2tp-ipsec', '--cipher', 'blowfish'], /unknown ESP cipher suite 'blowfish'[\s\S]*fix: use one of aes-cbc-sha1/],
    [['--proto', 'l2tp', '--nat-t'], /--nat-t applies only to L2TP\/IPsec[\s\S]*fix:/],
    [['--proto', 'pptp', '--cipher', 'aes-gcm'], /--cipher applies only/],
    [['--proto', 'pptp', '--frobnicate'], /unknown argument '--frobnicate'/],
    [['--proto'], /--proto needs a value/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, re, argv.join(' '));
    assert.equal(r.out, '', argv.join(' '));
  }
});

test('mtu --help → usage text, exit 0', async () => {
  const r = await run('--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: tunppp mtu --proto pptp\|l2tp\|l2tp-ipsec/);
});
