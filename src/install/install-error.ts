/**
 * Why the installer stopped: said once, to the operator, with what to do. The
 * installer's entry point prints its message and exits 1; anything else is a bug
 * and keeps its stack.
 */
export class InstallError extends Error {
  readonly code = 'ERR_INSTALL';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InstallError';
  }
}
