'use strict';
// The one table, the delete-latency lines, and the PASS/MISS verdicts against the targets.
// Verdicts use the median of the per-round ratios; the spread (min-max) is shown beside it.
const { median } = require('./load');

const TARGETS = {
  minThroughputRatio: 0.75, // service req/s >= 75% of baseline (issue 10; the goal is 85%)
  maxP99Ratio: 1.5, // service p99 <= 1.5x baseline
  deleteFlatRatio: 1.5, // 100k-resource org p50 and p99 <= 1.5x the empty org's ...
  deleteFlatSlackMs: 1, // ... plus 1 ms, so sub-millisecond noise is not a "regression"
};

const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));
const int = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));

/** rows: [{ scenario, target, result, baseline? }] -> adds ratios and a verdict to each. */
function judge(rows) {
  for (const row of rows) {
    const reasons = [];
    if (row.result.errors > 0) reasons.push(`${row.result.errors} errors`);
    if (row.target === 'service' && row.rounds) {
      const spread = (values) => {
        const known = values.filter((v) => v !== null);
        return known.length ? [Math.min(...known), Math.max(...known)] : [null, null];
      };
      const throughput = row.rounds.map((r) => r.throughputRatio);
      const p99 = row.rounds.map((r) => r.p99Ratio);
      row.throughputRatio = median(throughput);
      row.throughputRatioRange = spread(throughput);
      row.p99Ratio = median(p99);
      row.p99RatioRange = spread(p99);
      const cpu = row.rounds.map((r) => r.cpuRatio ?? null);
      row.cpuRatio = median(cpu);
      row.cpuRatioRange = spread(cpu);
      if (row.throughputRatio === null || row.throughputRatio < TARGETS.minThroughputRatio)
        reasons.push(`req/s < ${TARGETS.minThroughputRatio * 100}% of baseline`);
      if (row.p99Ratio === null || row.p99Ratio > TARGETS.maxP99Ratio) reasons.push(`p99 > ${TARGETS.maxP99Ratio}x baseline`);
    }
    row.verdict = reasons.length ? 'MISS' : 'PASS';
    row.reasons = reasons;
  }
  return rows;
}

function judgeDelete(sides) {
  const [empty, big] = sides;
  const ok = (a, b) => a !== null && b !== null && b <= a * TARGETS.deleteFlatRatio + TARGETS.deleteFlatSlackMs;
  const flat = ok(empty.p50, big.p50) && ok(empty.p99, big.p99);
  const errors = empty.errors + big.errors;
  return {
    p50Ratio: empty.p50 ? big.p50 / empty.p50 : null,
    p99Ratio: empty.p99 ? big.p99 / empty.p99 : null,
    verdict: flat && errors === 0 ? 'PASS' : 'MISS',
    errors,
  };
}

function table(headers, lines, rightAligned) {
  const widths = headers.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const cell = (v, i) => (rightAligned.has(i) ? String(v).padStart(widths[i]) : String(v).padEnd(widths[i]));
  const out = [headers.map(cell).join('  '), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const l of lines) out.push(l.map(cell).join('  '));
  return out.join('\n');
}

function render(rows, deletion, meta) {
  const headers = [
    'scenario',
    'target',
    'runs',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'KB/resp',
    'req/s vs base [min-max]',
    'p99 vs base [min-max]',
    'CPU ms/req',
    'CPU/req vs base',
    'others CPU',
    'result',
  ];
  const percent = (n) => (n === null ? '—' : `${Math.round(n * 100)}%`);
  const times = (n) => (n === null ? '—' : `${fmt(n, 2)}x`);
  const withSpread = (value, range, show) =>
    range && range[0] !== range[1] ? `${show(value)} [${show(range[0])}-${show(range[1])}]` : show(value);
  const lines = rows.map((r) => [
    r.scenario,
    r.target,
    int(r.result.rounds ?? 1),
    int(r.result.rps),
    fmt(r.result.p50, 0),
    fmt(r.result.p99, 0),
    int(r.result.errors),
    fmt(r.result.bytesPerResponse / 1024, 1),
    r.throughputRatio === undefined ? '' : withSpread(r.throughputRatio, r.throughputRatioRange, percent),
    r.p99Ratio === undefined ? '' : withSpread(r.p99Ratio, r.p99RatioRange, times),
    r.result.cpuMsPerRequest == null ? '—' : fmt(r.result.cpuMsPerRequest, 3),
    r.cpuRatio === undefined ? '' : withSpread(r.cpuRatio, r.cpuRatioRange, times),
    r.result.otherCores == null ? '—' : `${fmt(r.result.otherCores, 2)}${r.result.otherCores > meta.quietLimit ? ' !' : ''}`,
    r.target === 'baseline' ? (r.verdict === 'PASS' ? '' : 'MISS') : r.verdict,
  ]);
  const out = [];
  out.push(
    `EntryGuard API bench -- ${meta.mode}, ${meta.connections} connections, ${meta.cpus} CPUs, servers on node ${meta.node}; ` +
      `with baseline: ${meta.warmup}s warm-up per server, then ${meta.rounds} alternating rounds of ${meta.roundDuration}s; ` +
      `others: ${meta.duration}s`,
  );
  out.push(
    `data: big org ${int(meta.layout.big.credentials)} credentials / ${int(meta.layout.big.resources)} resources; ` +
      `${meta.layout.small.count} small orgs ${int(meta.layout.small.credentials)} / ${int(meta.layout.small.resources)}; 1 empty org`,
  );
  out.push('');
  out.push(table(headers, lines, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])));
  out.push('');
  out.push(
    'req/s, p50, p99: medians over the rounds; "vs base": median of the per-round ratios (service round / baseline round after it), ' +
      '[min-max] over the rounds;',
  );
  out.push(
    '"CPU ms/req": the server process\'s own CPU time (user+system, /proc) per answered request, median over the rounds; ' +
      'steadier than req/s when the machine is shared, and the figure to steer by when it is',
  );
  out.push(
    `"others CPU": cores used by processes other than the bench, the servers and our PostgreSQL backends in the worst kept round ` +
      `("!" = above ${meta.quietLimit}: disturbed figures; such rounds are rerun up to BENCH_MAX_RETRIES times)`,
  );
  const mb = (bytes) => (bytes ? `${fmt(bytes / 1048576, 0)} MB` : '—');
  out.push(
    `service RSS: idle ${mb(meta.rss.idle?.rss)} (booted, seeded, warmed up, before load), after the run ${mb(meta.rss.after?.rss)} ` +
      `(peak ${mb(meta.rss.after?.peak)})`,
  );
  out.push(
    `targets (on the medians): service req/s >= ${TARGETS.minThroughputRatio * 100}% of baseline, service p99 <= ${TARGETS.maxP99Ratio}x baseline, no errors ` +
      '(errors = unexpected status + socket errors/timeouts; 400 CREDENTIAL_IN_USE is the expected answer of "DELETE in use")',
  );
  out.push(
    'baseline = bare Fastify + pg (Pool max 20): same HS256 JWT verification, same per-request user-check query, same SQL and JSON shape;',
  );
  out.push('           no NestJS/TypeORM/CLS, no helmet, no request logging, no rate limiting. The gap is framework overhead.');
  for (const r of rows) {
    if (r.result.socketErrors) {
      out.push(
        `  ! ${r.scenario} [${r.target}] ${r.result.socketErrors} socket errors, of which ${r.result.timeouts} timeouts (no answer within 10 s)`,
      );
    }
    if (r.result.firstUnexpected)
      out.push(`  ! ${r.scenario} [${r.target}] first unexpected response: ${r.result.firstUnexpected.replace(/\s+/g, ' ')}`);
    if (r.discardedRounds?.length) out.push(`  ~ ${r.scenario}: ${r.discardedRounds.length} disturbed round(s) rerun`);
    if (r.bodyCheck) out.push(`  ${r.bodyCheck.same ? '=' : '!'} ${r.scenario}: ${r.bodyCheck.note}`);
  }
  if (deletion) {
    const [empty, big] = deletion.sides;
    out.push('');
    out.push(`DELETE /credentials/{id} latency, ${empty.n} sequential deletes of unused credentials per org (alternating), after warm-up:`);
    for (const s of deletion.sides) {
      out.push(
        `  org with ${int(s.resources).padStart(7)} resources: p50 ${fmt(s.p50, 2)} ms  p99 ${fmt(s.p99, 2)} ms` +
          (s.errors ? `  (${s.errors} non-204, first ${s.firstErrorStatus})` : ''),
      );
    }
    out.push(
      `  ${int(big.resources)} vs 0: p50 ${fmt(deletion.verdict.p50Ratio, 2)}x, p99 ${fmt(deletion.verdict.p99Ratio, 2)}x -> ${deletion.verdict.verdict}` +
        ` (flat = both <= ${TARGETS.deleteFlatRatio}x + ${TARGETS.deleteFlatSlackMs} ms, no errors)`,
    );
  }
  const misses = rows.filter((r) => r.verdict === 'MISS').length + (deletion && deletion.verdict.verdict === 'MISS' ? 1 : 0);
  out.push('');
  out.push(misses ? `${misses} MISS` : 'all targets PASS');
  for (const w of meta.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

module.exports = { TARGETS, judge, judgeDelete, render };
