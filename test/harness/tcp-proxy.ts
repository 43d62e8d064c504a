import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A small TCP proxy on 127.0.0.1, for cutting a dependency (PostgreSQL, Redis) away from one
 * app instance without touching the shared server the other test workers use.
 */
export interface TcpProxy {
  /** The local port the proxy listens on (stable across pause/resume). */
  readonly port: number;
  /** Destroys every open connection and stops listening: new connections are refused. */
  pause(): Promise<void>;
  /**
   * Destroys every open connection but keeps listening: new connections are accepted and
   * then never answered (a network partition, as opposed to a refused connection).
   */
  blackhole(): Promise<void>;
  /** Forwards again, listening on the same port if paused. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let forwarding = true;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const handle = (client: Socket) => {
    track(client);
    if (!forwarding) {
      client.pause();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer(handle);
      next.once('error', reject);
      next.listen({ host: '127.0.0.1', port }, () => {
        next.off('error', reject);
        server = next;
        port = (next.address() as { port: number }).port;
        resolve();
      });
    });

  const dropConnections = () => {
    for (const socket of sockets) {
      socket.destroy();
    }
    sockets.clear();
  };

  const stop = async () => {
    const current = server;
    server = undefined;
    dropConnections();
    if (current) {
      await new Promise<void>((resolve) => current.close(() => resolve()));
    }
  };

  await listen();
  return {
    get port() {
      return port;
    },
    pause: stop,
    async blackhole() {
      forwarding = false;
      dropConnections();
      if (!server) {
        await listen();
      }
    },
    async resume() {
      if (!forwarding) {
        // Connections accepted while black-holed never reached the target: let them fail.
        dropConnections();
      }
      forwarding = true;
      if (!server) {
        await listen();
      }
    },
    close: stop,
  };
}

/** Alias: `start(targetHost, targetPort)`. */
export const start = startTcpProxy;
