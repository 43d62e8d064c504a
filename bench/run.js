#!/usr/bin/env node
'use strict';
// npm run bench [-- --smoke] [-- --build] [-- --strict]
//
// Seeds a fresh PostgreSQL database, starts the BUILT service and a bare Fastify+pg baseline,
// drives both with autocannon (one target at a time: the machine is shared), measures DELETE
// latency with 0 vs 100k resources, prints one table and writes bench/results/<stamp>.json.
// A script that prints figures, not a test: it exits 0 on MISS unless --strict.
//
// Env: BENCH_DURATION (s per run, default 10; --smoke 2), BENCH_CONNECTIONS (50),
//      BENCH_WARMUP (s per target before each read/POST run; 2, --smoke 0.5),
//      BENCH_DELETE_SAMPLES (500, --smoke 100), BENCH_KEEP_DB=1 (keep the database),
//      BENCH_PG_URL (admin connection, default postgres://postgres@127.0.0.1:5432/postgres),
//      BENCH_REDIS_URL (pass REDIS_URL to the service: rate-limit counters in Redis, as in production).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { Pool } = require('pg');

const { ROOT, credentialCipher } = require('./lib/app-code');
const { createDatabase, dropDatabase } = require('./lib/db');
const { freePort, start, waitReady, stop, killAllSync } = require('./lib/processes');
const { runLoad } = require('./lib/load');
const { measureDeleteLatency } = require('./lib/delete-latency');
const { judge, judgeDelete, render, TARGETS } = require('./lib/report');
const { seed, insertCredentials } = require('./seed');
const { scenarios } = require('./scenarios');

const argv = new Set(process.argv.slice(2));
const SMOKE = argv.has('--smoke');
const DURATION = Number(process.env.BENCH_DURATION || (SMOKE ? 2 : 10));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
const WARMUP = Number(process.env.BENCH_WARMUP || (SMOKE ? 0.5 : 2));
const DELETE_SAMPLES = Number(process.env.BENCH_DELETE_SAMPLES || (SMOKE ? 100 : 500));
const KEEP_DB = process.env.BENCH_KEEP_DB === '1';
const LAYOUT = SMOKE
  ? { big: { credentials: 50, resources: 2_000 }, small: { count: 3, credentials: 10, resources: 100 } }
  : { big: { credentials: 1_000, resources: 100_000 }, small: { count: 3, credentials: 100, resources: 1_000 } };
const MAIN_JS = path.join(ROOT, 'dist/apps/api/src/main.js');
const HUGE = '1000000'; // the highest value app-config accepts for RATE_LIMIT_*

const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const state = { dbName: null, children: [], pool: null };

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
function ensureBuild(warnings) {
  if (argv.has('--build') || !fs.existsSync(MAIN_JS)) {
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

/**
 * Proof that seeded ciphertext is real: the service decrypts one (in a small org, so the big
 * org's rows stay as seeded) when asked to verify it. The provider call itself fails fast,
 * since AWS_ENDPOINT_URL points at a closed local port; only a decryption failure matters here.
 */
async function checkSeededSecret(baseUrl, data, password) {
  const org = data.orgs.small1;
  try {
    const token = await login(baseUrl, org, data.email, password);
    const res = await fetch(`${baseUrl}/api/v1/credentials/${org.credentialIds[0]}/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 200) return [`seeded-secret check: POST /credentials/{id}/verify answered ${res.status} ${JSON.stringify(body)}`];
    if (/decrypt/i.test(String(body.verificationError)))
      return [`seeded ciphertext does NOT decrypt in the service: ${body.verificationError}`];
    log(`seeded ciphertext decrypts in the service (provider answer: ${body.verificationError ?? 'ok'})`);
    return [];
  } catch (error) {
    return [`seeded-secret check failed: ${error.message}`];
  }
}

/** Key order does not matter to a client; everything else does. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}

/** One request to each: the baseline is only a fair comparison if it returns the same body. */
async function compareBodies(serviceUrl, baselineUrl, probe, token) {
  const get = async (base) => {
    const res = await fetch(`${base}${probe}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };
  const [s, b] = [await get(serviceUrl), await get(baselineUrl)];
  if (s.status !== 200 || b.status !== 200) {
    return { same: false, note: `bodies not compared (service ${s.status}, baseline ${b.status})` };
  }
  const same = JSON.stringify(canonical(JSON.parse(s.text))) === JSON.stringify(canonical(JSON.parse(b.text)));
  const sizes = `service ${s.text.length} B, baseline ${b.text.length} B`;
  return {
    same,
    note: same ? `baseline body identical to the service's (${sizes})` : `baseline body DIFFERS from the service's (${sizes})`,
  };
}

async function runScenario(scenario, targets, ctx, rows) {
  const prepared = scenario.prepare ? await scenario.prepare(rows) : { next: scenario.next() };
  const results = {};
  for (const target of targets) {
    const common = { url: target.url, token: ctx.tokens.big, connections: CONNECTIONS, expected: scenario.expected };
    if (scenario.warmup !== false && WARMUP > 0) {
      await runLoad({ ...common, duration: WARMUP, next: scenario.prepare ? prepared.next : scenario.next() });
    }
    log(`${scenario.name} -> ${target.name}`);
    const next = scenario.prepare ? prepared.next : scenario.next();
    results[target.name] = await runLoad({ ...common, duration: DURATION, amount: prepared.amount, next });
  }
  const row = { scenario: scenario.name, target: 'service', result: results.service, baseline: results.baseline };
  if (scenario.baseline) {
    row.bodyCheck = await compareBodies(targets[0].url, targets[1].url, scenario.probe, ctx.tokens.big);
    rows.push(row, { scenario: scenario.name, target: 'baseline', result: results.baseline });
  } else {
    rows.push(row);
  }
}

async function main() {
  const warnings = [];
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/\D/g, '').slice(0, 17);
  ensureBuild(warnings);

  state.dbName = `entryguard_bench_${stamp}`;
  const dbUrl = await createDatabase(state.dbName);
  log(`database ${state.dbName}`);
  const jwtSecret = randomBytes(36).toString('base64url'); // 48 characters
  const keys = `1:${randomBytes(32).toString('base64')}`;

  // The service applies its own migrations (MIGRATIONS_RUN=true) to the empty database; the
  // tables then exist for seeding, which is fine to do while it idles.
  const servicePort = await freePort();
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const service = start(
    'service',
    [MAIN_JS],
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(servicePort),
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
      ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
    },
    ROOT,
  );
  state.children.push(service);
  await waitReady(service, `${serviceUrl}/api/v1/health/ready`);
  log(`service ready on ${servicePort} (migrations applied)`);

  state.pool = new Pool({ connectionString: dbUrl, max: 4 });
  const cipher = credentialCipher(keys);
  const password = randomBytes(18).toString('base64url');
  const seedStarted = Date.now();
  const data = await seed(state.pool, cipher, LAYOUT, password);
  log(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  const tokens = {
    big: await login(serviceUrl, data.orgs.big, data.email, password),
    empty: await login(serviceUrl, data.orgs.empty, data.email, password),
  };

  warnings.push(...(await checkSeededSecret(serviceUrl, data, password)));

  const baselinePort = await freePort();
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  const baseline = start(
    'baseline',
    [path.join(__dirname, 'baseline/server.js')],
    {
      PATH: process.env.PATH,
      PORT: String(baselinePort),
      DATABASE_URL: dbUrl,
      JWT_SECRET: jwtSecret,
      DB_POOL_SIZE: '20',
    },
    ROOT,
  );
  state.children.push(baseline);
  await waitReady(baseline, `${baselineUrl}/api/v1/health/ready`);

  const ctx = { data, tokens, pool: state.pool, cipher, stamp, connections: CONNECTIONS, duration: DURATION };
  const serviceTarget = { name: 'service', url: serviceUrl };
  const baselineTarget = { name: 'baseline', url: baselineUrl };
  const rows = [];
  for (const scenario of scenarios(ctx)) {
    if (interrupted) throw new Error('interrupted');
    try {
      await runScenario(scenario, scenario.baseline ? [serviceTarget, baselineTarget] : [serviceTarget], ctx, rows);
    } catch (error) {
      // One broken scenario (e.g. a route not written yet) must not hide the others.
      warnings.push(`${scenario.name} could not run: ${error.message}`);
    }
  }
  judge(rows);

  if (interrupted) throw new Error('interrupted');
  log(`DELETE latency: 0 vs ${data.orgs.big.resourceCount} resources`);
  const warm = Math.min(10, Math.ceil(DELETE_SAMPLES / 10));
  const sides = [
    { label: 'empty', org: data.orgs.empty, token: tokens.empty },
    { label: 'big', org: data.orgs.big, token: tokens.big },
  ];
  for (const side of sides) {
    side.resources = side.org.resourceCount;
    side.ids = await insertCredentials(state.pool, cipher, side.org.orgId, DELETE_SAMPLES + warm, `bench-lat-${stamp}`);
  }
  await state.pool.query('ANALYZE credentials');
  const latency = await measureDeleteLatency(serviceUrl, sides, warm);
  const deletion = { sides: latency, verdict: judgeDelete(latency) };

  if (service.exitCode !== null) warnings.push(`the service exited during the run:\n${service.tail.join('\n')}`);
  const meta = {
    mode: SMOKE ? 'smoke' : 'full',
    duration: DURATION,
    connections: CONNECTIONS,
    cpus: os.cpus().length,
    layout: LAYOUT,
    warnings,
  };
  process.stdout.write(`\n${render(rows, deletion, meta)}\n`);

  const resultsDir = path.join(__dirname, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${stamp}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt,
        finishedAt: new Date(),
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        mode: meta.mode,
        durationSeconds: DURATION,
        warmupSeconds: WARMUP,
        connections: CONNECTIONS,
        layout: LAYOUT,
        database: state.dbName,
        databaseKept: KEEP_DB,
        targets: TARGETS,
        rows,
        deleteLatency: deletion,
        warnings,
      },
      null,
      2,
    )}\n`,
  );
  log(`results written to ${path.relative(ROOT, file)}`);
  const missed = rows.some((r) => r.verdict === 'MISS') || deletion.verdict.verdict === 'MISS';
  return argv.has('--strict') && missed ? 1 : 0;
}

// Once only: Ctrl-C and the failing main() may both ask for it.
let cleaning = null;
function cleanup() {
  cleaning ??= doCleanup();
  return cleaning;
}

async function doCleanup() {
  for (const child of state.children.reverse()) await stop(child).catch(() => {});
  await state.pool?.end().catch(() => {});
  if (state.dbName && !KEEP_DB) {
    await dropDatabase(state.dbName).catch((error) => log(`could not drop ${state.dbName}: ${error.message}`));
  } else if (state.dbName) {
    log(`kept database ${state.dbName} (BENCH_KEEP_DB=1)`);
  }
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) {
    killAllSync();
    process.exit(130);
  }
  interrupted = true;
  log('interrupted: cleaning up (Ctrl-C again to force)');
  cleanup().finally(() => process.exit(130));
});

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error) => {
    process.stderr.write(`[bench] failed: ${error.stack || error}\n`);
    await cleanup();
    process.exit(1);
  });
