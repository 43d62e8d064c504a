import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer<S> {
  /** http://127.0.0.1:<port> */
  url: string;
  state: S;
  close(): Promise<void>;
}

export interface LocalServerOptions {
  /** Listen on this loopback port (default: a free one). */
  port?: number;
  /** While this answers true, every connection (new or kept alive) is reset at once: the provider is down. */
  refuseConnections?: () => boolean;
}

/** A fake provider on loopback: one handler over seeded state; a handler bug answers 500. */
export async function startLocalServer<S>(
  state: S,
  handle: (state: S, req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: LocalServerOptions = {},
): Promise<LocalServer<S>> {
  const refusing = () => options.refuseConnections?.() === true;
  const server = createServer((req, res) => {
    if (refusing()) {
      req.socket.destroy();
      return;
    }
    handle(state, req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    if (refusing()) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
