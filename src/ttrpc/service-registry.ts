import { StatusCode, TtrpcStatusError } from './status-code.js';

/** What a handler learns about its request besides the payload. */
export interface RequestContext {
  service: string;
  method: string;
  /** Request metadata, keys as sent; a key sent several times keeps every value in order. */
  metadata: Map<string, string[]>;
  /** The caller's deadline as a duration in nanoseconds; 0n when it set none. */
  timeoutNano: bigint;
  /** Aborted when the connection carrying the request closes. */
  signal: AbortSignal;
}

/**
 * A unary method: takes the request message bytes, resolves to the response
 * message bytes, or throws TtrpcStatusError to answer with a status (any other
 * error is answered as UNKNOWN with its message).
 */
export type Handler = (payload: Uint8Array, context: RequestContext) => Promise<Uint8Array>;

export type ServiceMethods = Record<string, Handler>;

/** The table of services a server answers, by full service name then method name. */
export class ServiceRegistry {
  readonly #services = new Map<string, Map<string, Handler>>();

  register(serviceName: string, methods: ServiceMethods): void {
    if (this.#services.has(serviceName)) throw new Error(`ttrpc service ${serviceName} is already registered`);
    this.#services.set(serviceName, new Map(Object.entries(methods)));
  }

  /** The handler for service/method; throws UNIMPLEMENTED naming whichever is unknown. */
  resolve(serviceName: string, methodName: string): Handler {
    const service = this.#services.get(serviceName);
    if (service === undefined) throw new TtrpcStatusError(StatusCode.UNIMPLEMENTED, `service ${serviceName}`);
    const handler = service.get(methodName);
    if (handler === undefined) throw new TtrpcStatusError(StatusCode.UNIMPLEMENTED, `method ${methodName}`);
    return handler;
  }
}
