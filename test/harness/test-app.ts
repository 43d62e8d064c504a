import 'reflect-metadata';
import { Writable } from 'node:stream';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { AppConfig, loadConfig } from '../../apps/api/src/config/app-config';
import { createApp } from '../../apps/api/src/create-app';
import { createRootLogger } from '../../apps/api/src/logging/logger';
import { createFreshDatabase, dropDatabase } from './test-database';

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_KEY_V1 = Buffer.alloc(32, 7).toString('base64');
export const TEST_KEY_V2 = Buffer.alloc(32, 9).toString('base64');

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port>/api/v1 */
  baseUrl: string;
  /** Every log line the service wrote, as JSON text: the secret-canary tests search it. */
  logs: string[];
  db: Pool;
  close(): Promise<void>;
}

/** Generous limits by default, so only the rate-limit specs meet them. */
const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  JWT_SECRET: TEST_JWT_SECRET,
  CREDENTIAL_ENCRYPTION_KEYS: `1:${TEST_KEY_V1}`,
  MIGRATIONS_RUN: 'false',
  LOG_LEVEL: 'info',
  RATE_LIMIT_USER_PER_MINUTE: '100000',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
  RATE_LIMIT_REGISTER_PER_HOUR: '100000',
  RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
  RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR: '100000',
  RATE_LIMIT_MFA_PER_MINUTE: '100000',
  JOBS_ENABLED: 'false',
  DB_POOL_SIZE: '10',
  PROVIDER_TIMEOUT_MS: '3000',
  // No test talks to real AWS: a spec without a fake sends its AWS calls to a closed loopback port.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  // The provider fakes listen on loopback, which the outbound policy refuses unless allowed (§18).
  PROVIDER_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
};

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error('TEST_DATABASE_URL is not set: run the e2e specs through jest (global setup creates the database)');
  }
  return url;
}

export async function startTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const { config } = loadConfig({ ...TEST_ENV, DATABASE_URL: testDatabaseUrl(), ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = await createApp(config, { logger: createRootLogger(config.logLevel, sink) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const db = new Pool({ connectionString: config.databaseUrl ?? testDatabaseUrl(), max: 4 });
  // pool.end() resolves before its sockets close; a DROP DATABASE ... WITH (FORCE) right after can
  // then end one of them, which the pool reports as an 'error' event. Nothing is using it by then.
  db.on('error', () => undefined);
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${address.port}/api/v1`,
    logs,
    db,
    async close() {
      await app.close();
      await db.end();
    },
  };
}

/**
 * The app on a database of its own, dropped on close: for specs that must see whole tables
 * unchanged, which the shared run database cannot promise (other specs' jobs write to it).
 */
export async function startTestAppOnOwnDatabase(env: Record<string, string | undefined> = {}, prefix = 'entryguard_own'): Promise<TestApp> {
  const database = await createFreshDatabase(prefix);
  let t: TestApp;
  try {
    t = await startTestApp({ ...env, DATABASE_URL: database.url });
  } catch (error) {
    await dropDatabase(database.name);
    throw error;
  }
  const close = t.close.bind(t);
  t.close = async () => {
    try {
      await close();
    } finally {
      if (!process.env.KEEP_TEST_DATABASE) {
        await dropDatabase(database.name);
      }
    }
  };
  return t;
}
