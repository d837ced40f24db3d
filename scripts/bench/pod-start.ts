/**
 * Pod start: median wall time from RunPodSandbox to a started container
 * (RunPodSandbox + CreateContainer + StartContainer), for a one-container pod,
 * with the runtime handler wasmts (hello.wasm) and runc (busybox echo; a static
 * pause as the sandbox), on the host's network and on a pod network, on one
 * private containerd 1.6 in one run (see pod-rig.ts). Prints both and the ratios.
 * Each pod starts on a settled node: `--settle` seconds after the previous pod
 * went (for either runtime), so that what a start leaves to do in the background
 * (wasmts boots the next warm spare daemon a second after it placed one in a pod)
 * is done, as between pods that kubelet starts one at a time.
 *
 *   scripts/bench-pod-start [--runs N] [--settle S]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HOST_NETWORK, PodRig, POD_NETWORK } from './pod-rig.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, settle: { type: 'string', default: '2' } } });
const runs = Math.max(5, Number(values.runs));
const settleMs = Math.max(0, Number(values.settle)) * 1000;

const WASM = 'docker.io/wasmts/bench-hello:latest';
const LINUX = 'docker.io/wasmts/bench-busybox:latest';
const NETWORKS = { host: HOST_NETWORK, pod: POD_NETWORK } as const;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const rig = await PodRig.start({
    wasm: { reference: WASM, fixture: 'hello.wasm' },
    linux: { reference: LINUX, args: ['echo', 'hello from busybox'] },
  });
  try {
    const cases = (['host', 'pod'] as const).flatMap((network) => [
      { name: `wasmts, ${network} network`, handler: 'wasmts', image: WASM, network },
      { name: `runc,   ${network} network`, handler: 'runc', image: LINUX, network },
    ]);
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    /** Per case: the time in RunPodSandbox, CreateContainer and StartContainer. */
    const phases = new Map<string, number[][]>(cases.map((c) => [c.name, [[], [], []]]));
    // One warm-up round, then alternate so that machine noise hits every case alike.
    for (let round = -1; round < runs; round++) {
      for (const c of cases) {
        const { podId, phases: [run, create, start] } = await rig.startPod(c.handler, c.image, NETWORKS[c.network]);
        if (round >= 0) {
          samples.get(c.name)!.push(run + create + start);
          const [runTimes, createTimes, startTimes] = phases.get(c.name)!;
          runTimes!.push(run);
          createTimes!.push(create);
          startTimes!.push(start);
        }
        await rig.removePod(podId);
        await sleep(settleMs);
      }
    }
    console.log(`RunPodSandbox + CreateContainer + StartContainer, median of ${runs} pods each (containerd 1.6 CRI, a pod cgroup each, ${settleMs / 1000} s between pods):`);
    for (const network of ['host', 'pod'] as const) {
      const wasmts = samples.get(`wasmts, ${network} network`)!;
      const runc = samples.get(`runc,   ${network} network`)!;
      for (const [name, s] of [[`wasmts, ${network} network`, wasmts], [`runc,   ${network} network`, runc]] as const) {
        const [run, create, start] = phases.get(name)!.map((p) => median(p).toFixed(0));
        console.log(`  ${name}: ${median(s).toFixed(1)} ms  (min ${Math.min(...s).toFixed(1)}, max ${Math.max(...s).toFixed(1)}; RunPodSandbox ${run}, CreateContainer ${create}, StartContainer ${start})`);
      }
      console.log(`  ratio wasmts/runc, ${network} network: ${(median(wasmts) / median(runc)).toFixed(2)}`);
    }
  } finally {
    await rig.close();
  }
}

await main();
