import { readdir, readFile } from 'node:fs/promises';

export interface ProcessMemory {
  processes: number;
  kib: number;
}

/** RSS in KiB of every process whose command line contains all of `needles`. */
export async function rssOf(...needles: string[]): Promise<ProcessMemory> {
  let processes = 0;
  let kib = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (!needles.every((n) => cmdline.includes(n))) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      if (rss === null) continue;
      processes++;
      kib += Number(rss[1]);
    } catch {
      // gone meanwhile
    }
  }
  return { processes, kib };
}

export function sum(...parts: ProcessMemory[]): ProcessMemory {
  return parts.reduce((a, b) => ({ processes: a.processes + b.processes, kib: a.kib + b.kib }), { processes: 0, kib: 0 });
}

export const mib = (kib: number): string => (kib / 1024).toFixed(1);
