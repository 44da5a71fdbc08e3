/**
 * `tunppp doctor` as a command: inputs (files, rotated .gz, stdin), input
 * errors (binary, truncated gzip, other compression, missing), exit codes and
 * the --json document.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Report } from '../../src/doctor/types.js';
import { fixturePath, LOGS_DIR } from '../helpers/fixtures.js';
import { runDoctor } from './helpers.js';

const SEED = fixturePath(LOGS_DIR, 'seed-macos-pptp-mtu.log');
const dir = mkdtempSync(join(tmpdir(), 'tunppp-doctor-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEALTHY = [
  'Mar  3 10:00:00 vpn pptpd[100]: CTRL: Client 198.51.100.7 control connection started',
  'Mar  3 10:00:00 vpn pptpd[100]: CTRL: Starting call (launching pppd, opening GRE)',
  'Mar  3 10:00:00 vpn pppd[101]: Using interface ppp0',
  'Mar  3 10:00:01 vpn pppd[101]: local  IP address 10.0.0.1',
  'Mar  3 10:00:01 vpn pppd[101]: remote IP address 10.0.0.2',
  'Mar  3 10:00:01 vpn sshd[5]: Accepted publickey for root from 192.0.2.1 port 5000 ssh2',
  'Mar  3 10:20:00 vpn pppd[101]: LCP terminated by peer',
  'Mar  3 10:20:00 vpn pppd[101]: Exit.',
  'Mar  3 10:20:00 vpn pptpd[100]: CTRL: Client 198.51.100.7 control connection finished',
].join('\n');

test('cli: healthy log → exit 0, "No findings"', async () => {
  const f = join(dir, 'ok.log');
  writeFileSync(f, `${HEALTHY}\n`);
  const r = await runDoctor([f]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /No findings/);
  assert.match(r.stdout, /1 ok/);
});

test('cli: rotated .gz → same diagnosis as the plain file', async () => {
  const gz = join(dir, 'syslog.2.gz');
  writeFileSync(gz, gzipSync(readFileSync(SEED)));
  const r = await runDoctor([gz, '--json']);
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.findings[0]!.cause, 'gre-path-mtu');
  assert.equal(rep.inputs[0]!.lines, 27);
});

test('cli: gzip detected by magic, not by name; several inputs → one report', async () => {
  const f = join(dir, 'rotated.1');
  writeFileSync(f, gzipSync(readFileSync(SEED)));
  const g = join(dir, 'ok2.log');
  writeFileSync(g, HEALTHY);
  const r = await runDoctor([f, g, '--json']);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.inputs.length, 2);
  assert.equal(rep.findings[0]!.cause, 'gre-path-mtu');
  assert.ok(rep.sessions.some((s) => s.outcome === 'ok' && s.firstLine.startsWith(g)));
});

test('cli: stdin with - → diagnosed', async () => {
  const r = await runDoctor(['-', '--json'], readFileSync(SEED));
  assert.equal(r.code, 1);
  assert.equal((JSON.parse(r.stdout) as Report).findings[0]!.cause, 'gre-path-mtu');
});

test('cli: stdin gzip → diagnosed', async () => {
  const r = await runDoctor(['--json'], gzipSync(readFileSync(SEED)));
  assert.equal((JSON.parse(r.stdout) as Report).findings[0]!.cause, 'gre-path-mtu');
});

test('cli: binary file → exit 2 with a clear error, other inputs still analysed', async () => {
  const bin = join(dir, 'capture.pcap');
  writeFileSync(bin, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]));
  const r = await runDoctor([bin, SEED, '--json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /capture\.pcap: binary data, not a text log/);
  const rep = JSON.parse(r.stdout) as Report;
  assert.match(rep.inputs[0]!.error ?? '', /binary/);
  assert.equal(rep.findings[0]!.cause, 'gre-path-mtu');
});

test('cli: truncated .gz → exit 2 "truncated", lines before the cut analysed', async () => {
  const full = gzipSync(Buffer.from(readFileSync(SEED, 'utf8').repeat(200)));
  const cut = join(dir, 'cut.gz');
  writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.6)));
  const r = await runDoctor([cut, '--json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cut\.gz: gzip data is truncated/);
  const rep = JSON.parse(r.stdout) as Report;
  assert.ok(rep.inputs[0]!.lines > 100, `only ${rep.inputs[0]!.lines} lines before the cut`);
  assert.equal(rep.findings[0]!.cause, 'gre-path-mtu');
});

test('cli: xz-compressed file → exit 2 with the command to decompress', async () => {
  const xz = join(dir, 'syslog.xz');
  writeFileSync(xz, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0, 1, 2, 3]));
  const r = await runDoctor([xz]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /xz-compressed/);
  assert.match(r.stderr, /xzcat/);
});

test('cli: missing file → exit 2', async () => {
  const r = await runDoctor([join(dir, 'nope.log')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.log: cannot open \(ENOENT\)/);
});

test('cli: unknown option → exit 2 usage error', async () => {
  const r = await runDoctor(['--frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--frobnicate'/);
});

test('cli: --help → exit 0 with usage', async () => {
  const r = await runDoctor(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: tunppp doctor/);
  assert.match(r.stdout, /Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 no findings\nbut most lines were not understood/);
});

test('cli: unknown lines are counted, never fatal (exit 3: nothing understood, no "no fault")', async () => {
  const f = join(dir, 'junk.log');
  writeFileSync(f, 'hello\nMar  3 10:00:00 vpn pppd[1]: something new pppd never said\n\u00ff\u00fe odd bytes\n');
  const r = await runDoctor([f, '--json']);
  assert.equal(r.code, 3);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.stats.lines, 3);
  assert.equal(rep.stats.unknownLines, 3);
});

test('cli: --color forces ANSI colours; default off when not a TTY', async () => {
  const on = await runDoctor([SEED, '--color']);
  assert.match(on.stdout, /\x1b\[1;31m\[critical\]/);
  const off = await runDoctor([SEED]);
  assert.doesNotMatch(off.stdout, /\x1b\[/);
});

test('cli: UTF-8 BOM and CRLF line ends → first line parsed like the others', async () => {
  const f = join(dir, 'bom.log');
  const lines = readFileSync(SEED, 'utf8').trimEnd().split('\n');
  writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`)]));
  const rep = JSON.parse((await runDoctor([f, '--json'])).stdout) as Report;
  assert.equal(rep.stats.formats.rfc3164, 27);
  assert.equal(rep.findings[0]!.cause, 'gre-path-mtu');
});

test('cli: stderr is a TTY and the input is large → progress line on stderr, cleared at the end', async () => {
  const { PassThrough, Readable } = await import('node:stream');
  const { runCli } = await import('../../src/cli/main.js');
  const out = new PassThrough();
  out.resume();
  const err = Object.assign(new PassThrough(), { isTTY: true });
  let e = '';
  err.on('data', (c: Buffer) => (e += c.toString()));
  const code = await runCli(['doctor', SEED], { stdin: Readable.from([]), stdout: out, stderr: err, env: { TUNPPP_DOCTOR_PROGRESS_BYTES: '100' }, cwd: process.cwd() });
  assert.equal(code, 1);
  assert.match(e, /doctor: .*seed-macos-pptp-mtu\.log \d+(\.\d)?\/\d+(\.\d)? MB, \d+ MB\/s/);
  assert.ok(e.endsWith('\r\x1b[K'), 'progress line cleared');
  const quiet = await runDoctor([SEED]);
  assert.equal(quiet.stderr, '', 'no progress when stderr is not a TTY');
});
