/**
 * A UDP relay that holds every request for `delayMs` before passing it to a
 * RADIUS server on the same loopback (answers go straight back): a slow
 * backend for races, where tc netem is not available. Runs in a network
 * namespace as its own node process.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A running relay. */
export interface DelayProxy {
  port: number;
  stop(): void;
}

/** Starts the relay on 127.0.0.1:`port` in `netns`, forwarding to 127.0.0.1:`target`. */
export async function startDelayProxy(netns: string, port: number, target: number, delayMs: number): Promise<DelayProxy> {
  const js = `const d=require('dgram');const front=d.createSocket('udp4');const back=d.createSocket('udp4');let nas;
front.on('message',(m,r)=>{nas=r;setTimeout(()=>back.send(m,${target},'127.0.0.1'),${delayMs})});
back.on('message',(m)=>{if(nas)front.send(m,nas.port,nas.address)});
front.bind(${port},'127.0.0.1',()=>console.log('READY'));`;
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!out.includes('READY')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`delay proxy did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, stop: () => void child.kill('SIGKILL') };
}
