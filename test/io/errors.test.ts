/**
 * Error paths of the I/O edge: no privileges, no /dev/net/tun, no namespace,
 * no addon. Each one must become a VpnError with a stable code and a hint
 * that names the fix. The native layer is replaced by a double where the real
 * failure cannot be produced here; the real failures run when root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoError, LocalUsageError } from '../../src/core/errors.js';
import { NativeAddonError, NetnsError, RawSocketError, TunConfigError, TunOpenError } from '../../src/io/errors.js';
import { openGreSocket } from '../../src/io/gre-socket.js';
import { loadNativeFrom, setNativeForTesting, type NativeBinding, type NativeHandle } from '../../src/io/native.js';
import { openDataPlaneTun, openTun } from '../../src/io/tun.js';
import { netnsSkipReason, withLab } from './netns.js';

function sysError(code: string, syscall: string, message: string): Error {
  return Object.assign(new Error(message), { code, syscall, errno: 1 });
}

/** A binding whose calls fail the way the kernel makes them fail. */
function fakeNative(over: Partial<NativeBinding>, closed: NativeHandle[] = []): NativeBinding {
  const no = (): never => {
    throw new Error('not faked');
  };
  return {
    greOpen: no,
    greSend: no,
    pathMtu: no,
    tunOpen: no,
    tunWrite: no,
    ifConfigure: no,
    close: (h) => void closed.push(h),
    constants: { META_FIELDS: 5, MAX_SLOTS: 1024, FLAG_TRUNCATED: 1, ERR_QUOTE_BYTES: 576 },
    ...over,
  };
}

function withFake<T>(b: NativeBinding, fn: () => T): T {
  setNativeForTesting(b);
  try {
    return fn();
  } finally {
    setNativeForTesting(undefined);
  }
}

test('not root: socket() fails with EPERM → RawSocketError RAW_SOCKET with the systemd AmbientCapabilities/Docker hint', () => {
  const fake = fakeNative({ greOpen: () => { throw sysError('EPERM', 'socket', 'socket: Operation not permitted'); } });
  withFake(fake, () =>
    assert.throws(() => openGreSocket(), (e: unknown) => {
      assert.ok(e instanceof RawSocketError && e instanceof IoError);
      assert.equal(e.code, 'RAW_SOCKET');
      assert.equal(e.errno, 'EPERM');
      assert.equal(e.syscall, 'socket');
      assert.match(e.hint!, /CAP_NET_RAW/);
      assert.match(e.hint!, /AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW/);
      assert.match(e.hint!, /run as root/);
      assert.match(e.hint!, /--cap-add NET_RAW/);
      return true;
    }),
  );
});

test('no /dev/net/tun: open fails with ENOENT → TunOpenError TUN_OPEN with the modprobe/--device hint', () => {
  const fake = fakeNative({ tunOpen: () => { throw sysError('ENOENT', 'open', 'open /dev/net/tun: No such file or directory'); } });
  withFake(fake, () =>
    assert.throws(() => openTun({ name: 'tp0' }), (e: unknown) => {
      assert.ok(e instanceof TunOpenError);
      assert.equal(e.code, 'TUN_OPEN');
      assert.equal(e.errno, 'ENOENT');
      assert.match(e.hint!, /modprobe tun/);
      assert.match(e.hint!, /--cap-add NET_ADMIN --device \/dev\/net\/tun/);
      return true;
    }),
  );
});

test('no CAP_NET_ADMIN: TUNSETIFF fails with EPERM → TunOpenError with the NET_ADMIN hint', () => {
  const fake = fakeNative({ tunOpen: () => { throw sysError('EPERM', 'ioctl(TUNSETIFF)', 'ioctl(TUNSETIFF) tp0: Operation not permitted'); } });
  withFake(fake, () =>
    assert.throws(() => openTun({ name: 'tp0' }), (e: unknown) => {
      assert.ok(e instanceof TunOpenError);
      assert.match(e.hint!, /CAP_NET_ADMIN/);
      assert.match(e.hint!, /AmbientCapabilities=/);
      return true;
    }),
  );
});

test('configuration fails after open → TunConfigError, and the opened queue is closed', () => {
  const closed: NativeHandle[] = [];
  const h = { name: 'tp0' };
  const fake = fakeNative(
    {
      tunOpen: () => h,
      ifConfigure: () => { throw sysError('EPERM', 'ioctl(SIOCSIFMTU)', 'ioctl(SIOCSIFMTU) tp0: Operation not permitted'); },
    },
    closed,
  );
  withFake(fake, () => assert.throws(() => openTun({ name: 'tp0', mtu: 1400 }), { code: 'TUN_CONFIG', name: 'TunConfigError' }));
  assert.deepEqual(closed, [h]);
  assert.ok(TunConfigError);
});

test('setns denied → NetnsError NETNS with the CAP_SYS_ADMIN hint', () => {
  const fake = fakeNative({ greOpen: () => { throw sysError('EPERM', 'setns', 'setns /var/run/netns/x: Operation not permitted'); } });
  withFake(fake, () => assert.throws(() => openGreSocket({ netns: 'x' }), (e: unknown) => e instanceof NetnsError && /CAP_SYS_ADMIN/.test(e.hint!)));
});

test('addon misuse (ERR_TUNPPP_USAGE) → LocalUsageError, a bug not an I/O failure', () => {
  const fake = fakeNative({ greOpen: () => { throw Object.assign(new TypeError('greOpen: bad options'), { code: 'ERR_TUNPPP_USAGE' }); } });
  withFake(fake, () => assert.throws(() => openGreSocket(), LocalUsageError));
});

test('bad options are refused before any system call', () => {
  const fake = fakeNative({});
  withFake(fake, () => {
    assert.throws(() => openTun({ name: 'a-name-longer-than-15' }), LocalUsageError);
    assert.throws(() => openTun({ address: '10.0.0.1', peer: '10.0.0.2', prefix: 24 }), LocalUsageError);
    assert.throws(() => openTun({ peer: '10.0.0.2' }), LocalUsageError);
    assert.throws(() => openTun({ address: '10.0.0.300' }), LocalUsageError);
    assert.throws(() => openTun({ mtu: 40 }), LocalUsageError);
    assert.throws(() => openTun({ offloads: { tso4: true } }), /need csum/);
    assert.throws(() => openGreSocket({ bind: 'nope' }), LocalUsageError);
    assert.throws(() => openGreSocket({ batchSize: 0 }), LocalUsageError);
  });
});

test('addon not built → NativeAddonError NATIVE_ADDON saying to run npm rebuild and what node-gyp needs', () => {
  assert.throws(() => loadNativeFrom(['/nonexistent/build/Release/tunppp.node']), (e: unknown) => {
    assert.ok(e instanceof NativeAddonError);
    assert.equal(e.code, 'NATIVE_ADDON');
    assert.match(e.message, /not built/);
    assert.match(e.hint!, /npm rebuild/);
    assert.match(e.hint!, /python3, make and a C compiler/);
    return true;
  });
});

test('addon file present but not loadable → NativeAddonError with the loader message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-addon-'));
  try {
    const f = join(dir, 'tunppp.node');
    writeFileSync(f, 'not an ELF file');
    assert.throws(() => loadNativeFrom([f]), (e: unknown) => e instanceof NativeAddonError && /does not load/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('addon from an older checkout (different metadata layout) → NativeAddonError asking for a rebuild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-addon-'));
  try {
    const f = join(dir, 'stale.cjs');
    writeFileSync(f, 'module.exports = { constants: { META_FIELDS: 4 } };');
    assert.throws(() => loadNativeFrom([f]), (e: unknown) => e instanceof NativeAddonError && /older checkout/.test(e.message) && /npm rebuild/.test(e.hint!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const rootSkip = netnsSkipReason();

test('real: a clone device that does not exist → TunOpenError ENOENT', { skip: rootSkip }, () => {
  assert.throws(() => openTun({ devicePath: '/nonexistent/net/tun' }), (e: unknown) => {
    assert.ok(e instanceof TunOpenError);
    assert.equal(e.errno, 'ENOENT');
    assert.equal(e.syscall, 'open');
    assert.match(e.hint!, /modprobe tun/);
    return true;
  });
});

test('real: a namespace that does not exist → NetnsError ENOENT with the `ip netns add` hint', { skip: rootSkip }, () => {
  assert.throws(() => openGreSocket({ netns: `tp-${process.pid}-missing` }), (e: unknown) => {
    assert.ok(e instanceof NetnsError);
    assert.equal(e.errno, 'ENOENT');
    assert.match(e.hint!, /ip netns add/);
    return true;
  });
});

test('real: TUN name taken by a veth → TunOpenError EINVAL with a hint', { skip: rootSkip, timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'taken0', '10.80.0.1/24', b, 'other0', '10.80.0.2/24');
    assert.throws(() => openTun({ netns: a, name: 'taken0' }), (e: unknown) => e instanceof TunOpenError && e.errno === 'EINVAL' && /another type/.test(e.hint!));
  });
});

const setpriv = spawnSync('setpriv', ['--version']).error ? 'needs setpriv (util-linux)' : undefined;

test('real: as an unprivileged user → RAW_SOCKET EPERM and TUN_OPEN EACCES/EPERM, each with its hint', { skip: rootSkip ?? setpriv, timeout: 30_000 }, () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const script = `
    import { openGreSocket } from './src/io/gre-socket.ts';
    import { openTun } from './src/io/tun.ts';
    const out = {};
    try { openGreSocket(); out.gre = 'opened'; } catch (e) { out.gre = [e.code, e.errno, e.hint]; }
    try { openTun({ name: 'tpnobody0' }); out.tun = 'opened'; } catch (e) { out.tun = [e.code, e.errno, e.hint]; }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8', timeout: 25_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { gre: [string, string, string]; tun: [string, string, string] };
  assert.equal(out.gre[0], 'RAW_SOCKET');
  assert.equal(out.gre[1], 'EPERM');
  assert.match(out.gre[2], /AmbientCapabilities=/);
  assert.equal(out.tun[0], 'TUN_OPEN');
  assert.ok(['EACCES', 'EPERM'].includes(out.tun[1]), out.tun[1]);
  assert.match(out.tun[2], /CAP_NET_ADMIN/);
  if (out.tun[1] === 'EACCES') assert.match(out.tun[2], /chmod 0666 \/dev\/net\/tun/);
});

test('data-plane TUN: the kernel refuses TUNSETOFFLOAD (EINVAL) → opened again without offloads; other failures stand', () => {
  const opens: { vnetHdr?: boolean; offloads?: number }[] = [];
  const fake = fakeNative({
    tunOpen: (o) => {
      opens.push({ vnetHdr: o.vnetHdr, offloads: o.offloads });
      if (o.vnetHdr) throw sysError('EINVAL', 'ioctl(TUNSETOFFLOAD)', 'ioctl(TUNSETOFFLOAD): Invalid argument');
      return { name: 'tunx0' };
    },
  });
  const tun = withFake(fake, () => openDataPlaneTun({ name: 'tunx0', up: false }));
  assert.equal(tun.vnetHdr, false);
  assert.deepEqual(opens.map((o) => o.vnetHdr), [true, false]);
  assert.equal(opens[0]!.offloads, 0x01 | 0x02, 'TUN_F_CSUM | TUN_F_TSO4 asked first');
  const perm = fakeNative({ tunOpen: () => { throw sysError('EPERM', 'ioctl(TUNSETIFF)', 'ioctl(TUNSETIFF): Operation not permitted'); } });
  let calls = 0;
  const counting = { ...perm, tunOpen: (...a: Parameters<NativeBinding['tunOpen']>) => { calls++; return perm.tunOpen(...a); } };
  withFake(counting, () => assert.throws(() => openDataPlaneTun({ name: 'tunx1', up: false }), TunOpenError));
  assert.equal(calls, 2, 'TUNSETIFF is retried once without the vnet header, then the error stands');
  const busy = fakeNative({ tunOpen: () => { throw sysError('EBUSY', 'open', 'open: busy'); } });
  withFake(busy, () => assert.throws(() => openDataPlaneTun({ name: 'tunx2', up: false }), TunOpenError));
});
