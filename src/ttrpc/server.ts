import type { Server, Socket } from 'node:net';
import { ServerConnection, type ServerErrorHook } from './server-connection.js';
import { ServiceRegistry, type ServiceMethods } from './service-registry.js';

export interface TtrpcServerOptions {
  /**
   * Called with errors the server swallows: handler errors that were not a
   * TtrpcStatusError (answered as UNKNOWN) and socket errors other than the
   * peer hanging up. Meant for logging.
   */
  onError?: ServerErrorHook;
}

/** A ttrpc server: a table of services plus the connections it serves them on. */
export class TtrpcServer {
  readonly #services = new ServiceRegistry();
  readonly #connections = new Set<ServerConnection>();
  readonly #listeners = new Map<Server, (socket: Socket) => void>();
  readonly #onError: ServerErrorHook | undefined;
  #closed = false;

  constructor(options: TtrpcServerOptions = {}) {
    this.#onError = options.onError;
  }

  /** Adds a service by its full proto name, e.g. `containerd.task.v2.Task`. */
  register(serviceName: string, methods: ServiceMethods): void {
    this.#services.register(serviceName, methods);
  }

  /** Serves requests arriving on one connected socket until it closes. */
  serve(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(socket, this.#services, this.#onError);
    this.#connections.add(connection);
    void connection.closed.then(() => this.#connections.delete(connection));
  }

  /** Serves every connection `server` accepts; it may be listening already or not yet. */
  listen(server: Server): void {
    if (this.#closed) throw new Error('ttrpc server is closed');
    if (this.#listeners.has(server)) return;
    const onConnection = (socket: Socket): void => this.serve(socket);
    this.#listeners.set(server, onConnection);
    server.on('connection', onConnection);
  }

  /** Stops accepting connections (closing every attached net.Server); existing ones carry on. */
  close(): void {
    this.#closed = true;
    for (const [server, onConnection] of this.#listeners) {
      server.off('connection', onConnection);
      if (server.listening) server.close();
    }
    this.#listeners.clear();
  }

  /**
   * Stops accepting and ends every connection once its queued responses are
   * written; in-flight handlers see their signal abort. Resolves when all
   * connections have closed.
   */
  async shutdown(): Promise<void> {
    this.close();
    const connections = [...this.#connections];
    for (const connection of connections) connection.end();
    await Promise.all(connections.map((connection) => connection.closed));
  }

  /** The number of open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }
}
