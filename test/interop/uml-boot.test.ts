/**
 * Smoke test of the interop guest (docs/interop.md): the cached UML guest
 * boots on a TAP in a fresh namespace, reaches the host side, has the kernel
 * PPP stack this machine's kernel lacks (/dev/ppp, MPPE, PPPoL2TP) and runs
 * real pppd on it: two pppd back to back over a pty bring up ppp0 and ppp1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestImage, umlSkipReason, withUmlLab } from './uml.js';

const skip = umlSkipReason();

test('UML guest: boot on a TAP → pings the host, /dev/ppp and PPP modules present, pppd links up over a pty', { skip, timeout: 25 * 60_000 }, async (t) => {
  const { image, skip: why } = guestImage();
  if (!image) {
    t.skip(why);
    return;
  }
  await withUmlLab(async (lab) => {
    const g = await lab.boot(image);
    const line = (ok: boolean, what: string): void => t.diagnostic(`interop ${ok ? 'PASS' : 'FAIL'} ${what}`);
    try {
      const ping = await g.run(`ping -n -c 2 -i 0.2 -W 2 ${lab.hostIp}`);
      assert.equal(ping.rc, 0, `guest → host ping failed:\n${ping.output}`);
      assert.match(ping.output, /2 received/);
      lab.exec('ping', ['-n', '-c', '1', '-W', '2', lab.guestIp]);

      const kernel = await g.ok(
        'uname -r; test -c /dev/ppp && echo dev-ppp-ok; lsmod | cut -d" " -f1 | sort | tr "\\n" " "; echo; pppd --version 2>&1',
      );
      assert.ok(kernel.startsWith(image.umlVersion), `guest kernel ${kernel.split('\n')[0]} is not the UML modules' ${image.umlVersion}`);
      assert.match(kernel, /dev-ppp-ok/, '/dev/ppp is missing after modprobe ppp_generic');
      for (const m of ['ppp_generic', 'ppp_async', 'ppp_mppe', 'l2tp_ppp', 'l2tp_core', 'pppox']) {
        assert.match(kernel, new RegExp(`\\b${m}\\b`), `module ${m} is not loaded in the guest:\n${kernel}`);
      }
      assert.match(kernel, /pppd version 2\.4\.\d+/);

      // Real pppd on the guest's kernel PPP: the outer pppd runs the inner one on a pty.
      const link = await g.run(
        [
          'pppd nodetach noauth local nodefaultroute nodeflate nobsdcomp logfile /tmp/outer.log 10.99.0.1:10.99.0.2 \\',
          '  pty "pppd nodetach noauth local notty nodefaultroute nodeflate nobsdcomp logfile /tmp/inner.log 10.99.0.2:10.99.0.1" &',
          'for i in $(seq 100); do [ "$(ip -br addr show | grep -c "^ppp.*10\\.99\\.0")" = 2 ] && break; sleep 0.1; done',
          'ip -br addr show | grep ppp',
          'kill %1; wait; cat /tmp/outer.log',
        ].join('\n'),
      );
      assert.match(link.output, /ppp\d+\s+\S+\s+10\.99\.0\.1 peer 10\.99\.0\.2/, `the outer pppd's interface did not come up:\n${link.output}`);
      assert.match(link.output, /ppp\d+\s+\S+\s+10\.99\.0\.2 peer 10\.99\.0\.1/, `the inner pppd's interface did not come up:\n${link.output}`);
      assert.match(link.output, /local\s+IP address 10\.99\.0\.1/);
      line(true, `uml-boot: boot ${g.bootMs} ms, host ping, /dev/ppp, modules, pppd↔pppd over pty (kernel ${image.umlVersion})`);
      await g.shutdown();
    } catch (e) {
      line(false, `uml-boot: ${(e as Error).message.split('\n')[0]}`);
      throw e;
    }
  });
});
