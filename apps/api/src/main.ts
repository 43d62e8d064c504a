// First: on a Node older than 24 LTS, stop here with what to do.
import './node-version';
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config/app-config';
import { bootSummary } from './logging/boot-summary';
import { chooseLogFormat, createRootLogger } from './logging/logger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createApp } from './create-app';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, warnings } = loaded;
  // Readable lines for a person at a terminal in development; JSON everywhere else.
  const format = chooseLogFormat(config.nodeEnv, process.stdout.isTTY);
  const logger = createRootLogger(config.logLevel, undefined, format);
  warnings.forEach((warning) => logger.warn(warning));
  const app = await createApp(config, { logger });
  await app.listen({ port: config.port, host: config.host });
  // The last boot line: where the docs are, which database (never its password), where the dev secrets are.
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const summary = bootSummary(config, port);
  // JSON logs carry the same as fields; a pretty line stays one line.
  logger.info(format === 'json' ? summary.fields : {}, summary.message);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutDown(app, logger, signal));
  }
}

const SHUTDOWN_DEADLINE_MS = 10_000;
/**
 * Requests still running (or still arriving, one byte at a time) this long after the signal are
 * cut, so that the database and Redis close cleanly before the deadline forces an exit.
 */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Stop taking requests and finish the ones in flight first, then close the rest (jobs, database,
 * Redis). Nest's own shutdown hooks close the database before the HTTP server, which cuts
 * requests that are still running.
 */
async function shutDown(app: NestFastifyApplication, logger: Logger, signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  try {
    // Keep-alive sockets go idle one by one as their last answer is sent; close each as it does,
    // or the HTTP server waits for the clients' keep-alive timeout.
    const server = app.getHttpServer() as Server;
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await app.getHttpAdapter().getInstance().close();
    clearInterval(sweep);
    clearTimeout(cut);
    await app.close();
    process.exitCode = 0;
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`EntryGuard API failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
