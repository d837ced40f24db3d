import { readdir, readFile } from 'node:fs/promises';

export interface ProcessMemory {
  processes: number;
  /** Resident set: counts the pages processes share (a program's text, say) once per process. */
  kib: number;
  /** Proportional set: a page shared by n processes counts 1/n to each, so the sum is what they cost the node. */
  pssKib: number;
}

/** RSS and PSS in KiB of every process whose command line contains all of `needles`. */
export async function rssOf(...needles: string[]): Promise<ProcessMemory> {
  let processes = 0;
  let kib = 0;
  let pssKib = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (!needles.every((n) => cmdline.includes(n))) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      if (rss === null) continue;
      const pss = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${entry}/smaps_rollup`, 'utf8'));
      processes++;
      kib += Number(rss[1]);
      pssKib += Number(pss?.[1] ?? rss[1]);
    } catch {
      // gone meanwhile
    }
  }
  return { processes, kib, pssKib };
}

export function sum(...parts: ProcessMemory[]): ProcessMemory {
  return parts.reduce((a, b) => ({ processes: a.processes + b.processes, kib: a.kib + b.kib, pssKib: a.pssKib + b.pssKib }), { processes: 0, kib: 0, pssKib: 0 });
}

/** One line of a memory table: RSS and PSS, in all and per unit, and each as a ratio to the baseline's. */
export function memoryLine(name: string, memory: ProcessMemory, baseline: ProcessMemory, count: number, unit: string): string {
  return (
    `  ${name.padEnd(32)} RSS ${mib(memory.kib).padStart(7)} MiB, ${mib(memory.kib / count)} per ${unit}, ${(memory.kib / baseline.kib).toFixed(2)}x runc;` +
    ` PSS ${mib(memory.pssKib).padStart(7)} MiB, ${mib(memory.pssKib / count)} per ${unit}, ${(memory.pssKib / baseline.pssKib).toFixed(2)}x runc (${memory.processes} processes)`
  );
}

export const mib = (kib: number): string => (kib / 1024).toFixed(1);
