/**
 * The project's typed errors. Every layer below the ttrpc adapter throws these;
 * the adapter (src/shim/rpc/task-ttrpc-adapter.ts) is the one place that turns them
 * into a wire status. Each class has a stable `code` that callers and tests
 * match on; this file imports nothing, so every layer may use it.
 */

export type ErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_ALREADY_EXISTS'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_FAILED_PRECONDITION'
  | 'ERR_NOT_IMPLEMENTED'
  | 'ERR_RESOURCE_EXHAUSTED'
  | 'ERR_UNAVAILABLE'
  | 'ERR_INTERNAL';

export abstract class WasmtsError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends WasmtsError {
  readonly code = 'ERR_NOT_FOUND';
}

export class AlreadyExistsError extends WasmtsError {
  readonly code = 'ERR_ALREADY_EXISTS';
}

export class InvalidArgumentError extends WasmtsError {
  readonly code = 'ERR_INVALID_ARGUMENT';
}

export class FailedPreconditionError extends WasmtsError {
  readonly code = 'ERR_FAILED_PRECONDITION';
}

export class NotImplementedError extends WasmtsError {
  readonly code = 'ERR_NOT_IMPLEMENTED';
}

export class ResourceExhaustedError extends WasmtsError {
  readonly code = 'ERR_RESOURCE_EXHAUSTED';
}

export class UnavailableError extends WasmtsError {
  readonly code = 'ERR_UNAVAILABLE';
}

export class InternalError extends WasmtsError {
  readonly code = 'ERR_INTERNAL';
}

const BY_CODE: Record<ErrorCode, new (message: string, options?: { cause?: unknown }) => WasmtsError> = {
  ERR_NOT_FOUND: NotFoundError,
  ERR_ALREADY_EXISTS: AlreadyExistsError,
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_FAILED_PRECONDITION: FailedPreconditionError,
  ERR_NOT_IMPLEMENTED: NotImplementedError,
  ERR_RESOURCE_EXHAUSTED: ResourceExhaustedError,
  ERR_UNAVAILABLE: UnavailableError,
  ERR_INTERNAL: InternalError,
};

/** The typed error for a code: how an error keeps its kind across a thread boundary (which carries only data). */
export function errorOf(code: ErrorCode, message: string, options?: { cause?: unknown }): WasmtsError {
  return new BY_CODE[code](message, options);
}

/** A message for a person: the error's own message plus the chain of causes. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.filter((p) => p.length > 0).join(': ');
}
