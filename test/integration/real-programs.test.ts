/**
 * Real programs, built from Debian's source packages twice — to wasm32-wasi and
 * natively — by test/corpus/build: compressors (zlib's minigzip, bzip2, brotli,
 * lz4, zstd), document renderers (cmark, md4c), an XML checker (expat's xmlwf),
 * a database shell (sqlite3), a calculator (bc) and a JSON processor (jq). Each case runs through
 * `ctr run --rm` on wasmts with stdin from a file, from a pipe and empty, and
 * must print exactly what the native build prints, byte for byte, with the same
 * exit status.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeImage, type ImageFile } from '../../tools/image/image-builder.js';
import { runCaptured } from '../support/captured-run.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { runCommand, describeResult } from '../support/run-command.js';
import { uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { sha256 } from '../support/stdio-pattern.js';

const containerd = useContainerd();
const CORPUS = path.join(REPO_ROOT, 'build', 'corpus');
const IMAGE = 'docker.io/wasmts/corpus:latest';

interface CorpusCase {
  name: string;
  args: string[];
  stdin: 'none' | 'input';
  input: string | null;
  files?: Record<string, string>;
}
interface CorpusProgram {
  name: string;
  package: string;
  wasm: string;
  native: string;
  cases: CorpusCase[];
}

type StdinForm = 'file' | 'pipe' | 'empty';

/**
 * What the native build prints for this case and stdin: with the argv[0] the
 * guest gets (some of these pick their mode from it), stdin through a pipe as
 * the guest's always is, and an empty HOME (sqlite3 and jq read rc files there).
 */
function runNative(program: CorpusProgram, testCase: CorpusCase, input: Buffer | undefined, home: string) {
  const result = spawnSync(path.join(CORPUS, program.native), testCase.args, {
    argv0: `/${program.name}`,
    input: input ?? Buffer.alloc(0),
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    maxBuffer: 1 << 30,
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout.toString('latin1') };
}

let programs: CorpusProgram[] = [];

beforeAll(async () => {
  // Downloads the sources from Debian's archive and builds what is missing (cached in build/corpus).
  const built = await runCommand('bash', [path.join(REPO_ROOT, 'test', 'corpus', 'build')], { timeoutMs: 1_500_000, cwd: REPO_ROOT });
  if (built.code !== 0) throw new Error(describeResult('test/corpus/build', built));
  programs = JSON.parse(await readFile(path.join(CORPUS, 'manifest.json'), 'utf8')) as CorpusProgram[];
  const files: ImageFile[] = [];
  for (const program of programs) {
    files.push({ path: `/${program.name}`, data: await readFile(path.join(CORPUS, program.wasm)), mode: 0o755 });
    for (const testCase of program.cases) {
      for (const [inside, host] of Object.entries(testCase.files ?? {})) {
        if (!files.some((f) => f.path === inside)) files.push({ path: inside, data: await readFile(path.join(CORPUS, host)), mode: 0o644 });
      }
    }
  }
  const tar = path.join(CORPUS, 'corpus-image.tar');
  await writeImage(tar, { reference: IMAGE, entrypoint: [`/${programs[0]!.name}`], files });
  await containerd.importImage(tar);
}, 1_600_000);

describe('real programs built from Debian sources', () => {
  it('are at least eight, each with a case that reads stdin', () => {
    expect(programs.length).toBeGreaterThanOrEqual(8);
    for (const program of programs) expect(program.cases.some((c) => c.stdin === 'input'), program.name).toBe(true);
  });

  it('print through wasmts exactly what their native builds print, with stdin from a file, a pipe and empty', async () => {
    const env = { ...process.env, CONTAINERD_SNAPSHOTTER: containerd.info.snapshotter };
    const home = await mkdtemp(path.join(tmpdir(), 'wasmts-corpus-home-'));
    let checked = 0;
    for (const program of programs) {
      for (const testCase of program.cases) {
        const forms: StdinForm[] = testCase.stdin === 'input' ? ['file', 'pipe', 'empty'] : ['empty'];
        for (const form of forms) {
          const inputPath = testCase.input === null ? undefined : path.join(CORPUS, testCase.input);
          const input = form === 'empty' || inputPath === undefined ? undefined : await readFile(inputPath);
          const native = runNative(program, testCase, input, home);
          const stdin = form === 'file' && inputPath !== undefined ? { file: inputPath } : form === 'pipe' && input !== undefined ? { data: input } : undefined;
          const what = `${program.name} (${program.package}) ${testCase.name}, stdin ${form}`;
          const wasm = await runCaptured(
            containerd.ctrBinary,
            [
              '--address', containerd.address, '--namespace', containerd.namespace,
              'run', '--rm', '--runtime', WASMTS_RUNTIME, IMAGE, uniqueId(`${program.name}-${testCase.name}`.slice(0, 40)),
              `/${program.name}`, ...testCase.args,
            ],
            'pipe',
            { env, timeoutMs: 180_000, ...(stdin === undefined ? {} : { stdin }) },
          );
          expect(wasm.code, `${what}: exit status (stderr: ${wasm.stderr.slice(-400)})`).toBe(native.code);
          expect({ length: wasm.stdout.length, sha256: sha256(wasm.stdout) }, `${what}: stdout`).toEqual({
            length: native.stdout.length,
            sha256: sha256(native.stdout),
          });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(24);
    await rm(home, { recursive: true, force: true });
  }, 1_800_000);
});
