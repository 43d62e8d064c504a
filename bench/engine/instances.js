'use strict';
// Service instances with the engine on (JOBS_ENABLED=true), several on one database and one set of
// fakes: started from the build (dist/, like the rest of the bench) or from source (ts-node + SWC,
// like test/harness/service-process.ts: never stale), killed with SIGKILL and started again on
// the same port, and every log line at level 50 (error) or above kept to be shown at the end.
const os = require('node:os');
const path = require('node:path');

const { ROOT } = require('../lib/app-code');
const { freePort, start, waitReady, stop } = require('../lib/processes');
const { MAIN_JS } = require('../lib/setup');

const HUGE = '1000000'; // the highest value app-config accepts for RATE_LIMIT_*

/**
 * The environment of one instance. `settings` holds the engine's knobs (JOBS_POLL_SECONDS,
 * ENGINE_LEASE_SECONDS, SESSION_*, PROVIDER_TIMEOUT_MS, ...), passed through as they are.
 */
function engineEnv({ port, dbUrl, jwtSecret, keys, fakes, stamp, migrate, settings }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: dbUrl,
    DATA_DIR: path.join(os.tmpdir(), `entryguard-engine-${stamp}`),
    JWT_SECRET: jwtSecret,
    JWT_ACCESS_TTL: '4h', // longer than any run
    CREDENTIAL_ENCRYPTION_KEYS: keys,
    LOG_LEVEL: 'warn',
    MIGRATIONS_RUN: migrate ? 'true' : 'false',
    JOBS_ENABLED: 'true',
    RATE_LIMIT_USER_PER_MINUTE: HUGE,
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: HUGE,
    RATE_LIMIT_LOGIN_PER_MINUTE: HUGE,
    RATE_LIMIT_REGISTER_PER_HOUR: HUGE,
    AWS_ENDPOINT_URL: fakes.aws,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    PROVIDER_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128', // the fakes listen on loopback
    SMTP_URL: 'smtp://127.0.0.1:9', // required in production; nothing here sends mail
    ...settings,
  };
}

class Instance {
  constructor(name, port, envFor, source) {
    this.name = name;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.envFor = envFor;
    this.source = source;
    this.child = null;
    this.up = false;
    this.starts = 0;
    this.kills = 0;
    /** Log lines at level >= 50, with the instance's name and start number. */
    this.errors = [];
    /** Warnings (level 40) by message, ids and numbers left out: e.g. an engine item that failed on a deadlock. */
    this.warnings = new Map();
  }

  countWarning(line) {
    let message = line;
    try {
      const parsed = JSON.parse(line);
      message = `${parsed.context ? `${parsed.context}: ` : ''}${parsed.msg ?? ''}`;
    } catch {
      // not JSON: count the raw line
    }
    const key = message
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}')
      .replace(/\d+/g, 'N')
      .slice(0, 160);
    this.warnings.set(key, (this.warnings.get(key) || 0) + 1);
  }

  async start(migrate = false) {
    const args = this.source
      ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(ROOT, 'apps/api/src/main.ts')]
      : [...(process.env.BENCH_SERVICE_NODE_ARGS || '').split(' ').filter(Boolean), MAIN_JS];
    const env = { ...this.envFor(this.port, migrate), ...(this.source ? { TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_SWC: 'true' } : {}) };
    this.starts++;
    const run = this.starts;
    this.child = start(this.name, args, env, ROOT);
    let partial = '';
    const scan = (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const level = /"level":(\d+)/.exec(line);
        if (level && Number(level[1]) >= 50) this.errors.push(`[${this.name} run ${run}] ${line}`);
        else if (level && Number(level[1]) === 40) this.countWarning(line);
      }
    };
    this.child.stdout.on('data', scan);
    this.child.stderr.on('data', scan);
    await waitReady(this.child, `${this.url}/api/v1/health/ready`, 90_000);
    this.up = true;
  }

  /** SIGKILL, as a crashed machine: no shutdown hook runs, claims stay leased until they time out. */
  async kill() {
    this.up = false;
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.kills++;
    this.child.kill('SIGKILL');
    await this.child.exited;
  }

  /** SIGTERM (graceful), SIGKILL after the grace period. */
  async stop() {
    this.up = false;
    await stop(this.child, 12_000);
  }

  /** Pid of the running process (for CPU figures), or null. */
  get pid() {
    return this.up && this.child ? this.child.pid : null;
  }
}

/**
 * Starts `count` instances one after the other: the first applies the migrations to the fresh
 * database (MIGRATIONS_RUN=true), the others only once it has.
 */
async function startInstances({ count, dbUrl, jwtSecret, keys, fakes, stamp, settings, source = false, prefix = 'engine' }) {
  const instances = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const envFor = (p, migrate) => engineEnv({ port: p, dbUrl, jwtSecret, keys, fakes, stamp, migrate, settings });
    const instance = new Instance(`${prefix}-${i + 1}`, port, envFor, source);
    instances.push(instance);
    await instance.start(i === 0);
  }
  return instances;
}

module.exports = { startInstances, Instance, engineEnv };
