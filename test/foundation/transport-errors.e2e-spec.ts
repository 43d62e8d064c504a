import { connect } from 'node:net';
import { startTestApp, TestApp } from '../harness/test-app';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Sends raw bytes and reads until the server closes the connection (or `limitMs` passes). */
function exchange(port: number, chunks: Array<string | Buffer>, options: { gapMs?: number; limitMs?: number } = {}) {
  return new Promise<{ raw: string; closed: boolean; ms: number }>((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ raw, closed, ms: Date.now() - started });
    }, options.limitMs ?? 5000);
    socket.on('data', (data) => (raw += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ raw, closed, ms: Date.now() - started });
    });
    socket.on('connect', () => {
      void (async () => {
        for (const chunk of chunks) {
          if (socket.destroyed) return;
          socket.write(chunk);
          if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        }
      })();
    });
  });
}

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
}

/** Review findings 6 (no request timeout) and 9 (Node's parser errors skipped the envelope). */
describe('transport: timeouts and parser errors answer the envelope', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ REQUEST_TIMEOUT_MS: '1500' });
    port = Number(new URL(t.baseUrl).port);
  });
  afterAll(async () => t.close());

  it.each([
    ['a bare CR in a header', 'GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n', 400, 'VALIDATION_ERROR'],
    ['a NUL in a header', 'GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n', 400, 'VALIDATION_ERROR'],
    ['Content-Length: abc', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'VALIDATION_ERROR'],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'VALIDATION_ERROR',
    ],
    ['headers over 16 KB', `GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ])('finding 9: %s', async (_name, request, status, code) => {
    const { raw } = await exchange(port, [request]);
    const response = parse(raw);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({
      error: code,
      message: expect.any(String),
      timestamp: expect.stringMatching(ISO_UTC),
      ...(code === 'VALIDATION_ERROR' ? { details: [] } : {}),
    });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(raw).not.toContain('Client Error');
  });

  it('finding 6: a body sent one byte at a time is answered 408 REQUEST_TIMEOUT and the connection closed, long before minutes', async () => {
    const head = 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const drip = Array.from({ length: 40 }, () => '{');
    const { raw, closed } = await exchange(port, [head, ...drip], { gapMs: 250, limitMs: 8000 });
    expect(closed).toBe(true);
    const response = parse(raw);
    expect(response.status).toBe(408);
    expect(response.body).toMatchObject({ error: 'REQUEST_TIMEOUT', timestamp: expect.stringMatching(ISO_UTC) });
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('finding 6: connections per instance are capped', () => {
    expect((t.app.getHttpServer() as import('node:http').Server).maxConnections).toBe(t.config.maxConnections);
    expect(t.config.maxConnections).toBe(2048);
  });
});
