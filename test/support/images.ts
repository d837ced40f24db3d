/**
 * The images every integration test can rely on: the global setup builds them
 * from the fixtures into build/images/<name>.tar and imports them into the
 * private containerd. Tests refer to them as `TEST_IMAGES.hello.reference`.
 *
 * Each module sits at `/<fixture>` in its image and is the image Entrypoint.
 * Note that `ctr run IMG ID a1` *replaces* the Entrypoint with `a1`, so tests
 * that pass arguments name the module first: `ctr run IMG ID /hello.wasm a1`.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeImage, type ImageFile } from '../../tools/image/image-builder.js';
import { fixturePath, IMAGES_DIR, type FixtureName } from './fixtures.js';

export interface TestImage {
  /** Short name: `docker.io/wasmts/<name>:latest`, written to build/images/<name>.tar. */
  name: string;
  /** Full reference as `ctr images ls` shows it. */
  reference: string;
  /** Path of the module inside the image (the Entrypoint, except for missing-entrypoint). */
  modulePath: string;
  entrypoint: readonly string[];
  /** Image config Env, if any. */
  env?: readonly string[];
  fixture: FixtureName;
  /** More fixtures in the image, each at `/<fixture>` (for `ctr task exec`). */
  extraFixtures?: readonly FixtureName[];
}

const REGISTRY = 'docker.io/wasmts';

function image(name: string, fixture: FixtureName, extra: Partial<TestImage> = {}): TestImage {
  const modulePath = `/${fixture}`;
  return { name, reference: `${REGISTRY}/${name}:latest`, modulePath, entrypoint: [modulePath], fixture, ...extra };
}

export const TEST_IMAGES = {
  /** Prints `hello from wasm` (stdout) and `hello on stderr` (stderr); exit 0. */
  hello: image('hello', 'hello.wasm'),
  /** Prints `arg[i]=…` and `env=…` lines; exits with $EXIT_CODE. Image Env adds IMAGE_ENV=from-image. */
  echoArgsEnv: image('echo-args-env', 'echo-args-env.wasm', { env: ['IMAGE_ENV=from-image'] }),
  /** Exits with atoi(argv[1]): `ctr run IMG ID /exit-code.wasm 3`. */
  exitCode: image('exit-code', 'exit-code.wasm'),
  /** Prints `tick N` every second, forever. */
  ticker: image('ticker', 'ticker.wasm'),
  /** Prints `about to trap`, then traps (unreachable) in function `crash_here`. */
  trap: image('trap', 'trap.wasm'),
  /** Imports env.not_provided; instantiation must fail. */
  missingImport: image('missing-import', 'missing-import.wasm'),
  /** Copies stdin to stdout. */
  cat: image('cat', 'cat.wasm'),
  /** Runs file operations named in argv (cat, write, ls, rm, ...); see test/fixtures/files.c. */
  files: image('files', 'files.wasm'),
  /** Rust std: prints `hello from rust` and `arg[i]=…`; exits with argv[1] if numeric. */
  helloRust: image('hello-rust', 'hello-rust.wasm'),
  /** Hand-written .wat: prints `hello from wat`, proc_exit(42). */
  exitWat: image('exit-wat', 'exit-wat.wasm'),
  /** First half of hello.wasm: compile error. */
  truncated: image('truncated', 'truncated.wasm'),
  /** A text file as the entrypoint. */
  notWasm: image('not-wasm', 'not-wasm.txt'),
  /** A static x86-64 Linux ELF as the entrypoint (runs under runc, must be refused by wasmts). */
  linuxBinary: image('linux-binary', 'linux-binary'),
  /** Holds /hello.wasm but its Entrypoint is /missing.wasm, which does not exist. */
  missingEntrypoint: image('missing-entrypoint', 'hello.wasm', { entrypoint: ['/missing.wasm'] }),
  /** Runs the ticker; also holds the other modules at /<fixture> for `ctr task exec`. */
  toolbox: image('toolbox', 'ticker.wasm', {
    extraFixtures: ['hello.wasm', 'cat.wasm', 'echo-args-env.wasm', 'exit-code.wasm', 'tty-probe.wasm', 'spin.wasm', 'memhog.wasm', 'not-wasm.txt'],
  }),
  /** Says whether stdio are terminals, then echoes lines as `got: …` until EOF. */
  ttyProbe: image('tty-probe', 'tty-probe.wasm'),
  /** Burns CPU without WASI calls, printing `spin N` after each block. */
  spin: image('spin', 'spin.wasm'),
  /** Grows its heap 1 MiB at a time: `/memhog.wasm slow|abort|exit`. */
  memhog: image('memhog', 'memhog.wasm'),
  /** `/stdio-burst.wasm OUT ERR return|exit0|exit3|trap`: known patterns on stdout and stderr, then that ending (test/support/stdio-pattern.ts). */
  stdioBurst: image('stdio-burst', 'stdio-burst.wasm'),
  /** `/deep-recursion.wasm N`: recurses N calls deep, prints `reached N`. */
  deepRecursion: image('deep-recursion', 'deep-recursion.wasm'),
  /** HTTP server on WasmEdge's socket calls: `/http-server.wasm PORT [ADDRESS] [poll|blocking]` answers `Hello, World!`. */
  httpServer: image('http-server', 'http-server.wasm'),
  /** `/tcp-client.wasm HOST PORT MESSAGE`: resolves HOST (sock_getaddrinfo), sends MESSAGE, prints `reply: …`. */
  tcpClient: image('tcp-client', 'tcp-client.wasm'),
  /** `/udp-echo.wasm PORT [ADDRESS]`: echoes datagrams until one says `quit`. */
  udpEcho: image('udp-echo', 'udp-echo.wasm'),
  /** Serves `Hello, World!` on the listening socket the runtime hands over (preview 1 sock_accept; annotation io.containerd.wasmts.v1.tcplisten). */
  tcplistenServer: image('tcplisten-server', 'tcplisten-server.wasm'),
} as const satisfies Record<string, TestImage>;

export type TestImageName = keyof typeof TEST_IMAGES;

export interface BuiltTestImage {
  key: TestImageName;
  reference: string;
  tarPath: string;
  manifestDigest: string;
}

/** Writes every test image to `build/images/<image name>.tar`. Fixtures must be built. */
export async function buildTestImages(outDir: string = IMAGES_DIR): Promise<BuiltTestImage[]> {
  const entries = Object.entries(TEST_IMAGES) as [TestImageName, TestImage][];
  return Promise.all(
    entries.map(async ([key, spec]) => {
      const files: ImageFile[] = [{ path: spec.modulePath, data: await readFile(fixturePath(spec.fixture)), mode: 0o755 }];
      for (const extra of (spec as TestImage).extraFixtures ?? []) {
        files.push({ path: `/${extra}`, data: await readFile(fixturePath(extra)), mode: 0o755 });
      }
      const tarPath = path.join(outDir, `${spec.name}.tar`);
      const built = await writeImage(tarPath, {
        reference: spec.reference,
        entrypoint: spec.entrypoint,
        ...(spec.env === undefined ? {} : { env: spec.env }),
        files,
      });
      return { key, reference: built.reference, tarPath, manifestDigest: built.manifestDigest };
    }),
  );
}
