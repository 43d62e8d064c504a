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
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const handle = (client: Socket) => {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(client);
    track(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
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

  const stop = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) {
      socket.destroy();
    }
    sockets.clear();
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
    async resume() {
      if (!server) {
        await listen();
      }
    },
    close: stop,
  };
}

/** Alias: `start(targetHost, targetPort)`. */
export const start = startTcpProxy;
