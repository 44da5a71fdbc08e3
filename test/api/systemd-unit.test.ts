/**
 * packaging/tunppp.service: the hardening the operations doc promises is in
 * the file, and systemd itself accepts every directive (systemd-analyze
 * verify; skipped with a message where systemd is not installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const unitPath = fileURLToPath(new URL('../../packaging/tunppp.service', import.meta.url));
const unit = readFileSync(unitPath, 'utf8');

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

test('systemd unit: simple service as an unprivileged user with only CAP_NET_ADMIN and CAP_NET_RAW', () => {
  const d = directives(unit);
  assert.deepEqual(d.get('Type'), ['simple']);
  assert.match(d.get('ExecStart')![0]!, /tunppp serve .*--api/);
  assert.deepEqual(d.get('ExecReload'), ['/bin/kill -HUP $MAINPID']);
  assert.deepEqual(d.get('User'), ['tunppp']);
  assert.deepEqual(d.get('AmbientCapabilities'), ['CAP_NET_ADMIN CAP_NET_RAW']);
  assert.deepEqual(d.get('CapabilityBoundingSet'), ['CAP_NET_ADMIN CAP_NET_RAW']);
  assert.deepEqual(d.get('NoNewPrivileges'), ['yes']);
});

test('systemd unit: only /dev/net/tun, read-only system, journald, runtime and state directories', () => {
  const d = directives(unit);
  assert.deepEqual(d.get('DevicePolicy'), ['closed']);
  assert.deepEqual(d.get('DeviceAllow'), ['/dev/net/tun rw']);
  assert.deepEqual(d.get('ProtectSystem'), ['strict']);
  assert.deepEqual(d.get('ProtectHome'), ['yes']);
  assert.deepEqual(d.get('StandardError'), ['journal']);
  assert.deepEqual(d.get('RuntimeDirectory'), ['tunppp']);
  assert.deepEqual(d.get('StateDirectory'), ['tunppp']);
  assert.equal(d.get('MemoryDenyWriteExecute'), undefined, 'V8 needs W+X pages');
});

test('systemd unit: systemd-analyze verify accepts every directive', (t) => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    t.skip('systemd-analyze not installed (Debian package systemd)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-unit-'));
  try {
    // The binary is not installed here: point ExecStart at one that exists, keep everything else.
    const copy = join(dir, 'tunppp.service');
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 30_000 });
    const ours = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('tunppp.service'));
    assert.deepEqual(ours, [], ours.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
