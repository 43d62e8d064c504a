'use strict';
// The environment a bench needs, shared by run.js and profile.js: a throwaway database, the
// BUILT service (which applies its own migrations), seeded data, tokens, and the baseline.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { Pool } = require('pg');

const { ROOT, credentialCipher } = require('./app-code');
const { createDatabase, dropDatabase } = require('./db');
const { freePort, start, waitReady, stop } = require('./processes');
const { seed } = require('../seed');

// BENCH_MAIN: another build of the service (e.g. a copy of the tree built elsewhere, to compare
// two versions on the same machine); it is used as is, never rebuilt.
const MAIN_JS = process.env.BENCH_MAIN ? path.resolve(process.env.BENCH_MAIN) : path.join(ROOT, 'dist/apps/api/src/main.js');
const HUGE = '1000000'; // the highest value app-config accepts for RATE_LIMIT_*

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

function newestSource() {
  let newest = { file: null, mtimeMs: 0 };
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        const { mtimeMs } = fs.statSync(full);
        if (mtimeMs > newest.mtimeMs) newest = { file: path.relative(ROOT, full), mtimeMs };
      }
    }
  };
  ['apps', 'libs'].forEach((d) => walk(path.join(ROOT, d)));
  return newest;
}

/** Builds only when asked or when there is nothing to run; a stale build is reported, not rebuilt. */
function ensureBuild(build, warnings) {
  if (process.env.BENCH_MAIN) {
    if (!fs.existsSync(MAIN_JS)) throw new Error(`BENCH_MAIN=${MAIN_JS} does not exist`);
    return;
  }
  if (build || !fs.existsSync(MAIN_JS)) {
    log('npm run build');
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) throw new Error('npm run build failed');
  }
  const newest = newestSource();
  if (newest.mtimeMs > fs.statSync(MAIN_JS).mtimeMs) {
    warnings.push(`dist/ is older than ${newest.file}: the bench ran the last build (npm run bench -- --build rebuilds first)`);
  }
}

async function login(baseUrl, org, email, password) {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organizationSlug: org.slug, email, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 200 || !body.accessToken) throw new Error(`login to ${org.slug} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

/** The service's environment: production mode, rate limits at their maximum, no real AWS. */
function serviceEnv({ port, dbUrl, stamp, jwtSecret, keys }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: dbUrl,
    DATA_DIR: path.join(os.tmpdir(), `entryguard-bench-${stamp}`),
    JWT_SECRET: jwtSecret,
    JWT_ACCESS_TTL: '2h', // a full run must not outlive its token
    CREDENTIAL_ENCRYPTION_KEYS: keys,
    LOG_LEVEL: 'warn',
    MIGRATIONS_RUN: 'true',
    JOBS_ENABLED: 'false',
    DB_POOL_SIZE: '20',
    RATE_LIMIT_USER_PER_MINUTE: HUGE,
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: HUGE,
    RATE_LIMIT_LOGIN_PER_MINUTE: HUGE,
    RATE_LIMIT_REGISTER_PER_HOUR: HUGE,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9', // nothing in a bench may reach real AWS
    SMTP_URL: 'smtp://127.0.0.1:9', // required in production; nothing in a bench sends mail (JOBS_ENABLED=false)
    ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
  };
}

/**
 * @param state    { dbName, children, pool }: filled in as things start, for cleanup()
 * @param nodeArgs extra node flags for the service (e.g. --cpu-prof)
 */
async function startEnvironment({ state, stamp, layout, build, warnings, baseline = true, nodeArgs = [] }) {
  ensureBuild(build, warnings);
  state.dbName = `entryguard_bench_${stamp}`;
  const dbUrl = await createDatabase(state.dbName);
  log(`database ${state.dbName}`);
  const jwtSecret = randomBytes(36).toString('base64url'); // 48 characters
  const keys = `1:${randomBytes(32).toString('base64')}`;

  // The service applies its own migrations (MIGRATIONS_RUN=true) to the empty database; the
  // tables then exist for seeding, which is fine to do while it idles.
  const servicePort = await freePort();
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const serviceStartedAt = Date.now();
  // BENCH_SERVICE_NODE_ARGS: extra node flags for the service only (e.g. `-r ./tracer.js`).
  const extraArgs = (process.env.BENCH_SERVICE_NODE_ARGS || '').split(' ').filter(Boolean);
  const service = start(
    'service',
    [...extraArgs, ...nodeArgs, MAIN_JS],
    serviceEnv({ port: servicePort, dbUrl, stamp, jwtSecret, keys }),
    ROOT,
  );
  state.children.push(service);
  await waitReady(service, `${serviceUrl}/api/v1/health/ready`);
  log(`service ready on ${servicePort} (migrations applied)`);

  state.pool = new Pool({ connectionString: dbUrl, max: 4 });
  const cipher = credentialCipher(keys);
  const password = randomBytes(18).toString('base64url');
  const seedStarted = Date.now();
  const data = await seed(state.pool, cipher, layout, password);
  log(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  const tokens = {
    big: await login(serviceUrl, data.orgs.big, data.email, password),
    empty: await login(serviceUrl, data.orgs.empty, data.email, password),
  };

  const env = { dbUrl, service, serviceUrl, serviceStartedAt, data, tokens, pool: state.pool, cipher, password, stamp };
  if (baseline) {
    const baselinePort = await freePort();
    env.baselineUrl = `http://127.0.0.1:${baselinePort}`;
    const baselineArgs = (process.env.BENCH_BASELINE_NODE_ARGS || '').split(' ').filter(Boolean);
    env.baseline = start(
      'baseline',
      [...baselineArgs, path.join(__dirname, '..', 'baseline/server.js')],
      { PATH: process.env.PATH, PORT: String(baselinePort), DATABASE_URL: dbUrl, JWT_SECRET: jwtSecret, DB_POOL_SIZE: '20' },
      ROOT,
    );
    state.children.push(env.baseline);
    await waitReady(env.baseline, `${env.baselineUrl}/api/v1/health/ready`);
  }
  return env;
}

/** Stops the children (by the pids we started), closes the pool, drops the database unless kept. */
async function cleanupEnvironment(state, keepDb) {
  for (const child of state.children.reverse()) await stop(child).catch(() => {});
  await state.pool?.end().catch(() => {});
  if (state.dbName && !keepDb) {
    await dropDatabase(state.dbName).catch((error) => log(`could not drop ${state.dbName}: ${error.message}`));
  } else if (state.dbName) {
    log(`kept database ${state.dbName} (BENCH_KEEP_DB=1)`);
  }
}

module.exports = { MAIN_JS, log, login, ensureBuild, startEnvironment, cleanupEnvironment };
