import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cachedVersionQuery, cacheFile, processStartTime } from '../../../src/shim/cli/version-cache.js';

const ADDRESS = '/run/containerd/containerd.sock';

describe('cachedVersionQuery', () => {
  let dir: string;
  let proc: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-cache-'));
    proc = path.join(dir, 'proc');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fake /proc/<pid>/stat whose command name holds a space and a parenthesis. */
  async function fakeProcess(pid: number, startTime: number): Promise<void> {
    await mkdir(path.join(proc, String(pid)), { recursive: true });
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[22 - 3] = String(startTime);
    await writeFile(path.join(proc, String(pid), 'stat'), `${pid} (contai) nerd) ${fields.join(' ')}\n`);
  }

  it('reads the start time after the command name, whatever it holds', async () => {
    await fakeProcess(42, 123456);
    expect(processStartTime(42, proc)).toBe('123456');
    expect(processStartTime(43, proc)).toBeUndefined();
  });

  it('asks containerd once per containerd process', async () => {
    await fakeProcess(42, 1000);
    const query = vi.fn(async () => ({ version: '2.1.9', revision: 'r' }));
    const load = vi.fn(async () => query);
    const cached = cachedVersionQuery(load, { dir, containerdPid: 42, procDir: proc });
    expect(await cached(ADDRESS, 100)).toEqual({ version: '2.1.9', revision: 'r' });
    expect(await cached(ADDRESS, 100)).toEqual({ version: '2.1.9', revision: 'r' });
    expect(query).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledTimes(1);
    expect(JSON.parse(await readFile(cacheFile(dir, ADDRESS), 'utf8'))).toMatchObject({ address: ADDRESS, pid: 42, version: '2.1.9' });
  });

  it('asks again when containerd restarted at the same address', async () => {
    await fakeProcess(42, 1000);
    const query = vi.fn(async () => ({ version: '1.7.24', revision: '' }));
    await cachedVersionQuery(async () => query, { dir, containerdPid: 42, procDir: proc })(ADDRESS, 100);
    await fakeProcess(42, 2000); // same pid, started later: another process
    query.mockResolvedValue({ version: '2.1.9', revision: '' });
    expect((await cachedVersionQuery(async () => query, { dir, containerdPid: 42, procDir: proc })(ADDRESS, 100)).version).toBe('2.1.9');
    await fakeProcess(77, 2000);
    expect((await cachedVersionQuery(async () => query, { dir, containerdPid: 77, procDir: proc })(ADDRESS, 100)).version).toBe('2.1.9');
    expect(query).toHaveBeenCalledTimes(3);
  });

  it("removes the entries of containerd processes that have ended when it writes one, keeping live ones", async () => {
    await fakeProcess(42, 1000);
    await fakeProcess(43, 1000);
    const query = async () => ({ version: '1.6.20', revision: '' });
    for (const [pid, address] of [[42, '/run/a.sock'], [43, '/run/b.sock']] as const) {
      await cachedVersionQuery(async () => query, { dir, containerdPid: pid, procDir: proc })(address, 100);
    }
    await rm(path.join(proc, '42'), { recursive: true }); // containerd a ended
    await writeFile(path.join(dir, 'wasmts-containerd-garbage'), 'not json');
    await writeFile(path.join(dir, 'unrelated'), 'kept');
    await fakeProcess(44, 3000);
    await cachedVersionQuery(async () => query, { dir, containerdPid: 44, procDir: proc })('/run/c.sock', 100);
    const names = (await readdir(dir)).filter((name) => name !== 'proc').sort();
    expect(names).toEqual([cacheFile(dir, '/run/b.sock'), cacheFile(dir, '/run/c.sock'), path.join(dir, 'unrelated')].map((f) => path.basename(f)).sort());
  });

  it('does not remember a failed question', async () => {
    await fakeProcess(42, 1000);
    const query = vi.fn().mockRejectedValueOnce(new Error('refused')).mockResolvedValue({ version: '2.1.9', revision: '' });
    const cached = cachedVersionQuery(async () => query, { dir, containerdPid: 42, procDir: proc });
    await expect(cached(ADDRESS, 100)).rejects.toThrow('refused');
    expect((await cached(ADDRESS, 100)).version).toBe('2.1.9');
  });

  it('ignores a corrupt entry and still answers when the directory is not writable', async () => {
    await fakeProcess(42, 1000);
    await writeFile(cacheFile(dir, ADDRESS), '{not json');
    const query = vi.fn(async () => ({ version: '2.1.9', revision: '' }));
    expect((await cachedVersionQuery(async () => query, { dir, containerdPid: 42, procDir: proc })(ADDRESS, 100)).version).toBe('2.1.9');
    const missingDir = path.join(dir, 'absent');
    expect((await cachedVersionQuery(async () => query, { dir: missingDir, containerdPid: 42, procDir: proc })(ADDRESS, 100)).version).toBe('2.1.9');
  });
});
