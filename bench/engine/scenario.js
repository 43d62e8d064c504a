'use strict';
// The engine scenario of `npm run bench` (issue 15): sessions started by many clients at once on
// two instances, against the stateful fakes answering in ~50 ms; how fast rules are applied, how
// many provider calls a rule costs, how late stop and expiry close them, and whether anything is
// left behind. Its own database, fakes and instances: the rest of the bench runs with the engine off.
const { randomBytes } = require('node:crypto');
const { Pool } = require('pg');

const { createDatabase, dropDatabase } = require('../lib/db');
const { cpuMeter, cpuSeconds } = require('../lib/machine');
const { startFakes } = require('./fakes');
const { startInstances } = require('./instances');
const { setupOrganization } = require('./org');
const { checkInvariant, waitSettled } = require('./firewall');
const { Tally, request, mapLimit, sleep } = require('./http');
const { judgeEngine } = require('./engine-report');
const { watchStatuses } = require('./status-watch');

const num = (name, fallback) => (process.env[name] === undefined ? fallback : Number(process.env[name]));

/** Sizes and settings; BENCH_ENGINE_* override them. */
function engineLayout(smoke) {
  const base = smoke
    ? { members: 10, sessionsPerMember: 5, awsResources: 8, apisixResources: 2, resourcesPerMember: 3 }
    : { members: 50, sessionsPerMember: 20, awsResources: 90, apisixResources: 10, resourcesPerMember: 10 };
  return {
    members: num('BENCH_ENGINE_MEMBERS', base.members),
    sessionsPerMember: num('BENCH_ENGINE_SESSIONS_PER_MEMBER', base.sessionsPerMember),
    awsResources: num('BENCH_ENGINE_AWS_RESOURCES', base.awsResources),
    apisixResources: num('BENCH_ENGINE_APISIX_RESOURCES', base.apisixResources),
    resourcesPerMember: num('BENCH_ENGINE_RESOURCES_PER_MEMBER', base.resourcesPerMember),
    instances: num('BENCH_ENGINE_INSTANCES', 2),
    pollSeconds: num('BENCH_ENGINE_POLL_SECONDS', 1),
    delayMs: num('BENCH_ENGINE_DELAY_MS', 50),
    // DB_POOL_SIZE of the instances: the service's default (10 for requests, beside 10 for background work).
    poolSize: num('BENCH_ENGINE_POOL_SIZE', 10),
    // DB_BACKGROUND_POOL_SIZE of the instances (the engine's connections); unset: the service's default.
    backgroundPoolSize: num('BENCH_ENGINE_BACKGROUND_POOL_SIZE', 0),
    // DB_PREPARED_STATEMENTS of the instances ('true' / 'false'); unset: the service's default.
    preparedStatements: process.env.BENCH_ENGINE_PREPARED_STATEMENTS,
    // ENGINE_CONCURRENCY of the instances; unset: the service's default.
    concurrency: num('BENCH_ENGINE_CONCURRENCY', 0),
    source: process.env.BENCH_ENGINE_SOURCE === '1',
  };
}

const engineState = { dbName: null, pool: null, fakes: null, instances: [] };

async function cleanupEngine(keepDb, log) {
  for (const instance of engineState.instances) await instance.stop().catch(() => {});
  await engineState.fakes?.stop().catch(() => {});
  await engineState.pool?.end().catch(() => {});
  if (engineState.dbName && !keepDb) {
    await dropDatabase(engineState.dbName).catch((error) => log(`could not drop ${engineState.dbName}: ${error.message}`));
  } else if (engineState.dbName) {
    log(`kept database ${engineState.dbName} (BENCH_KEEP_DB=1)`);
  }
  engineState.instances = [];
  engineState.fakes = null;
  engineState.pool = null;
  engineState.dbName = null;
}

/** Per session: when the last of its rules was applied / removed (the moment it became ACTIVE / ended), from SQL. */
async function sessionTimes(pool, ids) {
  const { rows } = await pool.query(
    `SELECT s.id, s.status, s.expires_at, s.ended_at,
            (SELECT max(applied_at) FROM session_rules r WHERE r.session_id = s.id) AS applied,
            (SELECT max(removed_at) FROM session_rules r WHERE r.session_id = s.id) AS removed,
            (SELECT count(*) FROM session_rules r WHERE r.session_id = s.id AND r.status <> 'APPLIED')::int AS not_applied
     FROM sessions s WHERE s.id = ANY($1)`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

async function waitFor(pool, sql, params, timeoutMs) {
  const started = Date.now();
  for (;;) {
    const { rows } = await pool.query(sql, params);
    if (rows[0].n === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return null;
    await sleep(200);
  }
}

/** Grants applied (ever) per provider: the rules the calls were made for. */
async function rulesApplied(pool) {
  const { rows } = await pool.query(
    `SELECT r.provider, count(*) FILTER (WHERE g.applied_at IS NOT NULL)::int AS applied, count(*) FILTER (WHERE g.removed_at IS NOT NULL)::int AS removed
     FROM access_grants g JOIN resources r ON r.id = g.resource_id GROUP BY r.provider`,
  );
  return Object.fromEntries(rows.map((row) => [row.provider, { applied: row.applied, removed: row.removed }]));
}

async function runEngineScenario({ smoke, stamp, log, warnings }) {
  const layout = engineLayout(smoke);
  const tally = new Tally();
  engineState.dbName = `entryguard_bench_${stamp}_engine`;
  const dbUrl = await createDatabase(engineState.dbName);
  // AWS's default of 60 inbound rules per group is too few for ~100 addresses per group here; 1,000 is its highest quota.
  engineState.fakes = await startFakes({ aws: { ruleLimit: 1000 }, apisix: { adminKey: require('./org').APISIX_ADMIN_KEY } });
  const fakes = engineState.fakes;
  const settings = {
    JOBS_POLL_SECONDS: String(layout.pollSeconds),
    DB_POOL_SIZE: String(layout.poolSize),
    ...(layout.concurrency ? { ENGINE_CONCURRENCY: String(layout.concurrency) } : {}),
    ...(layout.backgroundPoolSize ? { DB_BACKGROUND_POOL_SIZE: String(layout.backgroundPoolSize) } : {}),
    ...(layout.preparedStatements ? { DB_PREPARED_STATEMENTS: layout.preparedStatements } : {}),
  };
  log(`engine: database ${engineState.dbName}, fakes on ${fakes.aws} / ${fakes.apisix}, starting ${layout.instances} instance(s)`);
  engineState.instances = await startInstances({
    count: layout.instances,
    dbUrl,
    jwtSecret: randomBytes(36).toString('base64url'),
    keys: `1:${randomBytes(32).toString('base64')}`,
    fakes,
    stamp,
    settings,
    source: layout.source,
  });
  const instances = engineState.instances;
  engineState.pool = new Pool({ connectionString: dbUrl, max: 4 });
  const pool = engineState.pool;
  const org = await setupOrganization({ baseUrl: instances[0].url, pool, fakes, layout });
  log(`engine: ${org.resources.length} resources, ${org.members.length} members with ${layout.resourcesPerMember} resources each`);
  // Counted from zero: the engine's calls only (setupOrganization waited for the verification's).
  await fakes.awsControls({ delayMs: layout.delayMs, resetCounters: true });
  await fakes.apisixControls({ delayMs: layout.delayMs, resetCounters: true });

  // 1. Start: every member is one client, starting its sessions one after the other, on "its" instance.
  const started = [];
  const pids = () => [...instances.map((i) => i.pid), fakes.pid].filter(Boolean);
  const meter = cpuMeter(pids, engineState.dbName);
  const cpu0 = instances.map((i) => cpuSeconds(i.pid));
  const fakesCpu0 = cpuSeconds(fakes.pid);
  const startedAt = Date.now();
  const statuses = watchStatuses(pool);
  await mapLimit(org.members, org.members.length, async (member) => {
    const base = instances[member.index % instances.length].url;
    for (let s = 0; s < layout.sessionsPerMember; s++) {
      const ipv4Address = `10.${1 + Math.floor(member.index / 250)}.${member.index % 250}.${s + 1}`;
      const answer = await request(base, member.token, 'POST', '/sessions', { ipv4Address, durationHours: 1 }, { tally });
      started.push({ member, s, sentAt: answer.sentAt, ms: answer.ms, status: answer.status, id: answer.body?.id });
      if (answer.status === 201) statuses.add(answer.body.id);
    }
  });
  const startSeconds = (Date.now() - startedAt) / 1000;
  const ok = started.filter((s) => s.status === 201);
  log(`engine: ${ok.length}/${started.length} sessions started in ${startSeconds.toFixed(1)} s`);
  const decidedMs = await waitFor(pool, `SELECT count(*)::int AS n FROM sessions WHERE status = 'PENDING'`, [], 180_000);
  await sleep(100); // the watcher's last poll
  await statuses.stop();
  const startCpu = meter();
  const cpuPerInstance = instances.map((i, k) => (cpu0[k] === null ? null : cpuSeconds(i.pid) - cpu0[k]));
  const fakesCpuSeconds = fakesCpu0 === null ? null : cpuSeconds(fakes.pid) - fakesCpu0;
  const decidedSeconds = (Date.now() - startedAt) / 1000;
  if (decidedMs === null) warnings.push('engine: sessions still PENDING 180 s after the last start');
  const afterStart = await sessionTimes(
    pool,
    ok.map((s) => s.id),
  );
  // ACTIVE as a client sees it (the status); and the last rule's applied_at, which comes just before.
  const toActive = ok.map((s) => {
    const first = statuses.seen.get(s.id);
    return first?.status === 'ACTIVE' && afterStart.get(s.id)?.status === 'ACTIVE' ? first.at - s.sentAt : null;
  });
  const toApplied = ok.map((s) => {
    const row = afterStart.get(s.id);
    return row && row.status === 'ACTIVE' && row.applied ? row.applied.getTime() - s.sentAt : null;
  });
  const notActive = ok.filter((s) => afterStart.get(s.id)?.status !== 'ACTIVE').length;
  const applyCounters = await fakes.counters();
  const appliedRules = await rulesApplied(pool);

  // 2. Stop half of each member's sessions (the even ones), the same clients at once.
  const toStop = ok.filter((s) => s.s % 2 === 0);
  const stops = [];
  await mapLimit(org.members, org.members.length, async (member) => {
    const base = instances[member.index % instances.length].url;
    for (const s of toStop.filter((x) => x.member === member)) {
      const answer = await request(base, member.token, 'POST', `/sessions/${s.id}/stop`, undefined, { tally });
      stops.push({ id: s.id, answeredAt: answer.sentAt + answer.ms, status: answer.status, ms: answer.ms });
    }
  });
  const stopIds = stops.filter((s) => s.status === 200).map((s) => s.id);
  const cancelledMs = await waitFor(
    pool,
    `SELECT count(*)::int AS n FROM sessions WHERE id = ANY($1) AND status <> 'CANCELLED'`,
    [stopIds],
    120_000,
  );
  if (cancelledMs === null) warnings.push('engine: stopped sessions not all CANCELLED within 120 s');
  const afterStop = await sessionTimes(pool, stopIds);
  const stopLag = stops
    .filter((s) => s.status === 200)
    .map((s) => {
      const row = afterStop.get(s.id);
      return row?.status === 'CANCELLED' && row.removed ? row.removed.getTime() - s.answeredAt : null;
    });

  // 3. Expire the rest: durations are whole hours, so their expires_at is moved (in SQL) to 2-7 s from now.
  const toExpire = ok.filter((s) => s.s % 2 === 1).map((s) => s.id);
  await pool.query(`UPDATE sessions SET expires_at = now() + interval '2 seconds' + random() * interval '5 seconds' WHERE id = ANY($1)`, [
    toExpire,
  ]);
  const expiredMs = await waitFor(
    pool,
    `SELECT count(*)::int AS n FROM sessions WHERE id = ANY($1) AND status <> 'EXPIRED'`,
    [toExpire],
    120_000,
  );
  if (expiredMs === null) warnings.push('engine: sessions past expires_at not all EXPIRED within 120 s');
  const afterExpiry = await sessionTimes(pool, toExpire);
  const expiryLag = [...afterExpiry.values()].map((row) => (row.status === 'EXPIRED' && row.removed ? row.removed - row.expires_at : null));
  const expiryNoticed = [...afterExpiry.values()].map((row) => (row.ended_at ? row.ended_at - row.expires_at : null));

  // 4. Settled: nothing open, and the fakes hold exactly what live holders need (nothing: every session ended).
  const settled = await waitSettled(pool, 60_000);
  const invariant = await checkInvariant(pool, fakes);
  const counters = await fakes.counters();
  const removedRules = await rulesApplied(pool);
  const serverErrors = instances.flatMap((i) => i.errors);

  return judgeEngine({
    layout,
    sessions: { attempted: started.length, started: ok.length, notActive, startSeconds, decidedMs },
    postMs: started.map((s) => s.ms),
    toActive,
    toApplied,
    stopAnswerMs: stops.map((s) => s.ms),
    stopLag,
    expiryLag,
    expiryNoticed,
    applyCounters,
    counters,
    appliedRules,
    removedRules,
    settled,
    invariant,
    tally,
    serverErrors,
    cpu: { start: startCpu, perInstance: cpuPerInstance, fakesSeconds: fakesCpuSeconds, startSeconds: decidedSeconds },
  });
}

module.exports = { runEngineScenario, cleanupEngine, engineLayout };
