import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KeyringError, parseKeyring } from '../credentials/credential-cipher';
import { bool, cidrList, ConfigError, duration, Env, int, str, url } from './env-readers';

export { ConfigError } from './env-readers';

export type NodeEnv = 'development' | 'production' | 'test';

export interface AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  databaseUrl?: string;
  /** The owner role that runs migrations (§6); the service's DATABASE_URL role only uses the tables. */
  migrationsDatabaseUrl?: string;
  dataDir: string;
  migrationsRun: boolean;
  dbPoolSize: number;
  dbBackgroundPoolSize: number;
  dbPreparedStatements: boolean;
  redisUrl?: string;
  jwt: { secret: string; accessTtlSeconds: number; refreshTtlSeconds: number };
  /** Raw keyring text, parsed by the credential cipher: "1:<base64>,2:<base64>". */
  credentialEncryptionKeys: string;
  trustProxy: boolean | number | string[];
  corsOrigins: string[];
  logLevel: string;
  bodyLimitBytes: number;
  /** Headers and body must have arrived within this (§1); also the idle limit of a connection. */
  requestTimeoutMs: number;
  /** Open connections per instance; more are refused at accept time. */
  maxConnections: number;
  rateLimits: {
    userPerMinute: number;
    anonymousPerMinute: number;
    registerPerHour: number;
    loginPerMinute: number;
    /** Per client IP; each address (organization slug + email) also gets 3 an hour (§10). */
    forgotPasswordPerHour: number;
    /** MFA codes (§11): POST /auth/verify-mfa per client IP, and the signed-in MFA routes that take a code, per user. */
    mfaPerMinute: number;
  };
  jobs: { enabled: boolean; verifyIntervalMinutes: number; pollSeconds: number };
  /** §13, §17: session limits, the same for every organization. */
  sessions: { defaultHours: number; maxHours: number; maxConcurrent: number };
  /** §17: the engine's timing. */
  engine: { applyTimeoutSeconds: number; reconcileIntervalMinutes: number; leaseSeconds: number; concurrency: number };
  providers: { awsEndpointUrl?: string; awsIamEndpointUrl?: string; timeoutMs: number; allowedNetworks: string[] };
  /** SMTP_URL may carry a password: never log it. Without it (development only) mails go to DATA_DIR/outbox. */
  mail: { smtpUrl?: string; from: string; appUrl: string };
}

/** A bad value stops the process with a message that names the variable. */
const MIN_SECRET_DISTINCT_CHARACTERS = 12;
const HOW_TO_GENERATE_SECRET =
  'generate one with `openssl rand -base64 48` (or `node -e "console.log(crypto.randomBytes(48).toString(\'base64\'))"`)';

function sessionLimits(env: Env): AppConfig['sessions'] {
  const maxHours = int(env, 'SESSION_MAX_HOURS', 24, 1, 168);
  const defaultHours = int(env, 'SESSION_DEFAULT_HOURS', 2, 1, 168);
  if (defaultHours > maxHours) {
    throw new ConfigError('SESSION_DEFAULT_HOURS', `must not exceed SESSION_MAX_HOURS (${maxHours})`);
  }
  return { defaultHours, maxHours, maxConcurrent: int(env, 'SESSION_MAX_CONCURRENT', 0, 0, 10_000) };
}

function trustProxy(env: Env): AppConfig['trustProxy'] {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined || raw.toLowerCase() === 'false') {
    return false;
  }
  if (raw.toLowerCase() === 'true') {
    return true;
  }
  if (/^\d+$/.test(raw)) {
    return Number(raw);
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.some((entry) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/.test(entry))) {
    throw new ConfigError('TRUST_PROXY', 'must be false, true, a hop count, or a comma-separated list of addresses/CIDRs');
  }
  return entries;
}

interface GeneratedSecrets {
  jwtSecret: string;
  credentialEncryptionKeys: string;
}

/** Development convenience: secrets are generated once into DATA_DIR and reused. */
function developmentSecrets(dataDir: string): GeneratedSecrets & { created: boolean } {
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) {
    return { ...(JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets), created: false };
  }
  const secrets: GeneratedSecrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    credentialEncryptionKeys: `1:${randomBytes(32).toString('base64')}`,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { ...secrets, created: true };
}

/** MAIL_FROM: `Name <address>` or a bare address, one line. */
const MAILBOX = /^([^\r\n<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;

function mail(env: Env, nodeEnv: NodeEnv): AppConfig['mail'] {
  const smtpUrl = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  if (!smtpUrl && nodeEnv === 'production') {
    throw new ConfigError('SMTP_URL', 'is required in production (e.g. smtp://user:password@mail.example.com:587)');
  }
  const from = str(env, 'MAIL_FROM') ?? 'EntryGuard <no-reply@localhost>';
  if (!MAILBOX.test(from)) {
    throw new ConfigError('MAIL_FROM', `must be an address, or a name and <address> (got "${from}")`);
  }
  const appUrl = url(env, 'APP_URL', ['http:', 'https:']) ?? 'http://localhost:3000';
  return { smtpUrl, from, appUrl: appUrl.replace(/\/+$/, '') };
}

export interface LoadedConfig {
  config: AppConfig;
  warnings: string[];
}

export function loadConfig(env: Env = process.env): LoadedConfig {
  const warnings: string[] = [];
  const nodeEnvRaw = str(env, 'NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError('NODE_ENV', `must be development, production or test (got "${nodeEnvRaw}")`);
  }
  const nodeEnv = nodeEnvRaw as NodeEnv;
  const dataDir = resolve(str(env, 'DATA_DIR') ?? './data');

  let jwtSecret = str(env, 'JWT_SECRET');
  let keys = str(env, 'CREDENTIAL_ENCRYPTION_KEYS');
  if (nodeEnv === 'production') {
    if (!jwtSecret) {
      throw new ConfigError('JWT_SECRET', 'is required in production');
    }
    if (!keys) {
      throw new ConfigError('CREDENTIAL_ENCRYPTION_KEYS', 'is required in production');
    }
  } else if (!jwtSecret || !keys) {
    const generated = developmentSecrets(dataDir);
    jwtSecret ??= generated.jwtSecret;
    keys ??= generated.credentialEncryptionKeys;
    warnings.push(
      `${generated.created ? 'Generated' : 'Using'} development secrets in ${join(dataDir, 'dev-secrets.json')}; set JWT_SECRET and CREDENTIAL_ENCRYPTION_KEYS in production`,
    );
  }
  try {
    parseKeyring(keys);
  } catch (error) {
    if (error instanceof KeyringError) {
      throw new ConfigError('CREDENTIAL_ENCRYPTION_KEYS', error.message);
    }
    throw error;
  }
  if (Buffer.byteLength(jwtSecret, 'utf8') < 32) {
    throw new ConfigError('JWT_SECRET', `must be at least 32 bytes long; ${HOW_TO_GENERATE_SECRET}`);
  }
  // Length alone lets "aaaa...a" through: a guessable secret forges every token.
  const distinct = new Set(jwtSecret).size;
  if (distinct < MIN_SECRET_DISTINCT_CHARACTERS) {
    throw new ConfigError('JWT_SECRET', `has too little variety (${distinct} distinct characters); ${HOW_TO_GENERATE_SECRET}`);
  }

  const corsOrigins = (str(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError('CORS_ORIGINS', `has an entry that is not an origin like https://app.example.com (got "${origin}")`);
    }
  }
  const logLevel = str(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'warn' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }

  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const config: AppConfig = {
    nodeEnv,
    port: int(env, 'PORT', 3000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    migrationsDatabaseUrl: url(env, 'MIGRATIONS_DATABASE_URL', ['postgres:', 'postgresql:']) ?? databaseUrl,
    dataDir,
    migrationsRun: bool(env, 'MIGRATIONS_RUN', true),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 500),
    dbBackgroundPoolSize: int(env, 'DB_BACKGROUND_POOL_SIZE', 10, 1, 500),
    dbPreparedStatements: bool(env, 'DB_PREPARED_STATEMENTS', true),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    jwt: {
      secret: jwtSecret,
      accessTtlSeconds: duration(env, 'JWT_ACCESS_TTL', 900),
      refreshTtlSeconds: duration(env, 'JWT_REFRESH_TTL', 7 * 86400),
    },
    credentialEncryptionKeys: keys,
    trustProxy: trustProxy(env),
    corsOrigins,
    logLevel,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 65536, 1024, 10 * 1024 * 1024),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
    maxConnections: int(env, 'MAX_CONNECTIONS', 2_048, 1, 1_000_000),
    rateLimits: {
      userPerMinute: int(env, 'RATE_LIMIT_USER_PER_MINUTE', 300, 1, 1_000_000),
      anonymousPerMinute: int(env, 'RATE_LIMIT_ANONYMOUS_PER_MINUTE', 60, 1, 1_000_000),
      registerPerHour: int(env, 'RATE_LIMIT_REGISTER_PER_HOUR', 5, 1, 1_000_000),
      loginPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_MINUTE', 10, 1, 1_000_000),
      forgotPasswordPerHour: int(env, 'RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR', 5, 1, 1_000_000),
      mfaPerMinute: int(env, 'RATE_LIMIT_MFA_PER_MINUTE', 10, 1, 1_000_000),
    },
    jobs: {
      enabled: bool(env, 'JOBS_ENABLED', true),
      verifyIntervalMinutes: int(env, 'VERIFY_INTERVAL_MINUTES', 30, 1, 10_080),
      pollSeconds: int(env, 'JOBS_POLL_SECONDS', 15, 1, 3600),
    },
    sessions: sessionLimits(env),
    engine: {
      applyTimeoutSeconds: int(env, 'SESSION_APPLY_TIMEOUT_SECONDS', 120, 1, 86_400),
      reconcileIntervalMinutes: int(env, 'RECONCILE_INTERVAL_MINUTES', 10, 1, 10_080),
      leaseSeconds: int(env, 'ENGINE_LEASE_SECONDS', 60, 2, 3_600),
      concurrency: int(env, 'ENGINE_CONCURRENCY', 16, 1, 256),
    },
    providers: {
      awsEndpointUrl: url(env, 'AWS_ENDPOINT_URL', ['http:', 'https:']),
      awsIamEndpointUrl: url(env, 'AWS_ENDPOINT_URL_IAM', ['http:', 'https:']),
      timeoutMs: int(env, 'PROVIDER_TIMEOUT_MS', 10_000, 100, 120_000),
      allowedNetworks: cidrList(env, 'PROVIDER_ALLOWED_NETWORKS'),
    },
    mail: mail(env, nodeEnv),
  };
  if (config.databaseUrl && !str(env, 'MIGRATIONS_DATABASE_URL') && nodeEnv !== 'test') {
    warnings.push(
      'MIGRATIONS_DATABASE_URL is not set: migrations and the service share one database role, so the service could alter its own audit trail; see the README (Security: two database roles)',
    );
  }
  if (config.migrationsDatabaseUrl && !config.databaseUrl) {
    throw new ConfigError('MIGRATIONS_DATABASE_URL', 'needs DATABASE_URL too (the embedded database has one role)');
  }
  return { config, warnings };
}
