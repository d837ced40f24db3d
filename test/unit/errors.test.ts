import { describe, expect, it } from 'vitest';
import { type ErrorCode, InvalidArgumentError, ResourceExhaustedError, WasmtsError, errorOf } from '../../src/errors.js';
import { WIRE_STATUS } from '../../src/shim/rpc/task-ttrpc-adapter.js';
import { StatusCode } from '../../src/ttrpc/index.js';

describe('typed errors', () => {
  it('come back as the same kind from their code, as a worker failure crosses the thread boundary', () => {
    const codes = Object.keys(WIRE_STATUS) as ErrorCode[];
    for (const code of codes) {
      const error = errorOf(code, `boom ${code}`);
      expect(error).toBeInstanceOf(WasmtsError);
      expect(error.code).toBe(code);
      expect(error.message).toBe(`boom ${code}`);
    }
    expect(errorOf('ERR_INVALID_ARGUMENT', 'x')).toBeInstanceOf(InvalidArgumentError);
    expect(errorOf('ERR_RESOURCE_EXHAUSTED', 'x')).toBeInstanceOf(ResourceExhaustedError);
  });

  it('map to the wire statuses containerd turns back into its own errors, in the adapter alone', () => {
    expect(WIRE_STATUS.ERR_NOT_FOUND).toBe(StatusCode.NOT_FOUND);
    expect(WIRE_STATUS.ERR_INVALID_ARGUMENT).toBe(StatusCode.INVALID_ARGUMENT);
    expect(WIRE_STATUS.ERR_FAILED_PRECONDITION).toBe(StatusCode.FAILED_PRECONDITION);
    expect(WIRE_STATUS.ERR_NOT_IMPLEMENTED).toBe(StatusCode.UNIMPLEMENTED);
    expect(new Set(Object.values(WIRE_STATUS)).size).toBe(Object.keys(WIRE_STATUS).length);
  });
});
