/**
 * Pod density: memory of N running one-container pods through containerd 1.6's
 * CRI, as kubelet runs them (a pod cgroup each, a pod network; see pod-rig.ts):
 * the runtime handler wasmts (a ticking wasm guest) against runc
 * (busybox sleep, a static pause as the sandbox), in the same run.
 * Memory is that of every process the pods cost: for wasmts its daemons (a
 * pod's daemon each, plus the namespace's shared one that answers `start`), for
 * runc the shims, the pause processes and the containers' processes; RSS summed
 * (shared pages, such as node's program text, once per process) and PSS (a
 * shared page divided among its sharers: what they cost the node).
 *
 *   scripts/bench-pod-density [--pods N] [--settle SECONDS]
 *
 * Memory is read SECONDS (35) after the last pod started: past the 30 s after
 * which a daemon lets its waiting guest workers go, the steady state of a node.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { PodRig, POD_NETWORK } from './pod-rig.ts';
import { memoryLine, type ProcessMemory, rssOf, sum } from './process-memory.ts';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '10' }, settle: { type: 'string', default: '35' } } });
const count = Math.max(2, Number(values.pods));
const settleSeconds = Number(values.settle);

const WASM = 'docker.io/wasmts/bench-ticker:latest';
const LINUX = 'docker.io/wasmts/bench-sleep:latest';

async function main(): Promise<void> {
  const rig = await PodRig.start(
    { wasm: { reference: WASM, fixture: 'ticker.wasm' }, linux: { reference: LINUX, args: ['sleep', '3600'] } },
    { WASMTS_SPARE: '0' },
  );
  const address = rig.containerd.address;
  const rows: { name: string; memory: ProcessMemory }[] = [];
  try {
    const cases = [
      { name: 'wasmts, a pod each', handler: 'wasmts', image: WASM },
      { name: 'runc, a pod each', handler: 'runc', image: LINUX },
    ];
    for (const c of cases) {
      const pods: string[] = [];
      for (let i = 0; i < count; i++) pods.push((await rig.startPod(c.handler, c.image, POD_NETWORK)).podId);
      await sleep(settleSeconds * 1000); // settled: guests asleep, heaps grown, start-up spares gone
      const memory =
        c.handler === 'runc'
          ? sum(await rssOf('containerd-shim-runc-v2', address), await rssOf('/pause'), await rssOf('busybox', 'sleep', '3600'))
          : await rssOf('dist/main.js', address);
      rows.push({ name: c.name, memory });
      for (const podId of pods) await rig.removePod(podId);
    }
  } finally {
    await rig.close();
  }
  const runc = rows[rows.length - 1]!.memory;
  console.log(`memory of ${count} running one-container pods through CRI (containerd 1.6, pod network, a pod cgroup each), ${settleSeconds} s after the last started:`);
  for (const { name, memory } of rows) console.log(memoryLine(name, memory, runc, count, 'pod'));
}

await main();
