/** gRPC status codes (google/rpc/code.proto), as carried in google.rpc.Status.code. */
export const StatusCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

const codeNames = new Map<number, string>(Object.entries(StatusCode).map(([name, code]) => [code, name]));

/** The name of a status code (`NOT_FOUND`), or `CODE(<n>)` for one outside the table. */
export function statusCodeName(code: number): string {
  return codeNames.get(code) ?? `CODE(${code})`;
}

/**
 * A non-OK ttrpc status. A handler throws it to answer with that code and
 * message; a client call rejects with it when the server answers non-OK, and
 * with DEADLINE_EXCEEDED when its own timeout passes.
 */
export class TtrpcStatusError extends Error {
  override name = 'TtrpcStatusError';
  readonly code: number;

  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
