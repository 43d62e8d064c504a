import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { createRootLogger } from './logging/logger';
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
  const logger = createRootLogger(config.logLevel);
  warnings.forEach((warning) => logger.warn(warning));
  const app = await createApp(config, { logger });
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      port: config.port,
      database: config.databaseUrl ? 'postgresql' : `embedded PGlite in ${config.dataDir}`,
      redis: Boolean(config.redisUrl),
    },
    'EntryGuard API listening',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`EntryGuard API failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
