import { join } from 'node:path';
import { bootSummary, describeDatabase } from './boot-summary';

const DEV = {
  nodeEnv: 'development' as const,
  host: '0.0.0.0',
  dataDir: '/srv/entryguard/data',
  databaseUrl: undefined,
  redisUrl: undefined,
};

describe('boot summary', () => {
  it('names the docs URL, the embedded database and the dev secrets file on one line', () => {
    const { message, fields } = bootSummary(DEV, 3000, {});
    const secrets = join('/srv/entryguard/data', 'dev-secrets.json');
    expect(message).toBe(
      `EntryGuard API listening: docs at http://localhost:3000/api/docs; database: embedded PGlite in /srv/entryguard/data; dev secrets in ${secrets}`,
    );
    expect(message).not.toContain('\n');
    expect(fields).toEqual({
      port: 3000,
      docs: 'http://localhost:3000/api/docs',
      database: 'embedded PGlite in /srv/entryguard/data',
      redis: false,
      devSecrets: secrets,
    });
  });

  it('names PostgreSQL by host, port and database, never its user, password or options', () => {
    const config = {
      ...DEV,
      nodeEnv: 'production' as const,
      databaseUrl: 'postgres://admin:s3cr%40t-pass@db.internal:6543/entryguard?sslpassword=other-secret',
      redisUrl: 'redis://:redis-pass@127.0.0.1:6379',
    };
    const { message, fields } = bootSummary(config, 8080, {});
    expect(message).toBe(
      'EntryGuard API listening: docs at http://localhost:8080/api/docs; database: PostgreSQL db.internal:6543/entryguard',
    );
    expect(JSON.stringify({ message, fields })).not.toMatch(/admin|pass|secret|s3cr/);
    expect(fields).toMatchObject({ redis: true });
    expect(fields).not.toHaveProperty('devSecrets');
  });

  it('leaves the dev secrets out when both secrets come from the environment', () => {
    const { message } = bootSummary(DEV, 3000, { JWT_SECRET: 'x'.repeat(32), CREDENTIAL_ENCRYPTION_KEYS: '1:abc' });
    expect(message).not.toContain('dev secrets');
  });

  it.each([
    ['postgres://postgres@127.0.0.1:5432/entryguard', 'PostgreSQL 127.0.0.1:5432/entryguard'],
    ['postgresql://u:p@[::1]/app', 'PostgreSQL [::1]/app'],
    ['postgres:///app?host=/run/postgresql', 'PostgreSQL /run/postgresql/app'],
  ])('%s -> %s', (databaseUrl, expected) => {
    expect(describeDatabase({ databaseUrl, dataDir: '/data' })).toBe(expected);
  });

  it('shows a specific listen address as is', () => {
    expect(bootSummary({ ...DEV, host: '10.0.0.5' }, 3000, {}).fields.docs).toBe('http://10.0.0.5:3000/api/docs');
    expect(bootSummary({ ...DEV, host: 'fd00::5' }, 3000, {}).fields.docs).toBe('http://[fd00::5]:3000/api/docs');
  });
});
