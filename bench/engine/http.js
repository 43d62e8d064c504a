'use strict';
// A small JSON client for the API, with the bookkeeping a bench or soak needs: every answer is
// counted by route, status and error code; a refused or cut connection (an instance being killed)
// is status 0 and counted apart from the answers.

/** Counts of answers: "POST /sessions 201", "POST /sessions/{id}/stop 400 SESSION_NOT_ACTIVE", ... */
class Tally {
  constructor() {
    this.counts = new Map();
    /** First few bodies of 5xx answers, to print. */
    this.serverErrors = [];
  }

  add(route, status, code) {
    const key = `${route} ${status === 0 ? 'network-error' : status}${code ? ` ${code}` : ''}`;
    this.counts.set(key, (this.counts.get(key) || 0) + 1);
  }

  /** How many answers had a status in [from, to]. */
  between(from, to) {
    let n = 0;
    for (const [key, count] of this.counts) {
      const status = Number(key.split(' ')[2]);
      if (status >= from && status <= to) n += count;
    }
    return n;
  }

  get networkErrors() {
    let n = 0;
    for (const [key, count] of this.counts) if (key.includes(' network-error')) n += count;
    return n;
  }

  sorted() {
    return [...this.counts].sort(([a], [b]) => a.localeCompare(b));
  }
}

/** The route's shape, ids replaced: counts stay readable. */
function routeOf(method, path) {
  const shape = path
    .replace(/\?.*$/, '')
    .replace(/^\/api\/v1/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}');
  return `${method} ${shape}`;
}

/**
 * One request. `base` is a URL or a function giving one (e.g. a live instance, picked per request).
 * Resolves to { status, body, ms, code, sentAt, url }; status 0 when no answer came (error set).
 */
async function request(base, token, method, path, body, { tally, timeoutMs = 30_000, headers = {} } = {}) {
  const url = typeof base === 'function' ? base() : base;
  const sentAt = Date.now();
  const started = performance.now();
  let status = 0;
  let json = null;
  let error = null;
  try {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    const text = await res.text();
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { text: text.slice(0, 300) };
    }
  } catch (caught) {
    error = caught.cause?.code || caught.name || String(caught);
  }
  const ms = performance.now() - started;
  const code = status >= 400 && json && typeof json === 'object' && typeof json.error === 'string' ? json.error : null;
  if (tally) {
    tally.add(routeOf(method, path), status, code);
    if (status >= 500 && tally.serverErrors.length < 20) {
      tally.serverErrors.push(`${method} ${path} -> ${status} ${JSON.stringify(json).slice(0, 400)} (${url})`);
    }
  }
  return { status, body: json, ms, code, sentAt, url, error };
}

/** Fails loudly: for setup steps, where anything but the expected status is a broken run. */
async function must(base, token, method, path, body, expected) {
  const answer = await request(base, token, method, path, body);
  if (answer.status !== expected) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${answer.status} ${answer.error ?? ''} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

/** Runs `work(item)` over the items, at most `limit` at a time; resolves to the results in order. */
async function mapLimit(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function percentile(values, p) {
  const sorted = values.filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { Tally, request, must, mapLimit, percentile, routeOf, sleep };
