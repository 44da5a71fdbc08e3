/**
 * `--html`: one self-contained page (no external URL), rendered in headless
 * Chromium; the screenshot must exist and show more than a blank page.
 * Skipped with a message when chromium is not installed (CI installs it:
 * scripts/test.mjs DEBIAN_TEST_TOOLS).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { fixturePath, LOGS_DIR } from '../helpers/fixtures.js';
import { runDoctor } from './helpers.js';

const SEED = fixturePath(LOGS_DIR, 'seed-macos-pptp-mtu.log');
const dir = mkdtempSync(join(tmpdir(), 'tunppp-doctor-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const S = (t: string, prog: string, msg: string): string => `Aug  1 ${t} s1 ${prog}: ${msg}`;
const MORE = [
  S('14:10:00', 'pptpd[22000]', 'CTRL: Client 203.0.113.9 control connection started'),
  S('14:10:00', 'pptpd[22000]', 'CTRL: Starting call (launching pppd, opening GRE)'),
  S('14:10:00', 'pppd[22001]', 'Connect: ppp1 <--> /dev/pts/3'),
  S('14:10:30', 'pppd[22001]', 'LCP: timeout sending Config-Requests'),
  S('14:10:30', 'pppd[22001]', 'Exit.'),
  S('14:10:30', 'pptpd[22000]', 'CTRL: Client 203.0.113.9 control connection finished'),
  S('14:11:00', 'pptpd[22100]', 'CTRL: Client 198.51.100.20 control connection started'),
  S('14:11:00', 'pptpd[22100]', 'CTRL: Starting call (launching pppd, opening GRE)'),
  S('14:11:00', 'pppd[22101]', 'Connect: ppp2 <--> /dev/pts/4'),
  S('14:11:01', 'pppd[22101]', 'local  IP address 192.168.0.1'),
  S('14:11:01', 'pppd[22101]', 'remote IP address 192.168.0.11'),
  S('14:40:00', 'pppd[22101]', 'LCP terminated by peer'),
  S('14:40:00', 'pppd[22101]', 'Exit.'),
  S('14:40:00', 'pptpd[22100]', 'CTRL: Client 198.51.100.20 control connection finished'),
].join('\n');

function chromium(): string | null {
  for (const c of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('which', [c], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.trim();
  }
  return null;
}

/** Width, height and the number of distinct colours in a sample of rows (8-bit RGB/RGBA PNG). */
function pngInfo(png: Buffer): { width: number; height: number; colours: number } {
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const colourType = png[25]!;
  const idat: Buffer[] = [];
  for (let p = 8; p < png.length; ) {
    const len = png.readUInt32BE(p);
    const type = png.toString('latin1', p + 4, p + 8);
    if (type === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = colourType === 6 ? 4 : 3;
  const stride = width * bpp + 1;
  const seen = new Set<number>();
  // Filter types make raw bytes differ from pixels, but distinct byte
  // triples still show whether the page is blank.
  for (let y = 0; y < height; y += 7) for (let x = 0; x < width; x += 5) {
    const o = y * stride + 1 + x * bpp;
    seen.add((raw[o]! << 16) | (raw[o + 1]! << 8) | raw[o + 2]!);
  }
  return { width, height, colours: seen.size };
}

test('html: --html writes one self-contained page with the timeline and the findings', async () => {
  const log = join(dir, 'mixed.log');
  writeFileSync(log, `${readFileSync(SEED, 'utf8')}${MORE}\n`);
  const page = join(dir, 'report.html');
  const r = await runDoctor([log, '--html', page, '--year', '2016']);
  assert.equal(r.code, 1);
  const html = readFileSync(page, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /(?:src|href)=["']?(?:https?:)?\/\//, 'no external resources');
  assert.match(html, /<svg[^>]*aria-label="session timeline"/);
  assert.match(html, /data-cause="gre-path-mtu"/);
  assert.match(html, /data-cause="gre-blocked"/);
  assert.match(html, /mtu 1400/);
  // one bar per session, coloured by outcome
  assert.equal((html.match(/<g class="row"/g) ?? []).length, 4);
  assert.match(html, /fill="#d9822b"/); // dropped
  assert.match(html, /fill="#d64545"/); // failed
  assert.match(html, /fill="#2e9d5b"/); // ok
});

test('html: rendered by headless Chromium → a non-trivial screenshot', (t) => {
  const bin = chromium();
  if (!bin) {
    t.skip('chromium not installed (apt-get install -y chromium)');
    return;
  }
  const page = join(dir, 'report.html');
  if (!existsSync(page)) {
    t.skip('previous test did not write the page');
    return;
  }
  const shot = join(dir, 'report.png');
  const profile = mkdtempSync(join(tmpdir(), 'tunppp-chromium-'));
  try {
    const r = spawnSync(
      bin,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1280,900', `file://${page}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.ok(existsSync(shot), `no screenshot; chromium exit ${r.status}: ${r.stderr.slice(-500)}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  assert.ok(statSync(shot).size > 20_000, `screenshot only ${statSync(shot).size} bytes`);
  const info = pngInfo(readFileSync(shot));
  assert.equal(info.width, 1280);
  assert.equal(info.height, 900);
  assert.ok(info.colours > 20, `screenshot looks blank (${info.colours} colours)`);
  if (process.env.TUNPPP_KEEP_SCREENSHOT) writeFileSync(process.env.TUNPPP_KEEP_SCREENSHOT, readFileSync(shot));
});
