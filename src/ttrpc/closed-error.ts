/**
 * A call could not complete because its connection closed (or was never open).
 * Callers match on `code`, then reconnect if they want to go on.
 */
export class TtrpcClosedError extends Error {
  override name = 'TtrpcClosedError';
  readonly code = 'ERR_TTRPC_CLOSED';
}
