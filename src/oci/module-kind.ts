/**
 * What a container's program is, from its first bytes: a core WebAssembly
 * module (what wasmts runs), or something else, named in a message that says
 * what it is instead.
 */
import { InvalidArgumentError } from '../errors.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm", WebAssembly core spec 5.5.16
const CORE_MODULE_VERSION = [0x01, 0x00, 0x00, 0x00];
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

const RUN_WASM_HINT = 'wasmts runs WebAssembly (WASI preview 1) modules; use a wasm image, or the runc runtime for Linux programs';

function startsWith(bytes: Uint8Array, prefix: number[], offset = 0): boolean {
  return prefix.every((b, i) => bytes[offset + i] === b);
}

/** Says what `bytes` are when they are not a core WebAssembly module, or undefined if they may be one. */
export function describeNonModule(bytes: Uint8Array, guestPath: string): string | undefined {
  if (bytes.length === 0) return `${guestPath} is an empty file, not a WebAssembly module; ${RUN_WASM_HINT}`;
  if (startsWith(bytes, ELF_MAGIC)) {
    return `${guestPath} is a Linux ELF executable, not a WebAssembly module; ${RUN_WASM_HINT}`;
  }
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    return `${guestPath} is a script (it starts with #!), not a WebAssembly module; ${RUN_WASM_HINT}`;
  }
  if (startsWith(bytes, WASM_MAGIC)) {
    if (startsWith(bytes, CORE_MODULE_VERSION, 4)) return undefined;
    if (bytes[6] === 0x01 && bytes[7] === 0x00) {
      return `${guestPath} is a WebAssembly component, not a core module; wasmts runs WASI preview 1 core modules`;
    }
    return `${guestPath} is a WebAssembly binary of an unsupported version`;
  }
  const head = Buffer.from(bytes.subarray(0, 64));
  const printable = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  if (printable) {
    const firstLine = head.toString('utf8').split('\n')[0]?.slice(0, 40) ?? '';
    return `${guestPath} is a text file (it starts with ${JSON.stringify(firstLine)}), not a WebAssembly module; ${RUN_WASM_HINT}`;
  }
  return `${guestPath} is not a WebAssembly module (no \\0asm header); ${RUN_WASM_HINT}`;
}


/** A Linux program (an ELF executable or a `#!` script): what runc would run. */
export function isNativeProgram(head: Uint8Array): boolean {
  return startsWith(head, ELF_MAGIC) || (head[0] === 0x23 && head[1] === 0x21);
}

/**
 * The container's program is a Linux program, not a module. In a pod, wasmts
 * hands such a container to containerd's runc shim (a sidecar, an init
 * container); elsewhere this is the error the client sees.
 */
export class NativeProgramError extends InvalidArgumentError {}
