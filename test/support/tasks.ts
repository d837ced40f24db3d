/**
 * Helpers for tests that drive tasks through `ctr`: rows of `ctr task ls`,
 * waiting for a status or for output in a file, and capturing `ctr events`.
 */

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CtrClient } from './containerd.js';
import { processOfThread } from './processes.js';

export interface TaskRow {
  id: string;
  pid: number;
  status: string;
}

/** The task's row of `ctr task ls`, in the client's namespace or `namespace`. */
export async function taskRow(containerd: CtrClient, id: string, namespace?: string): Promise<TaskRow | undefined> {
  const out = await containerd.ctrOk(['task', 'ls'], namespace === undefined ? {} : { namespace });
  for (const line of out.split('\n').slice(1)) {
    const [taskId, pid, status] = line.trim().split(/\s+/);
    if (taskId === id) return { id: taskId, pid: Number(pid), status: status ?? '' };
  }
  return undefined;
}

export async function waitForStatus(containerd: CtrClient, id: string, status: string, timeoutMs = 5_000, namespace?: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const row = await taskRow(containerd, id, namespace);
    if (row?.status === status) return;
    if (performance.now() > deadline) throw new Error(`task ${id} is ${row?.status ?? 'gone'}, not ${status}`);
    await sleep(20);
  }
}

/** Polls `file` until `predicate` holds for its text; returns the text. */
export async function waitForFile(file: string, predicate: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (predicate(text)) return text;
    if (performance.now() > deadline) throw new Error(`${file} never matched; it holds:\n${text.slice(-2000)}`);
    await sleep(20);
  }
}

/** The daemon (host process) that serves a running task: the process its guest's thread belongs to. */
export async function daemonOf(containerd: CtrClient, id: string, namespace?: string): Promise<number> {
  const row = await taskRow(containerd, id, namespace);
  if (row === undefined) throw new Error(`no task ${id}`);
  return processOfThread(row.pid);
}

/** Kills (SIGKILL), deletes and removes a container, ignoring what is already gone. */
export async function removeTask(containerd: CtrClient, id: string, namespace?: string): Promise<void> {
  const opts = namespace === undefined ? {} : { namespace };
  await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id], opts);
  for (let i = 0; i < 100; i++) {
    const row = await taskRow(containerd, id, namespace);
    if (row === undefined || row.status === 'STOPPED') break;
    await sleep(20);
  }
  await containerd.ctr(['task', 'delete', id], opts);
  await containerd.ctr(['container', 'delete', id], opts);
}

export interface SeenEvent {
  topic: string;
  body: Record<string, unknown>;
}

/** Runs the client's `ctr events` around `action` and returns the task events it printed, in order. */
export async function captureEvents(containerd: CtrClient, action: () => Promise<unknown>): Promise<SeenEvent[]> {
  const child = spawn(containerd.ctrBinary, ['--address', containerd.address, '--namespace', containerd.namespace, 'events'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000); // never outlives the test
  await sleep(300); // subscribed
  try {
    await action();
    await sleep(500); // the last events reach the subscriber
  } finally {
    clearTimeout(guard);
    child.kill('SIGTERM');
  }
  return output
    .split('\n')
    .map((line) => /\s(\/tasks\/[a-z-]+)\s(\{.*\})$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ topic: m[1]!, body: JSON.parse(m[2]!) as Record<string, unknown> }));
}
