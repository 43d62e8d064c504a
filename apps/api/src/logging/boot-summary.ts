import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';

export interface BootSummary {
  /** One line a newcomer can act on: where the docs are, which database, where the dev secrets are. */
  message: string;
  /** The same, as fields for JSON logs. */
  fields: { port: number; docs: string; database: string; redis: boolean; devSecrets?: string };
}

/** Where the database is, never who or with what password: host, port and database name only. */
export function describeDatabase(config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) {
    return `embedded PGlite in ${config.dataDir}`;
  }
  try {
    const url = new URL(config.databaseUrl);
    // postgres:///db?host=/run/postgresql names a Unix socket directory instead of a host.
    const host = url.hostname || url.searchParams.get('host') || 'localhost';
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return `PostgreSQL ${host}${url.port ? `:${url.port}` : ''}/${database}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** A wildcard or loopback listen address is reached as localhost from the same machine. */
function browsableHost(host: string): string {
  if (['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost', ''].includes(host)) {
    return 'localhost';
  }
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The development secrets file, when this process uses it: outside production, when JWT_SECRET or
 * CREDENTIAL_ENCRYPTION_KEYS is unset (the rule loadConfig applies when it generates or reads it).
 */
function devSecretsFile(config: Pick<AppConfig, 'nodeEnv' | 'dataDir'>, env: Record<string, string | undefined>): string | undefined {
  if (config.nodeEnv === 'production') {
    return undefined;
  }
  const set = (name: string) => Boolean(env[name]?.trim());
  return set('JWT_SECRET') && set('CREDENTIAL_ENCRYPTION_KEYS') ? undefined : join(config.dataDir, 'dev-secrets.json');
}

export function bootSummary(
  config: Pick<AppConfig, 'nodeEnv' | 'host' | 'databaseUrl' | 'dataDir' | 'redisUrl'>,
  port: number,
  env: Record<string, string | undefined> = process.env,
): BootSummary {
  const docs = `http://${browsableHost(config.host)}:${port}/api/docs`;
  const database = describeDatabase(config);
  const devSecrets = devSecretsFile(config, env);
  const parts = [`docs at ${docs}`, `database: ${database}`];
  if (devSecrets) {
    parts.push(`dev secrets in ${devSecrets}`);
  }
  return {
    message: `EntryGuard API listening: ${parts.join('; ')}`,
    fields: { port, docs, database, redis: Boolean(config.redisUrl), ...(devSecrets ? { devSecrets } : {}) },
  };
}
