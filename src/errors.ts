// Only the constants file: errors.ts is loaded by every shim action, the codec is not.
import { StatusCode } from './ttrpc/status-code.js';

/**
 * The project's typed errors. Every layer below the ttrpc adapter throws these;
 * the adapter (src/shim/task-ttrpc-adapter.ts) is the one place that turns them
 * into a wire status. Each class has a stable `code` that callers and tests
 * match on, and a gRPC status number that containerd maps back to its own
 * error classes (errdefs).
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

/** gRPC status codes (google/rpc/code.proto), as the ttrpc layer names them. */
export const GrpcCode = StatusCode;

export abstract class WasmtsError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly grpcCode: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends WasmtsError {
  readonly code = 'ERR_NOT_FOUND';
  readonly grpcCode = GrpcCode.NOT_FOUND;
}

export class AlreadyExistsError extends WasmtsError {
  readonly code = 'ERR_ALREADY_EXISTS';
  readonly grpcCode = GrpcCode.ALREADY_EXISTS;
}

export class InvalidArgumentError extends WasmtsError {
  readonly code = 'ERR_INVALID_ARGUMENT';
  readonly grpcCode = GrpcCode.INVALID_ARGUMENT;
}

export class FailedPreconditionError extends WasmtsError {
  readonly code = 'ERR_FAILED_PRECONDITION';
  readonly grpcCode = GrpcCode.FAILED_PRECONDITION;
}

export class NotImplementedError extends WasmtsError {
  readonly code = 'ERR_NOT_IMPLEMENTED';
  readonly grpcCode = GrpcCode.UNIMPLEMENTED;
}

export class ResourceExhaustedError extends WasmtsError {
  readonly code = 'ERR_RESOURCE_EXHAUSTED';
  readonly grpcCode = GrpcCode.RESOURCE_EXHAUSTED;
}

export class UnavailableError extends WasmtsError {
  readonly code = 'ERR_UNAVAILABLE';
  readonly grpcCode = GrpcCode.UNAVAILABLE;
}

export class InternalError extends WasmtsError {
  readonly code = 'ERR_INTERNAL';
  readonly grpcCode = GrpcCode.INTERNAL;
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
