'use strict';
// The one table, the delete-latency lines, and the PASS/MISS verdicts against the targets.

const TARGETS = {
  minThroughputRatio: 0.7, // service req/s >= 70% of baseline
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
    if (row.target === 'service' && row.baseline) {
      row.throughputRatio = row.baseline.rps > 0 ? row.result.rps / row.baseline.rps : null;
      row.p99Ratio = row.baseline.p99 > 0 ? row.result.p99 / row.baseline.p99 : null;
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
  const headers = ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'KB/resp', 'req/s vs base', 'p99 vs base', 'result'];
  const lines = rows.map((r) => [
    r.scenario,
    r.target,
    int(r.result.rps),
    fmt(r.result.p50, 0),
    fmt(r.result.p99, 0),
    int(r.result.errors),
    fmt(r.result.bytesPerResponse / 1024, 1),
    r.throughputRatio === undefined ? '' : r.throughputRatio === null ? '—' : `${Math.round(r.throughputRatio * 100)}%`,
    r.p99Ratio === undefined ? '' : r.p99Ratio === null ? '—' : `${fmt(r.p99Ratio, 2)}x`,
    r.target === 'baseline' ? (r.verdict === 'PASS' ? '' : 'MISS') : r.verdict,
  ]);
  const out = [];
  out.push(
    `EntryGuard API bench -- ${meta.mode}, ${meta.duration}s per run, ${meta.connections} connections, ${meta.cpus} CPUs, node ${process.version}`,
  );
  out.push(
    `data: big org ${int(meta.layout.big.credentials)} credentials / ${int(meta.layout.big.resources)} resources; ` +
      `${meta.layout.small.count} small orgs ${int(meta.layout.small.credentials)} / ${int(meta.layout.small.resources)}; 1 empty org`,
  );
  out.push('');
  out.push(table(headers, lines, new Set([2, 3, 4, 5, 6, 7, 8])));
  out.push('');
  out.push(
    `targets: service req/s >= ${TARGETS.minThroughputRatio * 100}% of baseline, service p99 <= ${TARGETS.maxP99Ratio}x baseline, no errors ` +
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
