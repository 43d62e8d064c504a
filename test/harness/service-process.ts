import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TEST_JWT_SECRET, TEST_KEY_V1 } from './test-app';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist/apps/api/src/main.js');
const BUILD_LOCK = join(ROOT, 'dist/.build-lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built service, as production runs it, rebuilt when a source file is newer than the build
 * (CI builds first; locally a stale dist/ would test old code). One Jest worker builds at a time.
 */
export async function ensureBuilt(): Promise<string> {
  const fresh = () =>
    existsSync(MAIN) && statSync(MAIN).mtimeMs >= Math.max(newestSource(join(ROOT, 'apps')), newestSource(join(ROOT, 'libs')));
  if (fresh()) return MAIN;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    if (!fresh()) {
      const built = spawnSync('npx', ['nest', 'build', 'api'], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`nest build failed: ${built.stdout}${built.stderr}`);
    }
  } finally {
    rmdirSync(BUILD_LOCK);
  }
  return MAIN;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The built service as a real process of its own, for tests that kill instances or run several at once. */
export class ServiceProcess {
  output = '';
  private exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
    const main = await ensureBuilt();
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        MIGRATIONS_RUN: 'false',
        JWT_SECRET: TEST_JWT_SECRET,
        CREDENTIAL_ENCRYPTION_KEYS: `1:${TEST_KEY_V1}`,
        SMTP_URL: 'smtp://127.0.0.1:9',
        LOG_LEVEL: 'warn',
        PROVIDER_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
        RATE_LIMIT_USER_PER_MINUTE: '100000',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
        RATE_LIMIT_REGISTER_PER_HOUR: '100000',
        RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}/api/v1`);
    child.stdout!.on('data', (chunk: Buffer) => (service.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (service.output += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      const ready = await fetch(`${service.baseUrl}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return service;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    child.kill('SIGKILL');
    throw new Error(`service not ready: ${service.output.slice(-2000)}`);
  }

  /** SIGKILL: the instance dies mid-work, as a crashed machine would. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
