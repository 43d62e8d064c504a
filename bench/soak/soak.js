#!/usr/bin/env node
'use strict';
// npm run soak: several service instances with the engine on, one fresh database, the standalone
// fakes; many clients start, extend, stop and expire sessions and create and delete static IP
// rules for SOAK_SECONDS, while one instance at a time is killed with SIGKILL and started again
// and the providers are throttled or slowed now and then. Then the work stops, the engine is given
// time to settle, and the fakes must hold exactly the rules that live holders need; after that
// every session is stopped and every static rule deleted, and the fakes must hold nothing.
// Exit 1 on a rule left open or missing, an engine that does not settle, a 5xx seen by a client,
// or an error (level 50) logged by an instance.
//
// Env: SOAK_SECONDS (300), SOAK_INSTANCES (3), SOAK_MEMBERS (12 member clients), SOAK_ADMINS (2
//      admin clients), SOAK_THINK_MS (150, pause between a client's requests), SOAK_KILL_EVERY
//      (25 s), SOAK_FAULT_EVERY (15 s), SOAK_FAULTS ("throttle,slow"; add "timeout" for calls
//      that time out on our side and land anyway), SOAK_SETTLE_SECONDS (120), SOAK_BUILT=1 (run
//      dist/ instead of the source), SOAK_LEASE_SECONDS (5: ENGINE_LEASE_SECONDS), SOAK_KEEP_DB=1,
//      BENCH_PG_URL (admin connection).
const { randomBytes } = require('node:crypto');
const { Pool } = require('pg');

const { createDatabase, dropDatabase } = require('../lib/db');
const { killAllSync } = require('../lib/processes');
const { ensureBuild } = require('../lib/setup');
const { startFakes } = require('../engine/fakes');
const { startInstances } = require('../engine/instances');
const { setupOrganization, APISIX_ADMIN_KEY } = require('../engine/org');
const { checkInvariant, openSample, waitSettled } = require('../engine/firewall');
const { Tally, request, mapLimit } = require('../engine/http');
const { SoakClients } = require('./clients');
const { Chaos, BASE_DELAY_MS } = require('./chaos');
const { LeakWatch } = require('./leak-watch');
const { startAwsEditWatch, describeOverlap } = require('./aws-edit-watch');
const { installLeaseLog, leaseFindings } = require('./lease-watch');
const { databaseFigures, renderSoak } = require('./soak-report');

const num = (name, fallback) => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const CONFIG = {
  seconds: num('SOAK_SECONDS', 300),
  instances: num('SOAK_INSTANCES', 3),
  members: num('SOAK_MEMBERS', 12),
  admins: num('SOAK_ADMINS', 2),
  thinkMs: num('SOAK_THINK_MS', 150),
  killEveryMs: num('SOAK_KILL_EVERY', 25) * 1000,
  faultEveryMs: num('SOAK_FAULT_EVERY', 15) * 1000,
  faults: (process.env.SOAK_FAULTS ?? 'throttle,slow')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  settleSeconds: num('SOAK_SETTLE_SECONDS', 120),
  source: process.env.SOAK_BUILT !== '1',
  keepDb: process.env.SOAK_KEEP_DB === '1',
};
/** The engine's settings for the soak: fast polling, a short lease so a killed instance's claims come back fast. */
const ENGINE = {
  JOBS_POLL_SECONDS: '1',
  ENGINE_LEASE_SECONDS: String(num('SOAK_LEASE_SECONDS', 5)),
  PROVIDER_TIMEOUT_MS: '3000',
  SESSION_APPLY_TIMEOUT_SECONDS: '60',
  SESSION_MAX_HOURS: '8',
  SESSION_MAX_CONCURRENT: '6',
  RECONCILE_INTERVAL_MINUTES: '2',
  DB_POOL_SIZE: '10',
};
const LAYOUT = { awsResources: 12, apisixResources: 4, members: CONFIG.members, resourcesPerMember: 5 };

const log = (message) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const state = { dbName: null, pool: null, fakes: null, instances: [] };

async function cleanup() {
  for (const instance of state.instances) await instance.stop().catch(() => {});
  await state.awsWatch?.close().catch(() => {});
  await state.fakes?.stop().catch(() => {});
  await state.pool?.end().catch(() => {});
  if (state.dbName && !CONFIG.keepDb)
    await dropDatabase(state.dbName).catch((error) => log(`could not drop ${state.dbName}: ${error.message}`));
  else if (state.dbName) log(`kept database ${state.dbName}`);
}

/** One line every 30 s: what the clients did, what the engine has open. */
function progress(clients, chaos, pool, tally) {
  const timer = setInterval(async () => {
    const { rows } = await pool
      .query(
        `SELECT (SELECT count(*) FROM sessions WHERE status IN ('PENDING','ACTIVE','PARTIAL'))::int AS live,
                (SELECT count(*) FROM access_grants WHERE status IN ('PENDING','REMOVING'))::int AS open`,
      )
      .catch(() => ({ rows: [{}] }));
    const c = clients.counts;
    log(
      `started ${c.sessionsStarted}, stopped ${c.sessionsStopped + c.sessionsAdminStopped}, extended ${c.sessionsExtended}, ` +
        `expiries ${c.expiriesRequested}, static +${c.staticCreated}/-${c.staticDeleted}, kills ${chaos.kills}; ` +
        `live sessions ${rows[0].live}, grants in flight ${rows[0].open}; 5xx ${tally.between(500, 599)}`,
    );
  }, 30_000);
  timer.unref();
  return () => clearInterval(timer);
}

function mergeCounts(maps) {
  const merged = new Map();
  for (const map of maps) for (const [key, n] of map) merged.set(key, (merged.get(key) || 0) + n);
  return [...merged].sort((a, b) => b[1] - a[1]);
}

/** Stops every live session (as the admin) and deletes every static rule, through the API. */
async function windDown(pool, org, instances) {
  const base = () => instances.find((i) => i.up).url;
  const { rows: live } = await pool.query(`SELECT id FROM sessions WHERE status IN ('PENDING', 'ACTIVE', 'PARTIAL')`);
  const stops = await mapLimit(live, 8, (row) => request(base, org.admin.token, 'POST', `/sessions/admin/${row.id}/stop`));
  const { rows: rules } = await pool.query(`SELECT id FROM static_ip_rules`);
  const deletes = await mapLimit(rules, 8, (row) => request(base, org.admin.token, 'DELETE', `/static-ip-rules/${row.id}`));
  const bad = [...stops, ...deletes].filter((a) => a.status !== 200 && a.status !== 204 && a.code !== 'SESSION_NOT_ACTIVE');
  return { sessions: live.length, rules: rules.length, failed: bad.map((a) => `${a.status} ${JSON.stringify(a.body)}`) };
}

async function main() {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 17);
  if (!CONFIG.source) ensureBuild(false, []);
  state.dbName = `entryguard_bench_${stamp}_soak`;
  const dbUrl = await createDatabase(state.dbName);
  state.fakes = await startFakes({
    aws: { ruleLimit: 1000, delayMs: BASE_DELAY_MS },
    apisix: { adminKey: APISIX_ADMIN_KEY, controls: { delayMs: BASE_DELAY_MS } },
  });
  const fakes = state.fakes;
  // The instances reach AWS through a proxy that notices two edits of one group at once.
  state.awsWatch = await startAwsEditWatch(fakes.aws);
  log(`database ${state.dbName}; starting ${CONFIG.instances} instances ${CONFIG.source ? 'from source' : 'from dist/'}`);
  state.instances = await startInstances({
    count: CONFIG.instances,
    dbUrl,
    jwtSecret: randomBytes(36).toString('base64url'),
    keys: `1:${randomBytes(32).toString('base64')}`,
    fakes: { aws: state.awsWatch.url, apisix: fakes.apisix },
    stamp,
    settings: ENGINE,
    source: CONFIG.source,
    prefix: 'soak',
  });
  const instances = state.instances;
  state.pool = new Pool({ connectionString: dbUrl, max: 4 });
  const pool = state.pool;
  await installLeaseLog(pool);
  const org = await setupOrganization({ baseUrl: instances[0].url, pool, fakes, layout: LAYOUT, label: 'Soak' });
  await fakes.resetCounters();
  const soakStart = new Date();
  log(`${org.resources.length} resources, ${org.members.length} members, ${CONFIG.admins} admins; soaking for ${CONFIG.seconds} s`);

  const tally = new Tally();
  const clients = new SoakClients({ org, instances, pool, tally, thinkMs: CONFIG.thinkMs, adminClients: CONFIG.admins });
  const chaos = new Chaos({ ...CONFIG, instances, fakes, log, providerTimeoutMs: Number(ENGINE.PROVIDER_TIMEOUT_MS) });
  const stopProgress = progress(clients, chaos, pool, tally);
  const chaosDone = chaos.run();
  const watch = new LeakWatch({ pool, fakes, log });
  const watchDone = watch.run();
  await clients.run(Date.now() + CONFIG.seconds * 1000);
  await chaos.stop();
  await chaosDone;
  stopProgress();
  const down = instances.filter((i) => !i.up).map((i) => i.name);
  log(
    `work stopped, faults cleared, ${down.length ? `NOT up: ${down.join(', ')}` : 'every instance up'}; waiting for the engine to settle`,
  );

  const settled = await waitSettled(pool, CONFIG.settleSeconds * 1000);
  if (!settled.settled) settled.sample = await openSample(pool);
  await watch.stop();
  await watchDone;
  const invariant = await checkInvariant(pool, fakes);
  const counters = await fakes.counters();
  const figures = await databaseFigures(pool, soakStart);
  figures.leases = await leaseFindings(pool, chaos.killTimes, Number(ENGINE.ENGINE_LEASE_SECONDS));
  log(`settled: ${settled.settled} after ${settled.waitedMs} ms; left open ${invariant.extra.length}, missing ${invariant.missing.length}`);

  const wound = await windDown(pool, org, instances);
  // What did not settle the first time (a stuck session) will not now either: a shorter wait then.
  const finalSettled = await waitSettled(pool, (settled.settled ? CONFIG.settleSeconds : Math.min(30, CONFIG.settleSeconds)) * 1000);
  if (!finalSettled.settled) finalSettled.sample = await openSample(pool);
  const finalInvariant = await checkInvariant(pool, fakes);
  log(`after stopping everything: left open ${finalInvariant.extra.length}, fakes hold ${finalInvariant.held}`);

  const report = {
    config: { ...CONFIG, engine: ENGINE, layout: LAYOUT },
    seconds: (Date.now() - soakStart.getTime()) / 1000,
    counts: clients.counts,
    chaos,
    tally,
    counters,
    figures,
    settled,
    invariant,
    wound,
    finalSettled,
    finalInvariant,
    serverErrors: instances.flatMap((i) => i.errors),
    warnings: mergeCounts(instances.map((i) => i.warnings)),
    leaks: watch.leaks,
    overlaps: state.awsWatch.overlaps.map(describeOverlap),
    awsEdits: state.awsWatch.edits(),
  };
  const { text, failures } = renderSoak(report);
  process.stdout.write(`\n${text}\n`);
  return failures.length ? 1 : 0;
}

let cleaning = null;
// Whatever happens, no instance outlives the soak (the fakes exit with their parent by themselves).
process.on('exit', killAllSync);
process.on('SIGINT', () => {
  if (cleaning) {
    killAllSync();
    process.exit(130);
  }
  log('interrupted: cleaning up (Ctrl-C again to force)');
  cleaning = cleanup().finally(() => process.exit(130));
});

main()
  .then(async (code) => {
    cleaning ??= cleanup();
    await cleaning;
    process.exit(code);
  })
  .catch(async (error) => {
    process.stderr.write(`[soak] failed: ${error.stack || error}\n`);
    for (const instance of state.instances) for (const line of instance.errors.slice(0, 5)) process.stderr.write(`${line}\n`);
    cleaning ??= cleanup();
    await cleaning;
    process.exit(1);
  });
