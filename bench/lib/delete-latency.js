'use strict';
// Is DELETE /credentials/{id} independent of how many resources the organization has? The
// in-use check and the foreign key both go through (organization_id, credential_id) indexes,
// so it should be flat. Sequential requests (one at a time, nothing else running) measure the
// request itself, not queueing; the two organizations alternate so drift hits both equally.

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

async function timedDelete(baseUrl, token, id) {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/credentials/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status };
}

/** @param sides [{ label, resources, token, ids }]: ids are unused credentials, deleted once each. */
async function measureDeleteLatency(baseUrl, sides, warmup) {
  const samples = sides.map(() => []);
  const errors = sides.map(() => 0);
  const firstError = sides.map(() => null);
  const rounds = Math.min(...sides.map((s) => s.ids.length));
  for (let i = 0; i < rounds; i++) {
    for (let s = 0; s < sides.length; s++) {
      const { ms, status } = await timedDelete(baseUrl, sides[s].token, sides[s].ids[i]);
      if (status !== 204) {
        errors[s]++;
        firstError[s] ??= status;
      }
      if (i >= warmup) samples[s].push(ms);
    }
  }
  return sides.map((side, s) => {
    const sorted = samples[s].sort((a, b) => a - b);
    return {
      label: side.label,
      resources: side.resources,
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      errors: errors[s],
      firstErrorStatus: firstError[s],
    };
  });
}

module.exports = { measureDeleteLatency, percentile };
