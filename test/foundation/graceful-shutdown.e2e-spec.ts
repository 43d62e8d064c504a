import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ensureBuilt } from '../harness/service-process';
import { TEST_JWT_SECRET, TEST_KEY_V1 } from '../harness/test-app';
import { createFreshDatabase, dropDatabase } from '../harness/test-database';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist/apps/api/src/main.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The built service, as production runs it: SIGTERM closes it cleanly, and quickly. */
describe('graceful shutdown', () => {
  beforeAll(async () => {
    // CI builds before testing; a fresh clone, or sources newer than dist/, build here once.
    await ensureBuilt();
  }, 180_000);

  it('stops on SIGTERM within seconds, after answering the request in flight', async () => {
    // Its own database: the service runs its background jobs, which claim every due row they see.
    const database = await createFreshDatabase('entryguard_shutdown');
    try {
      await runAndStop(database.url);
    } finally {
      await dropDatabase(database.name);
    }
  });

  it('review finding 6: a client dripping its body one byte at a time does not hold shutdown past the deadline', async () => {
    const database = await createFreshDatabase('entryguard_shutdown');
    try {
      await runAndStop(database.url, { slowClient: true });
    } finally {
      await dropDatabase(database.name);
    }
  });
});

async function runAndStop(databaseUrl: string, options: { slowClient?: boolean } = {}): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      MIGRATIONS_RUN: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      CREDENTIAL_ENCRYPTION_KEYS: `1:${TEST_KEY_V1}`,
      JOBS_ENABLED: 'true',
      // Production requires a mail server; this test sends no mail (nothing listens on port 9).
      SMTP_URL: 'smtp://127.0.0.1:9',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  const base = `http://127.0.0.1:${port}/api/v1`;
  const deadline = Date.now() + 45_000;
  let ready = false;
  while (!ready && Date.now() < deadline) {
    ready = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });

  let slow: Socket | undefined;
  if (options.slowClient) {
    // Headers, then one byte of a 100-byte body every 200 ms: without a cut, this socket would
    // keep the HTTP server open until REQUEST_TIMEOUT_MS (30 s), past the 10 s deadline.
    slow = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => slow!.once('connect', resolve));
    slow.on('error', () => undefined);
    slow.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n');
    const drip = setInterval(() => (slow!.destroyed ? clearInterval(drip) : slow!.write('{')), 200);
    slow.on('close', () => clearInterval(drip));
  }

  // A login in flight when the signal lands: its headers reach the server first (the request is
  // routed), the body only after SIGTERM, so it is surely under way while the server drains.
  const body = JSON.stringify({ organizationSlug: 'nobody-here', email: 'nobody@example.test', password: 'whatever-password' });
  const request = httpRequest(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const inFlight = new Promise<{ status: number }>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', reject);
  });
  request.flushHeaders();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 100));
  request.end(body);

  const inFlightStatus = (await inFlight).status;
  expect({ inFlightStatus, output: inFlightStatus === 401 ? '' : output }).toEqual({ inFlightStatus: 401, output: '' });
  const result = await exited;
  slow?.destroy();
  expect(Date.now() - signalledAt).toBeLessThan(10_000);
  // Everything closed, so the event loop drains and the process ends by itself.
  expect(result).toEqual({ code: 0, signal: null });
  expect(output).toContain('"msg":"shutting down"');
  expect(output).not.toMatch(/"level":50|Unhandled|failed to start/);
}
