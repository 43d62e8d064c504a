'use strict';
// What a soak did and found, from the clients' counts, the database and the fakes; and whether
// it passed.

/** Sessions, rules, grants and resource-health events as the database has them at the end. */
async function databaseFigures(pool, since) {
  const q = async (sql, params = []) => (await pool.query(sql, params)).rows;
  return {
    sessions: await q(`SELECT status, ended_reason, count(*)::int AS n FROM sessions GROUP BY 1, 2 ORDER BY 1, 2`),
    sessionRules: await q(`SELECT status, count(*)::int AS n FROM session_rules GROUP BY 1 ORDER BY 1`),
    failedRules: await q(
      `SELECT error_message, count(*)::int AS n FROM session_rules WHERE status = 'FAILED' GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
    ),
    grants: await q(`SELECT status, count(*)::int AS n FROM access_grants GROUP BY 1 ORDER BY 1`),
    staticRules: (await q(`SELECT count(*)::int AS n FROM static_ip_rules`))[0].n,
    health: await q(`SELECT event_type, count(*)::int AS n FROM resource_health_events WHERE created_at >= $1 GROUP BY 1 ORDER BY 1`, [
      since,
    ]),
    repairs: await q(
      `SELECT e.created_at, r.name, e.message, e.details FROM resource_health_events e JOIN resources r ON r.id = e.resource_id
       WHERE e.created_at >= $1 AND e.event_type = 'RECONCILE_FAILED' ORDER BY e.created_at LIMIT 10`,
      [since],
    ),
  };
}

/** The open sessions and grants of a run that did not settle. */
function sampleLines(sample) {
  if (!sample) return [];
  return [
    ...sample.sessions.map(
      (s) =>
        `    ! open session ${s.id}: ${s.status}${s.ended_reason ? `/${s.ended_reason}` : ''} since ${s.ended_at?.toISOString() ?? '—'}, rules ${s.rules}`,
    ),
    ...sample.grants.map(
      (g) =>
        `    ! open grant ${g.resource} ${g.cidr}: ${g.status}, ${g.attempts} attempts, next ${g.next_attempt_at?.toISOString()}, ${g.last_error ?? ''}`,
    ),
  ];
}

const list = (rows, label) => rows.map((r) => `${label(r)} ${r.n}`).join(', ') || 'none';

function renderSoak(r) {
  const out = [];
  const failures = [];
  const { config: c, counts, chaos, tally, counters, figures, settled, invariant, finalSettled, finalInvariant, wound } = r;
  out.push(
    `Soak -- ${Math.round(r.seconds)} s in all (${c.seconds} s of work), ${c.instances} instances (${c.source ? 'from source' : 'built'}) on one database, ` +
      `${c.members} member + ${c.admins} admin clients (think ${c.thinkMs} ms), SIGKILL every ~${c.killEveryMs / 1000} s, faults: ${c.faults.join(', ') || 'none'}`,
  );
  out.push(
    `  engine: ${Object.entries(c.engine)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  out.push(
    `  resources: ${c.layout.awsResources} AWS security groups, ${c.layout.apisixResources} APISIX routes; ${c.layout.resourcesPerMember} per member`,
  );
  out.push('');
  out.push('What the clients did');
  out.push(
    `  sessions started ${counts.sessionsStarted} (${counts.startsReplayed} of them after a lost answer, same Idempotency-Key), ` +
      `stopped ${counts.sessionsStopped} (+${counts.sessionsAdminStopped} by an admin), extended ${counts.sessionsExtended}, ` +
      `expiry brought forward (SQL) ${counts.expiriesRequested}`,
  );
  out.push(
    `  static IP rules created ${counts.staticCreated}, deleted ${counts.staticDeleted}; requests retried after no answer ${counts.retries}`,
  );
  out.push(`  sessions in the database: ${list(figures.sessions, (s) => `${s.status}${s.ended_reason ? `/${s.ended_reason}` : ''}`)}`);
  out.push(`  session rules: ${list(figures.sessionRules, (s) => s.status)}; grants: ${list(figures.grants, (s) => s.status)}`);
  for (const f of figures.failedRules) out.push(`    FAILED rule x${f.n}: ${f.error_message}`);
  out.push('');
  out.push('What went wrong on purpose, and what the watchers saw');
  out.push(
    `  ${chaos.kills} SIGKILLs (each instance started again on its port), ${chaos.restartFailures.length} failed restarts; ${chaos.faultsFlipped} provider faults`,
  );
  for (const failure of chaos.restartFailures) out.push(`    ! restart: ${failure.split('\n').slice(0, 15).join('\n      ')}`);
  for (const error of chaos.loopErrors) out.push(`    ! chaos: ${error.split('\n')[0]}`);
  if (chaos.restartFailures.length || chaos.loopErrors.length) failures.push('an instance did not restart, or the chaos loop broke');
  const aws = counters.aws || {};
  const apisix = counters.apisix || {};
  out.push(
    `  provider calls: AWS ${
      Object.entries(aws)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }; APISIX ${
      Object.entries(apisix)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
  );
  out.push(`  resource health events: ${list(figures.health, (h) => h.event_type)}`);
  for (const repair of figures.repairs) {
    out.push(
      `    reconcile repaired ${repair.name} at ${repair.created_at.toISOString().slice(11, 19)}: ${repair.message} ${JSON.stringify(repair.details)}`,
    );
  }
  out.push(
    `  leaks seen while running (a rule left open with no holder, or a needed rule missing, for 5 s or more, not in flight): ${r.leaks.length}`,
  );
  for (const leak of r.leaks.slice(0, 20)) {
    out.push(
      `    ! ${leak.kind} ${leak.entry} since ${leak.since.toISOString().slice(11, 19)}: ${leak.description ?? '(no description)'} -> ${leak.holder}`,
    );
  }
  // With answers that land after our timeout ("timeout"), a late call can strand or drop a rule until
  // reconcile repairs it; without them, the engine must never lose track of a rule.
  if (!c.faults.includes('timeout') && (r.leaks.length > 0 || figures.repairs.length > 0)) {
    failures.push(
      `the engine lost track of rules while running (${r.leaks.length} leaks seen, ${figures.repairs.length} reconcile repairs)`,
    );
  }
  out.push(
    `  two edits (Authorize/Revoke) of one security group in flight at once (two instances on one firewall): ${r.overlaps.length} of ${r.awsEdits} edits`,
  );
  for (const overlap of r.overlaps.slice(0, 10)) out.push(`    ! ${overlap}`);
  if (!c.faults.includes('timeout') && r.overlaps.length > 0) failures.push(`${r.overlaps.length} concurrent edits of one security group`);
  const leases = figures.leases;
  out.push(
    `  leases: ${leases.claims - leases.renewals} claims, ${leases.renewals} renewals, ${leases.releases} releases; ` +
      `${leases.takeoversAfterKill} taken over after a SIGKILL (expected); ` +
      `taken over from a live holder: ${leases.takeovers.length}; released twice: ${leases.doubleReleases.length}`,
  );
  for (const t of leases.takeovers.slice(0, 5)) out.push(`    ! taken over: ${t}`);
  for (const t of leases.doubleReleases.slice(0, 5)) out.push(`    ! released twice: ${t}`);
  if (leases.takeovers.length || leases.doubleReleases.length) {
    failures.push('a firewall was worked by two instances at once (lease outlived)');
  }
  out.push(`  warnings logged by instances (level 40, by message): ${r.warnings.length ? '' : 'none'}`);
  for (const [message, n] of r.warnings.slice(0, 12)) out.push(`    ${n} x ${message}`);
  out.push('');
  out.push('Answers (route, status, code)');
  for (const [key, n] of tally.sorted()) out.push(`  ${key}: ${n}`);
  const fiveXx = tally.between(500, 599);
  out.push(
    `  5xx: ${fiveXx}; no answer (instance killed under the request): ${tally.networkErrors}; error lines logged by instances: ${r.serverErrors.length}`,
  );
  for (const line of tally.serverErrors) out.push(`    ! ${line}`);
  for (const line of r.serverErrors.slice(0, 20)) out.push(`    ! ${line.slice(0, 800)}`);
  if (fiveXx > 0) failures.push(`${fiveXx} answers with a 5xx`);
  if (r.serverErrors.length > 0) failures.push(`${r.serverErrors.length} error lines (level >= 50) logged`);
  out.push('');
  out.push('Settled and checked');
  const open = (s) =>
    `grants PENDING ${s.open.pending_grants}, REMOVING ${s.open.removing_grants}; sessions PENDING ${s.open.pending_sessions}, EXPIRING ${s.open.expiring_sessions}, overdue ${s.open.overdue_sessions}`;
  out.push(`  settled: ${settled.settled ? 'yes' : 'NO'} after ${(settled.waitedMs / 1000).toFixed(1)} s (${open(settled)})`);
  if (!settled.settled) failures.push(`the engine did not settle within ${c.settleSeconds} s`);
  for (const line of sampleLines(settled.sample)) out.push(line);
  out.push(
    `  open rules left behind: ${invariant.extra.length}, missing: ${invariant.missing.length} (the fakes hold ${invariant.held} entries, live holders need ${invariant.needed})`,
  );
  for (const entry of invariant.extra.slice(0, 20)) out.push(`    ! left open: ${entry}`);
  for (const entry of invariant.missing.slice(0, 20)) out.push(`    ! missing: ${entry}`);
  if (invariant.extra.length || invariant.missing.length) failures.push('the fakes do not hold exactly what live holders need');
  out.push(
    `  then ${wound.sessions} live sessions stopped and ${wound.rules} static rules deleted: settled ${finalSettled.settled ? 'yes' : 'NO'} after ${(finalSettled.waitedMs / 1000).toFixed(1)} s; ` +
      `open rules left behind: ${finalInvariant.extra.length}, missing: ${finalInvariant.missing.length}, the fakes hold ${finalInvariant.held} entries`,
  );
  for (const line of sampleLines(finalSettled.sample)) out.push(line);
  for (const entry of finalInvariant.extra.slice(0, 20)) out.push(`    ! left open: ${entry}`);
  for (const failure of wound.failed.slice(0, 5)) out.push(`    ! wind-down: ${failure}`);
  if (!finalSettled.settled) failures.push('the engine did not settle after every holder let go');
  if (finalInvariant.extra.length || finalInvariant.missing.length || finalInvariant.held > 0) {
    failures.push('rules left behind after every holder let go');
  }
  if (wound.failed.length) failures.push(`${wound.failed.length} wind-down requests failed`);
  out.push('');
  out.push(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS: nothing left open or missing, no 5xx, no error logged');
  return { text: out.join('\n'), failures };
}

module.exports = { databaseFigures, renderSoak };
