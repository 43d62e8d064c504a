import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer<S> {
  /** http://127.0.0.1:<free port> */
  url: string;
  state: S;
  close(): Promise<void>;
}

/** A fake provider on loopback: one handler over seeded state; a handler bug answers 500. */
export async function startLocalServer<S>(
  state: S,
  handle: (state: S, req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<LocalServer<S>> {
  const server = createServer((req, res) => {
    handle(state, req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
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
