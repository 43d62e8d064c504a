'use strict';
// One autocannon run, with our own bookkeeping of which responses were expected: autocannon only
// knows 2xx vs non-2xx, but "400 CREDENTIAL_IN_USE" is the correct answer for the refusal path.
const autocannon = require('autocannon');

/**
 * @param opts.next()      -> { method, path, body? } for the next request (a shared counter in
 *                            the closure, so ids are spread over all connections)
 * @param opts.expected(status, body) -> true when this response is the correct answer
 * @param opts.amount      run exactly this many requests instead of for `duration` seconds
 */
function runLoad({ url, token, connections, duration, amount, next, expected }) {
  const statuses = {};
  let unexpected = 0;
  let firstUnexpected = null;
  const request = {
    setupRequest: (req) => {
      const r = next();
      const headers = { ...req.headers };
      if (r.body !== undefined) headers['content-type'] = 'application/json';
      return { ...req, method: r.method, path: r.path, headers, body: r.body === undefined ? undefined : JSON.stringify(r.body) };
    },
    onResponse: (status, body) => {
      statuses[status] = (statuses[status] || 0) + 1;
      if (!expected(status, body)) {
        unexpected++;
        if (!firstUnexpected) firstUnexpected = `${status} ${String(body).slice(0, 200)}`;
      }
    },
  };
  const options = {
    url,
    connections: amount ? Math.min(connections, amount) : connections,
    headers: { authorization: `Bearer ${token}` },
    requests: [request],
    timeout: 10,
  };
  if (amount) options.amount = amount;
  else options.duration = duration;

  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => {
      if (error) return reject(error);
      const completed = result.requests.total;
      resolve({
        requests: completed,
        seconds: result.duration,
        // Completed responses over wall time: also right for `amount` runs, where autocannon's
        // per-second average would count the last partial second as a full one.
        rps: result.duration > 0 ? completed / result.duration : 0,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        bytesPerResponse: completed ? Math.round(result.throughput.total / completed) : 0,
        statuses,
        unexpected,
        socketErrors: result.errors, // includes timeouts
        timeouts: result.timeouts,
        errors: unexpected + result.errors,
        firstUnexpected,
      });
    });
  });
}

function median(values) {
  const sorted = values.filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Several runs of one target -> one result: medians of the per-run figures, sums of the counts. */
function summarizeRounds(runs) {
  const statuses = {};
  for (const run of runs) for (const [status, n] of Object.entries(run.statuses)) statuses[status] = (statuses[status] || 0) + n;
  const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
  return {
    rounds: runs.length,
    requests: sum('requests'),
    seconds: sum('seconds'),
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
    max: Math.max(...runs.map((r) => r.max)),
    bytesPerResponse: median(runs.map((r) => r.bytesPerResponse)),
    statuses,
    unexpected: sum('unexpected'),
    socketErrors: sum('socketErrors'),
    timeouts: sum('timeouts'),
    errors: sum('errors'),
    firstUnexpected: runs.find((r) => r.firstUnexpected)?.firstUnexpected ?? null,
    // CPU used by other processes during the rounds, in cores (the worst round).
    otherCores: runs.some((r) => r.cpu?.otherCores != null) ? Math.max(...runs.map((r) => r.cpu?.otherCores ?? 0)) : null,
    perRound: runs.map(({ rps, p50, p99, max, errors, cpu, cpuMsPerRequest }) => ({ rps, p50, p99, max, errors, cpu, cpuMsPerRequest })),
  };
}

module.exports = { runLoad, summarizeRounds, median };
