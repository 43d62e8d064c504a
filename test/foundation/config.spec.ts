import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../apps/api/src/config/app-config';

const GOOD_SECRET = 'a-jwt-secret-that-is-at-least-32-bytes-long';
const GOOD_KEYS = `1:${Buffer.alloc(32, 3).toString('base64')}`;

/** Configuration is validated at boot: a bad value stops the process with a message naming the variable. */
describe('loadConfig (decisions §8)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'entryguard-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const base = () => ({ NODE_ENV: 'test', JWT_SECRET: GOOD_SECRET, CREDENTIAL_ENCRYPTION_KEYS: GOOD_KEYS, DATA_DIR: dataDir });

  function configErrorFor(env: Record<string, string | undefined>): ConfigError {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  }

  it('accepts the base environment (control), in test and in production', () => {
    const { config } = loadConfig(base());
    expect(config).toMatchObject({ nodeEnv: 'test', port: 3000, jwt: { secret: GOOD_SECRET }, credentialEncryptionKeys: GOOD_KEYS });
    const production = loadConfig({ ...base(), NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(production.config.nodeEnv).toBe('production');
    expect(production.warnings).toEqual([]);
    expect(existsSync(join(dataDir, 'dev-secrets.json'))).toBe(false);
  });

  const invalid: Array<[string, string, Record<string, string | undefined>]> = [
    ['PORT=abc', 'PORT', { PORT: 'abc' }],
    ['PORT=70000', 'PORT', { PORT: '70000' }],
    ['a JWT_SECRET shorter than 32 bytes', 'JWT_SECRET', { JWT_SECRET: 'too-short-secret' }],
    ['production without JWT_SECRET', 'JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: undefined }],
    [
      'production without CREDENTIAL_ENCRYPTION_KEYS',
      'CREDENTIAL_ENCRYPTION_KEYS',
      { NODE_ENV: 'production', CREDENTIAL_ENCRYPTION_KEYS: undefined },
    ],
    ['production with a blank JWT_SECRET', 'JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: '   ' }],
    ['CREDENTIAL_ENCRYPTION_KEYS=1:short', 'CREDENTIAL_ENCRYPTION_KEYS', { CREDENTIAL_ENCRYPTION_KEYS: '1:short' }],
    [
      'CREDENTIAL_ENCRYPTION_KEYS without a version',
      'CREDENTIAL_ENCRYPTION_KEYS',
      { CREDENTIAL_ENCRYPTION_KEYS: Buffer.alloc(32, 1).toString('base64') },
    ],
    ['REDIS_URL=http://x', 'REDIS_URL', { REDIS_URL: 'http://x' }],
    ['REDIS_URL that is not a URL', 'REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['DATABASE_URL with another scheme', 'DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db' }],
    ['TRUST_PROXY=garbage!', 'TRUST_PROXY', { TRUST_PROXY: 'garbage!' }],
    ['LOG_LEVEL=loud', 'LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NODE_ENV=staging', 'NODE_ENV', { NODE_ENV: 'staging' }],
    ['MIGRATIONS_RUN=maybe', 'MIGRATIONS_RUN', { MIGRATIONS_RUN: 'maybe' }],
    ['BODY_LIMIT_BYTES=12', 'BODY_LIMIT_BYTES', { BODY_LIMIT_BYTES: '12' }],
    ['RATE_LIMIT_LOGIN_PER_MINUTE=0', 'RATE_LIMIT_LOGIN_PER_MINUTE', { RATE_LIMIT_LOGIN_PER_MINUTE: '0' }],
    ['RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR=five', 'RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR', { RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR: 'five' }],
    ['JWT_ACCESS_TTL=soon', 'JWT_ACCESS_TTL', { JWT_ACCESS_TTL: 'soon' }],
    ['JWT_SECRET of 32 identical characters (review finding 15)', 'JWT_SECRET', { JWT_SECRET: 'a'.repeat(32) }],
    ['JWT_SECRET of two alternating characters', 'JWT_SECRET', { JWT_SECRET: 'ab'.repeat(24) }],
    ['PROVIDER_ALLOWED_NETWORKS with a bare address', 'PROVIDER_ALLOWED_NETWORKS', { PROVIDER_ALLOWED_NETWORKS: '10.0.0.1' }],
    ['PROVIDER_ALLOWED_NETWORKS with garbage', 'PROVIDER_ALLOWED_NETWORKS', { PROVIDER_ALLOWED_NETWORKS: '127.0.0.0/8,nope' }],
    ['production without SMTP_URL', 'SMTP_URL', { NODE_ENV: 'production' }],
    ['SMTP_URL=http://mail.example.com', 'SMTP_URL', { SMTP_URL: 'http://mail.example.com' }],
    ['SMTP_URL that is not a URL', 'SMTP_URL', { SMTP_URL: 'mail.example.com:25' }],
    ['MAIL_FROM without an address', 'MAIL_FROM', { MAIL_FROM: 'EntryGuard' }],
    ['MAIL_FROM with a line break', 'MAIL_FROM', { MAIL_FROM: 'a@b.example\nBcc: c@d.example' }],
    ['APP_URL=ftp://x', 'APP_URL', { APP_URL: 'ftp://example.com' }],
  ];

  it('limits forgot-password to RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR per IP, 5 by default (§10)', () => {
    expect(loadConfig(base()).config.rateLimits.forgotPasswordPerHour).toBe(5);
    expect(loadConfig({ ...base(), RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR: '12' }).config.rateLimits.forgotPasswordPerHour).toBe(12);
  });

  it('reads the database pools and DB_PREPARED_STATEMENTS: on by default, off when asked, anything else refused', () => {
    expect(loadConfig(base()).config).toMatchObject({ dbPoolSize: 10, dbBackgroundPoolSize: 10, dbPreparedStatements: true });
    for (const off of ['false', '0', 'no', 'OFF']) {
      expect(loadConfig({ ...base(), DB_PREPARED_STATEMENTS: off }).config.dbPreparedStatements).toBe(false);
    }
    for (const on of ['true', '1', 'yes', 'On']) {
      expect(loadConfig({ ...base(), DB_PREPARED_STATEMENTS: on }).config.dbPreparedStatements).toBe(true);
    }
    expect(configErrorFor({ ...base(), DB_PREPARED_STATEMENTS: 'sometimes' }).message).toContain('DB_PREPARED_STATEMENTS');
    expect(loadConfig({ ...base(), DB_POOL_SIZE: '4', DB_BACKGROUND_POOL_SIZE: '20' }).config).toMatchObject({
      dbPoolSize: 4,
      dbBackgroundPoolSize: 20,
    });
    expect(configErrorFor({ ...base(), DB_BACKGROUND_POOL_SIZE: '0' }).message).toContain('DB_BACKGROUND_POOL_SIZE');
  });

  it('says how to generate a JWT secret when it refuses one', () => {
    for (const secret of ['short', 'x'.repeat(40)]) {
      const error = configErrorFor({ ...base(), NODE_ENV: 'production', JWT_SECRET: secret });
      expect(error.message).toContain('openssl rand -base64 48');
      expect(error.message).not.toContain(secret);
    }
  });

  it('reads PROVIDER_ALLOWED_NETWORKS as networks, normalized; none by default', () => {
    expect(loadConfig(base()).config.providers.allowedNetworks).toEqual([]);
    const { config } = loadConfig({ ...base(), PROVIDER_ALLOWED_NETWORKS: ' 10.20.3.4/16 , fd12::9/16 ' });
    expect(config.providers.allowedNetworks).toEqual(['10.20.0.0/16', 'fd12::/16']);
  });

  it.each(invalid)('refuses %s with a ConfigError naming %s', (_name, variable, overrides) => {
    const error = configErrorFor({ ...base(), ...overrides });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(variable);
  });

  it('reads the mail settings: SMTP_URL, MAIL_FROM and APP_URL, with development defaults (§9)', () => {
    expect(loadConfig(base()).config.mail).toEqual({
      smtpUrl: undefined,
      from: 'EntryGuard <no-reply@localhost>',
      appUrl: 'http://localhost:3000',
    });
    const { config } = loadConfig({
      ...base(),
      NODE_ENV: 'production',
      SMTP_URL: 'smtps://user:pass@mail.example.com:465',
      MAIL_FROM: 'Acme Access <access@acme.example>',
      APP_URL: 'https://access.acme.example/',
    });
    expect(config.mail).toEqual({
      smtpUrl: 'smtps://user:pass@mail.example.com:465',
      from: 'Acme Access <access@acme.example>',
      appUrl: 'https://access.acme.example',
    });
    expect(loadConfig({ ...base(), MAIL_FROM: 'ops@acme.example' }).config.mail.from).toBe('ops@acme.example');
  });

  it('never echoes an SMTP password in the message', () => {
    const message = configErrorFor({ ...base(), SMTP_URL: 'http://user:smtp-hunter2@mail.example.com' }).message;
    expect(message).toContain('SMTP_URL');
    expect(message).not.toContain('smtp-hunter2');
  });

  it('never echoes a secret in the message', () => {
    const shortSecret = 'my-short-but-secret-value';
    expect(configErrorFor({ ...base(), JWT_SECRET: shortSecret }).message).not.toContain(shortSecret);
    const badKey = `1:${Buffer.alloc(16, 5).toString('base64')}`;
    const message = configErrorFor({ ...base(), CREDENTIAL_ENCRYPTION_KEYS: badKey }).message;
    expect(message).toContain('CREDENTIAL_ENCRYPTION_KEYS');
    expect(message).not.toContain(badKey.slice(2));
  });

  it('writes no development secrets when production refuses to start', () => {
    configErrorFor({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(existsSync(join(dataDir, 'dev-secrets.json'))).toBe(false);
  });

  it('in development without secrets, generates them once into DATA_DIR, says so, and reuses them', () => {
    const env = { NODE_ENV: 'development', DATA_DIR: dataDir };
    const first = loadConfig(env);
    const file = join(dataDir, 'dev-secrets.json');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(Buffer.byteLength(first.config.jwt.secret, 'utf8')).toBeGreaterThanOrEqual(32);
    expect(first.config.credentialEncryptionKeys).toMatch(/^1:[A-Za-z0-9+/]{43}=$/);
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toContain(dataDir);
    expect(first.warnings[0]).toMatch(/generated/i);
    expect(first.warnings[0]).not.toContain(first.config.jwt.secret);

    const fileText = readFileSync(file, 'utf8');
    const second = loadConfig(env);
    expect(second.config.jwt.secret).toBe(first.config.jwt.secret);
    expect(second.config.credentialEncryptionKeys).toBe(first.config.credentialEncryptionKeys);
    expect(second.warnings).toHaveLength(1);
    expect(second.warnings[0]).toContain(dataDir);
    expect(readFileSync(file, 'utf8')).toBe(fileText);

    // Another data folder gets its own secrets.
    const otherDir = mkdtempSync(join(tmpdir(), 'entryguard-config-'));
    try {
      const other = loadConfig({ NODE_ENV: 'development', DATA_DIR: otherDir });
      expect(other.config.jwt.secret).not.toBe(first.config.jwt.secret);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('in development, keeps a secret that is set and generates only the missing one', () => {
    const { config, warnings } = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: GOOD_SECRET });
    expect(config.jwt.secret).toBe(GOOD_SECRET);
    expect(config.credentialEncryptionKeys).toMatch(/^1:/);
    expect(warnings).toHaveLength(1);
  });
});
