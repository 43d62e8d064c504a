#!/usr/bin/env node
'use strict';
// npm run bench [-- --smoke] [-- --build] [-- --strict]
//
// Seeds a fresh PostgreSQL database, starts the BUILT service and a bare Fastify+pg baseline,
// drives both with autocannon (one target at a time: the machine is shared), measures DELETE
// latency with 0 vs 100k resources, prints one table and writes bench/results/<stamp>.json.
// A script that prints figures, not a test: it exits 0 on MISS unless --strict.
//
// Scenarios with a baseline run in alternating rounds (service, baseline, service, baseline, ...)
// after one warm-up of each server; the verdict uses the MEDIAN of the per-round ratios, and the
// table shows their spread (min-max), so one disturbed round cannot swing the result.
//
// Env: BENCH_ROUNDS (alternating rounds per target for scenarios with a baseline; 5, --smoke 1),
//      BENCH_ROUND_DURATION (s per round; 8, --smoke 2),
//      BENCH_DURATION (s per run of scenarios without a baseline; 10, --smoke 2),
//      BENCH_CONNECTIONS (50), BENCH_WARMUP (s per server before its first round; 3, --smoke 0.5),
//      BENCH_DELETE_SAMPLES (500, --smoke 100), BENCH_KEEP_DB=1 (keep the database),
//      BENCH_ONLY (comma-separated scenario names to run, e.g. "GET /credentials/{id}";
//      add "delete-latency" to keep that part), BENCH_NODE (node binary for both servers),
//      BENCH_QUIET_LIMIT (cores used by other processes above which a round is rerun; 0.25),
//      BENCH_QUIET_WAIT (s to wait for a quiet machine before each round; 30, --smoke 0),
//      BENCH_MAX_RETRIES (reruns of disturbed rounds per scenario; ROUNDS, --smoke 0),
//      BENCH_PG_URL (admin connection, default postgres://postgres@127.0.0.1:5432/postgres),
//      BENCH_REDIS_URL (pass REDIS_URL to the service: rate-limit counters in Redis, as in production).
// The engine scenario ("engine": sessions applied through the fakes by two instances with the
// engine on; its own database, fakes and instances) runs last; BENCH_ONLY=engine runs it alone
// (npm run bench:engine). Its sizes and settings: BENCH_ENGINE_* in engine/scenario.js.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { ROOT } = require('./lib/app-code');
const { killAllSync, rssOf, childNodeVersion } = require('./lib/processes');
const { runLoad, summarizeRounds } = require('./lib/load');
const { measureDeleteLatency } = require('./lib/delete-latency');
const { judge, judgeDelete, render, TARGETS } = require('./lib/report');
const { log, login, startEnvironment, cleanupEnvironment } = require('./lib/setup');
const { cpuMeter, waitQuiet, cpuSeconds } = require('./lib/machine');
const { insertCredentials } = require('./seed');
const { scenarios } = require('./scenarios');
const { cleanupEngine } = require('./engine/scenario');
const { engineSection, engineOnly, engineJson } = require('./engine/bench-section');
const { renderEngine } = require('./engine/engine-report');

const argv = new Set(process.argv.slice(2));
const SMOKE = argv.has('--smoke');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || (SMOKE ? 1 : 5)));
const ROUND_DURATION = Number(process.env.BENCH_ROUND_DURATION || (SMOKE ? 2 : 8));
const DURATION = Number(process.env.BENCH_DURATION || (SMOKE ? 2 : 10));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
const WARMUP = Number(process.env.BENCH_WARMUP || (SMOKE ? 0.5 : 3));
const DELETE_SAMPLES = Number(process.env.BENCH_DELETE_SAMPLES || (SMOKE ? 100 : 500));
const KEEP_DB = process.env.BENCH_KEEP_DB === '1';
// A round during which other processes used more than this many cores is run again, at most
// MAX_RETRIES times per scenario (then kept, and the table shows the disturbance).
const QUIET_LIMIT = Number(process.env.BENCH_QUIET_LIMIT || 0.25);
const MAX_RETRIES = Number(process.env.BENCH_MAX_RETRIES ?? (SMOKE ? 0 : ROUNDS));
// Before each round (pair), wait up to this many seconds for a quiet machine.
const QUIET_WAIT = Number(process.env.BENCH_QUIET_WAIT ?? (SMOKE ? 0 : 30));
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const ENGINE_ONLY = ONLY !== null && [...ONLY].every((name) => name === 'engine');
const LAYOUT = SMOKE
  ? { big: { credentials: 50, resources: 2_000 }, small: { count: 3, credentials: 10, resources: 100 } }
  : { big: { credentials: 1_000, resources: 100_000 }, small: { count: 3, credentials: 100, resources: 1_000 } };

const state = { dbName: null, children: [], pool: null };

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

/**
 * Warm-up of each target, then `rounds` alternating measured rounds (service, baseline, service,
 * ...). Scenarios without a baseline run once, for BENCH_DURATION (or a fixed `amount`).
 */
async function runScenario(scenario, targets, ctx, rows) {
  const prepared = scenario.prepare ? await scenario.prepare(rows) : null;
  const nextFor = () => (prepared ? prepared.next : scenario.next());
  const withBaseline = targets.length > 1;
  const rounds = withBaseline ? ROUNDS : 1;
  const duration = withBaseline ? ROUND_DURATION : DURATION;
  const load = (target, seconds, amount) =>
    runLoad({
      url: target.url,
      token: ctx.tokens.big,
      connections: CONNECTIONS,
      expected: scenario.expected,
      duration: seconds,
      amount,
      next: nextFor(),
    });

  if (scenario.warmup !== false && WARMUP > 0) {
    for (const target of targets) await load(target, WARMUP);
  }
  // Idle = booted, seeded and warmed up, before the first measured load.
  ctx.rss.idle ??= rssOf(ctx.service);
  const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
  const discarded = [];
  let retries = 0;
  for (let round = 1; round <= rounds; round++) {
    const pair = {};
    if (QUIET_WAIT > 0) {
      const waited = await waitQuiet(() => state.children.map((c) => c.pid), state.dbName, QUIET_LIMIT, QUIET_WAIT);
      if (waited > 1.5) log(`waited ${waited.toFixed(0)} s for other processes to quiet down`);
    }
    for (const target of targets) {
      if (interrupted) throw new Error('interrupted');
      const meter = cpuMeter(() => state.children.map((c) => c.pid), state.dbName);
      const cpu0 = cpuSeconds(target.pid);
      const result = await load(target, duration, prepared?.amount);
      result.cpu = meter();
      // The server's own CPU per answered request: far less moved by other load than req/s.
      const cpu1 = cpuSeconds(target.pid);
      result.cpuMsPerRequest = cpu0 !== null && cpu1 !== null && result.requests ? ((cpu1 - cpu0) * 1000) / result.requests : null;
      log(
        `${scenario.name} -> ${target.name}${rounds > 1 ? ` round ${round}/${rounds}` : ''}: ` +
          `${Math.round(result.rps)} req/s, p99 ${result.p99} ms, CPU ${result.cpuMsPerRequest?.toFixed(3)} ms/req` +
          `${result.errors ? `, ${result.errors} errors` : ''}` +
          (result.cpu.otherCores === null ? '' : `; CPU of others ${result.cpu.otherCores.toFixed(2)} cores`),
      );
      pair[target.name] = result;
    }
    // A round in which something else used the CPU measures that, not us: run it again.
    const disturbed = Object.values(pair).some((r) => r.cpu.otherCores > QUIET_LIMIT);
    if (disturbed && retries < MAX_RETRIES && !prepared?.amount) {
      retries++;
      round--;
      discarded.push(pair);
      log(`${scenario.name}: round disturbed by other processes (> ${QUIET_LIMIT} cores), running it again`);
      continue;
    }
    for (const [name, result] of Object.entries(pair)) runs[name].push(result);
  }

  const row = { scenario: scenario.name, target: 'service', result: summarizeRounds(runs.service), discardedRounds: discarded };
  if (withBaseline) {
    row.baseline = summarizeRounds(runs.baseline);
    // One ratio per round (each round's service run against the baseline run right after it).
    row.rounds = runs.service.map((s, i) => {
      const b = runs.baseline[i];
      return {
        throughputRatio: b.rps > 0 ? s.rps / b.rps : null,
        p99Ratio: b.p99 > 0 ? s.p99 / b.p99 : null,
        cpuRatio: s.cpuMsPerRequest && b.cpuMsPerRequest ? s.cpuMsPerRequest / b.cpuMsPerRequest : null,
      };
    });
    row.bodyCheck = await compareBodies(targets[0].url, targets[1].url, scenario.probe, ctx.tokens.big);
    rows.push(row, { scenario: scenario.name, target: 'baseline', result: row.baseline });
  } else {
    rows.push(row);
  }
}

async function main() {
  const warnings = [];
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/\D/g, '').slice(0, 17);
  const engineOptions = { smoke: SMOKE, stamp, warnings, keepDb: KEEP_DB, build: argv.has('--build'), strict: argv.has('--strict') };
  if (ENGINE_ONLY) return engineOnly(startedAt, engineOptions);
  const env = await startEnvironment({ state, stamp, layout: LAYOUT, build: argv.has('--build'), warnings });
  const { data, tokens, service, serviceUrl, baselineUrl } = env;
  warnings.push(...(await checkSeededSecret(serviceUrl, data, env.password)));

  const rss = { idle: null, after: null };
  const ctx = { ...env, rss, connections: CONNECTIONS, duration: DURATION };
  const serviceTarget = { name: 'service', url: serviceUrl, pid: service.pid };
  const baselineTarget = { name: 'baseline', url: baselineUrl, pid: env.baseline.pid };
  const rows = [];
  for (const scenario of scenarios(ctx)) {
    if (interrupted) throw new Error('interrupted');
    if (ONLY && !ONLY.has(scenario.name)) continue;
    try {
      await runScenario(scenario, scenario.baseline ? [serviceTarget, baselineTarget] : [serviceTarget], ctx, rows);
    } catch (error) {
      // One broken scenario (e.g. a route not written yet) must not hide the others.
      warnings.push(`${scenario.name} could not run: ${error.message}`);
    }
  }
  judge(rows);

  if (interrupted) throw new Error('interrupted');
  let deletion = null;
  if (!ONLY || ONLY.has('delete-latency')) {
    log(`DELETE latency: 0 vs ${data.orgs.big.resourceCount} resources`);
    const warm = Math.min(10, Math.ceil(DELETE_SAMPLES / 10));
    const sides = [
      { label: 'empty', org: data.orgs.empty, token: tokens.empty },
      { label: 'big', org: data.orgs.big, token: tokens.big },
    ];
    for (const side of sides) {
      side.resources = side.org.resourceCount;
      side.ids = await insertCredentials(state.pool, env.cipher, side.org.orgId, DELETE_SAMPLES + warm, `bench-lat-${stamp}`);
    }
    await state.pool.query('ANALYZE credentials');
    const latency = await measureDeleteLatency(serviceUrl, sides, warm);
    deletion = { sides: latency, verdict: judgeDelete(latency) };
  }
  rss.after = rssOf(service);
  const engine = ONLY && !ONLY.has('engine') ? null : await engineSection(engineOptions, () => interrupted);

  if (service.exitCode !== null) warnings.push(`the service exited during the run:\n${service.tail.join('\n')}`);
  const meta = {
    mode: SMOKE ? 'smoke' : 'full',
    rounds: ROUNDS,
    quietLimit: QUIET_LIMIT,
    roundDuration: ROUND_DURATION,
    duration: DURATION,
    warmup: WARMUP,
    connections: CONNECTIONS,
    cpus: os.cpus().length,
    node: childNodeVersion(),
    layout: LAYOUT,
    rss,
    warnings,
  };
  process.stdout.write(`\n${render(rows, deletion, meta)}\n`);
  if (engine) process.stdout.write(`\n${renderEngine(engine)}\n`);

  const resultsDir = path.join(__dirname, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${stamp}.json`);
  const summary = rows
    .filter((r) => r.rounds)
    .map((r) => ({
      scenario: r.scenario,
      rounds: r.rounds.length,
      throughputRatio: { median: r.throughputRatio, min: r.throughputRatioRange[0], max: r.throughputRatioRange[1] },
      p99Ratio: { median: r.p99Ratio, min: r.p99RatioRange[0], max: r.p99RatioRange[1] },
      cpuPerRequestRatio: { median: r.cpuRatio, min: r.cpuRatioRange[0], max: r.cpuRatioRange[1] },
      serviceCpuMsPerRequest: r.result.cpuMsPerRequest,
      verdict: r.verdict,
    }));
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt,
        finishedAt: new Date(),
        node: process.version,
        serverNode: meta.node,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        mode: meta.mode,
        rounds: ROUNDS,
        roundDurationSeconds: ROUND_DURATION,
        durationSeconds: DURATION,
        warmupSeconds: WARMUP,
        connections: CONNECTIONS,
        layout: LAYOUT,
        database: state.dbName,
        databaseKept: KEEP_DB,
        serviceRss: rss,
        targets: TARGETS,
        summary,
        rows,
        deleteLatency: deletion,
        engine: engineJson(engine),
        warnings,
      },
      null,
      2,
    )}\n`,
  );
  log(`results written to ${path.relative(ROOT, file)}`);
  const missed =
    rows.some((r) => r.verdict === 'MISS') || deletion?.verdict.verdict === 'MISS' || (engine !== null && engine.verdict !== 'PASS');
  return argv.has('--strict') && missed ? 1 : 0;
}

// Once only: Ctrl-C and the failing main() may both ask for it.
let cleaning = null;
function cleanup() {
  cleaning ??= doCleanup();
  return cleaning;
}

async function doCleanup() {
  await cleanupEngine(KEEP_DB, log);
  return cleanupEnvironment(state, KEEP_DB);
}

let interrupted = false;
// Whatever happens, no child outlives the bench.
process.on('exit', killAllSync);
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
