'use strict';
// The engine scenario's figures, its PASS/MISS verdicts against issue 15's targets, and its text.
const { percentile } = require('./http');

const ENGINE_TARGETS = {
  maxActiveP99Ms: 2000, // POST /sessions -> ACTIVE, p99
  expirySlackMs: 2000, // expires_at -> EXPIRED, p99 < JOBS_POLL_SECONDS + this
};

const fmtMs = (n) => (n === null || n === undefined ? '—' : `${Math.round(n).toLocaleString('en-US')} ms`);
const int = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const ratio = (a, b) => (b ? (a / b).toFixed(3) : '—');
const spread = (values) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100), n: values.length });

function judgeEngine(raw) {
  const { layout, sessions, invariant, tally, serverErrors, settled } = raw;
  const toActive = spread(raw.toActive);
  const expiry = spread(raw.expiryLag);
  const stop = spread(raw.stopLag);
  const expiryLimit = layout.pollSeconds * 1000 + ENGINE_TARGETS.expirySlackMs;
  const missingTimes = raw.toActive.filter((v) => v === null).length;
  const checks = [
    {
      name: 'p99 POST /sessions -> ACTIVE',
      target: `< ${fmtMs(ENGINE_TARGETS.maxActiveP99Ms)}`,
      pass: toActive.p99 !== null && toActive.p99 < ENGINE_TARGETS.maxActiveP99Ms && missingTimes === 0,
    },
    {
      name: 'p99 expires_at -> EXPIRED',
      target: `< JOBS_POLL_SECONDS + 2 s = ${fmtMs(expiryLimit)}`,
      pass: expiry.p99 !== null && expiry.p99 < expiryLimit && raw.expiryLag.every((v) => v !== null),
    },
    {
      name: 'rules left behind / missing',
      target: '0 / 0',
      pass: invariant.extra.length === 0 && invariant.missing.length === 0 && settled.settled,
    },
    {
      name: 'errors',
      target: 'every session started and ACTIVE, no 5xx, no error logged',
      pass:
        sessions.started === sessions.attempted &&
        sessions.notActive === 0 &&
        tally.between(500, 599) === 0 &&
        tally.networkErrors === 0 &&
        serverErrors.length === 0,
    },
  ];
  return {
    ...raw,
    figures: {
      sessionsPerSecond: sessions.started / sessions.startSeconds,
      post: spread(raw.postMs),
      toActive,
      toApplied: spread(raw.toApplied),
      stopAnswer: spread(raw.stopAnswerMs),
      stop,
      expiry,
      expiryNoticed: spread(raw.expiryNoticed),
    },
    checks,
    verdict: checks.every((c) => c.pass) ? 'PASS' : 'MISS',
  };
}

function renderEngine(result) {
  const { layout, figures: f, sessions, applyCounters, counters, appliedRules, removedRules, invariant, settled } = result;
  const aws = applyCounters.aws || {};
  const apisix = applyCounters.apisix || {};
  const awsRules = appliedRules.AWS?.applied ?? 0;
  const apisixRules = appliedRules.APISIX?.applied ?? 0;
  const awsRemoved = removedRules.AWS?.removed ?? 0;
  const apisixRemoved = removedRules.APISIX?.removed ?? 0;
  const revokes = (counters.aws?.RevokeSecurityGroupIngress ?? 0) - (aws.RevokeSecurityGroupIngress ?? 0);
  const patchesAfter = (counters.apisix?.PATCH ?? 0) - (apisix.PATCH ?? 0);
  const total = layout.awsResources + layout.apisixResources;
  const verdict = (name) => (result.checks.find((c) => c.name === name).pass ? 'PASS' : 'MISS');
  const out = [];
  out.push(
    `Engine scenario -- ${layout.instances} instance(s) (${layout.source ? 'from source' : 'built'}) on one database, ` +
      `${int(sessions.attempted)} sessions by ${layout.members} concurrent clients (${layout.sessionsPerMember} each, one address per session) ` +
      `over ${total} resources (${layout.awsResources} AWS security groups, ${layout.apisixResources} APISIX routes; ${layout.resourcesPerMember} per member), ` +
      `fakes answering in ${layout.delayMs} ms, JOBS_POLL_SECONDS=${layout.pollSeconds}`,
  );
  const rows = [
    [
      'sessions started per second',
      `${f.sessionsPerSecond.toFixed(1)}`,
      `${int(sessions.started)} of ${int(sessions.attempted)} in ${sessions.startSeconds.toFixed(1)} s; POST /sessions answered p50 ${fmtMs(f.post.p50)}, p99 ${fmtMs(f.post.p99)}`,
      '',
    ],
    [
      'POST /sessions -> ACTIVE',
      `p50 ${fmtMs(f.toActive.p50)}, p99 ${fmtMs(f.toActive.p99)}`,
      `max ${fmtMs(f.toActive.max)}; client send time to the status ACTIVE, seen in SQL (polled every 25 ms; the poll's clock_timestamp()); ${sessions.notActive} not ACTIVE`,
      verdict('p99 POST /sessions -> ACTIVE'),
    ],
    [
      '  ... -> last rule applied',
      `p50 ${fmtMs(f.toApplied.p50)}, p99 ${fmtMs(f.toApplied.p99)}`,
      `max ${fmtMs(f.toApplied.max)}; client send time to the last rule's applied_at (the status follows it)`,
      '',
    ],
    [
      'provider calls per rule applied',
      `AWS ${ratio(aws.AuthorizeSecurityGroupIngress ?? 0, awsRules)}, APISIX ${ratio(apisix.PATCH ?? 0, apisixRules)}`,
      `AWS: ${int(aws.AuthorizeSecurityGroupIngress ?? 0)} Authorize for ${int(awsRules)} rules (+${int(aws.DescribeSecurityGroups ?? 0)} Describe); ` +
        `APISIX: ${int(apisix.PATCH ?? 0)} PATCH (+${int(apisix.GET ?? 0)} GET) for ${int(apisixRules)} rules`,
      '',
    ],
    [
      'provider calls per rule removed',
      `AWS ${ratio(revokes, awsRemoved)}, APISIX ${ratio(patchesAfter, apisixRemoved)}`,
      `AWS: ${int(revokes)} Revoke for ${int(awsRemoved)} rules; APISIX: ${int(patchesAfter)} PATCH for ${int(apisixRemoved)} rules`,
      '',
    ],
    [
      'stop answer -> CANCELLED',
      `p50 ${fmtMs(f.stop.p50)}, p99 ${fmtMs(f.stop.p99)}`,
      `max ${fmtMs(f.stop.max)}; ${int(f.stop.n)} stops (answered p50 ${fmtMs(f.stopAnswer.p50)}, p99 ${fmtMs(f.stopAnswer.p99)}); until the last rule is REMOVED`,
      '',
    ],
    [
      'expires_at -> EXPIRED',
      `p50 ${fmtMs(f.expiry.p50)}, p99 ${fmtMs(f.expiry.p99)}`,
      `max ${fmtMs(f.expiry.max)}; ${int(f.expiry.n)} sessions; noticed (EXPIRING) p50 ${fmtMs(f.expiryNoticed.p50)}, p99 ${fmtMs(f.expiryNoticed.p99)}`,
      verdict('p99 expires_at -> EXPIRED'),
    ],
    [
      'rules left behind',
      `${invariant.extra.length} open, ${invariant.missing.length} missing`,
      `the fakes hold ${invariant.held} entries, live holders need ${invariant.needed}; settled after ${fmtMs(settled.waitedMs)}${settled.settled ? '' : ` (NOT settled: ${JSON.stringify(settled.open)})`}`,
      verdict('rules left behind / missing'),
    ],
  ];
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) out.push(`  ${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[3] ? `${r[3]}  ` : '      '}${r[2]}`);
  const cpu = result.cpu;
  const perInstance = cpu.perInstance.map((s) => (s === null ? '—' : `${s.toFixed(1)} s`)).join(', ');
  out.push(
    `  CPU during the start phase (until every session was decided): instances ${perInstance}; ` +
      (cpu.start.machineCores === null
        ? 'machine —'
        : `machine ${cpu.start.machineCores.toFixed(2)} of ${cpu.start.cpus} cores busy: ours (bench, instances, fakes, our PostgreSQL backends) ` +
          `${cpu.start.oursCores.toFixed(2)}, others ${cpu.start.otherCores.toFixed(2)}`),
  );
  if (cpu.start.databaseCores != null) {
    const instancesCores = cpu.perInstance.reduce((sum, s) => sum + (s ?? 0), 0) / cpu.startSeconds;
    out.push(
      `    ours in cores: instances ${instancesCores.toFixed(2)}, PostgreSQL ${cpu.start.databaseCores.toFixed(2)}, ` +
        `fakes ${(cpu.fakesSeconds / cpu.startSeconds).toFixed(2)}, bench (clients and status watcher) ${cpu.start.benchCores.toFixed(2)}`,
    );
  }
  const errors = result.tally.sorted().filter(([key]) => !/ (200|201|204)$/.test(key));
  out.push(
    `  errors: ${errors.length ? errors.map(([k, n]) => `${k}: ${n}`).join('; ') : 'none'}; error lines logged by the instances: ${result.serverErrors.length}  ${verdict('errors')}`,
  );
  for (const line of result.tally.serverErrors.slice(0, 5)) out.push(`    ! ${line}`);
  for (const line of result.serverErrors.slice(0, 5)) out.push(`    ! ${line.slice(0, 600)}`);
  for (const entry of [...invariant.extra.slice(0, 5), ...invariant.missing.slice(0, 5)]) out.push(`    ! ${entry}`);
  out.push(
    `  targets: p99 to ACTIVE < ${fmtMs(ENGINE_TARGETS.maxActiveP99Ms)}, p99 expiry lag < JOBS_POLL_SECONDS + 2 s, no rule left behind or missing, no errors -> ${result.verdict}`,
  );
  return out.join('\n');
}

module.exports = { judgeEngine, renderEngine, ENGINE_TARGETS };
