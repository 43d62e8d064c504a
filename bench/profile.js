#!/usr/bin/env node
'use strict';
// npm run bench:profile [-- --smoke] [-- --build] [-- --seconds 20] [-- --scenario "GET /credentials"]
// node bench/profile.js --analyze <file.cpuprofile> [--from ms --to ms]
//
// Where the service's CPU time goes under load. Seeds a fresh database like `npm run bench`,
// starts the BUILT service with `node --cpu-prof`, then for each scenario (default: the two
// reads, `GET /credentials/{id}` and `GET /credentials`) warms up, drives it with autocannon for
// --seconds, and notes the window. On exit the service writes its .cpuprofile; this script then
// summarizes each load window (boot, seeding and warm-up are left out): the top functions by
// self time and by inclusive time, and the share of each package / part of the app.
//
// Env: as bench/run.js (BENCH_CONNECTIONS, BENCH_MAIN, BENCH_NODE, BENCH_PG_URL, BENCH_KEEP_DB),
//      BENCH_PROFILE_INTERVAL (sampling interval in µs, default 250), BENCH_PROFILE_TOP (25).
const fs = require('node:fs');
const path = require('node:path');

const { ROOT } = require('./lib/app-code');
const { runLoad } = require('./lib/load');
const { stop, killAllSync } = require('./lib/processes');
const { log, startEnvironment, cleanupEnvironment } = require('./lib/setup');
const { scenarios } = require('./scenarios');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const options = (name) => args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1]] : []));

const SMOKE = flag('--smoke');
const SECONDS = Number(option('--seconds', SMOKE ? 3 : 20));
const WARMUP = Number(process.env.BENCH_WARMUP || (SMOKE ? 0.5 : 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
const INTERVAL = Number(process.env.BENCH_PROFILE_INTERVAL || 250);
const TOP = Number(process.env.BENCH_PROFILE_TOP || 25);
const SCENARIOS = options('--scenario').length ? options('--scenario') : ['GET /credentials/{id}', 'GET /credentials'];
const LAYOUT = SMOKE
  ? { big: { credentials: 50, resources: 2_000 }, small: { count: 3, credentials: 10, resources: 100 } }
  : { big: { credentials: 1_000, resources: 100_000 }, small: { count: 3, credentials: 100, resources: 1_000 } };

// --- analysis ---------------------------------------------------------------------------------

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a function lives: a package, a part of the app, node's internals, or V8 itself. */
function areaOf(frame) {
  const { url, functionName } = frame;
  if (!url) return SPECIAL.has(functionName) ? functionName : `(native) ${functionName || 'anonymous'}`;
  if (url.startsWith('node:')) return 'node: internals';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = /\/dist\/(apps\/[^/]+\/src\/[^/]+|libs\/[^/]+\/src\/[^/]+)/.exec(file);
  if (dist) return `app: ${dist[1].replace(/\.js$/, '')}`;
  return path.relative(ROOT, file) || file;
}

function label(frame) {
  const file = frame.url ? frame.url.replace(/^file:\/\//, '') : '';
  let where = '';
  if (file) {
    const nm = file.lastIndexOf('/node_modules/');
    where = nm >= 0 ? file.slice(nm + '/node_modules/'.length) : path.relative(ROOT, file);
    where = `${where}:${frame.lineNumber + 1}`;
  }
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

/**
 * @param from/to  window in ms from the profile's first sample (null = everything)
 * @returns        { total, idle, gc, program, self: [...], inclusive: [...], areas: [...] }
 */
function analyze(profile, from = null, to = null) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const keyOf = (node) => `${node.callFrame.functionName}|${node.callFrame.url}|${node.callFrame.lineNumber}`;

  const counts = new Map(); // node id -> samples in the window
  let t = 0;
  let first = null;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    first ??= t;
    const ms = (t - first) / 1000;
    if ((from !== null && ms < from) || (to !== null && ms > to)) continue;
    counts.set(profile.samples[i], (counts.get(profile.samples[i]) || 0) + 1);
  }

  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  const frames = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, n] of counts) {
    const node = byId.get(id);
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idle += n;
      continue;
    }
    total += n;
    const key = keyOf(node);
    frames.set(key, node.callFrame);
    self.set(key, (self.get(key) || 0) + n);
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) || 0) + n);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(byId.get(cur));
      if (seen.has(k)) continue; // recursion counts once
      seen.add(k);
      frames.set(k, byId.get(cur).callFrame);
      inclusive.set(k, (inclusive.get(k) || 0) + n);
    }
  }
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => ({ function: frames.has(key) ? label(frames.get(key)) : key, samples: n, share: n / total }));
  return {
    samples: total,
    idleSamples: idle,
    busyShare: total / (total + idle || 1),
    self: rank(self),
    inclusive: rank(inclusive).filter((r) => !SPECIAL.has(r.function.split(' ')[0])),
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, n]) => ({ area, samples: n, share: n / total })),
  };
}

function renderAnalysis(title, a) {
  const pct = (x) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const out = [
    `== ${title}`,
    `${a.samples} busy samples, service CPU busy ${pct(a.busyShare).trim()} of the window (shares below are of busy samples)`,
  ];
  out.push('', 'by package / part of the app (self time):');
  for (const r of a.areas.slice(0, 20)) out.push(`  ${pct(r.share)}  ${r.area}`);
  out.push('', `top ${TOP} functions by self time:`);
  for (const r of a.self.slice(0, TOP)) out.push(`  ${pct(r.share)}  ${r.function}`);
  out.push('', `top ${TOP} functions by inclusive time (self + callees):`);
  for (const r of a.inclusive.slice(0, TOP)) out.push(`  ${pct(r.share)}  ${r.function}`);
  return out.join('\n');
}

// --- the run ----------------------------------------------------------------------------------

const state = { dbName: null, children: [], pool: null };

async function profileRun() {
  const warnings = [];
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 17);
  const dir = path.join(__dirname, 'results', `profile-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  const env = await startEnvironment({
    state,
    stamp,
    layout: LAYOUT,
    build: flag('--build'),
    warnings,
    baseline: false,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(INTERVAL)],
  });
  warnings.forEach((w) => log(`warning: ${w}`));
  const all = scenarios({ ...env, connections: CONNECTIONS, duration: SECONDS });
  const windows = [];
  for (const name of SCENARIOS) {
    const scenario = all.find((s) => s.name === name);
    if (!scenario || scenario.prepare) throw new Error(`no profilable scenario named "${name}"`);
    const load = (seconds) =>
      runLoad({
        url: env.serviceUrl,
        token: env.tokens.big,
        connections: CONNECTIONS,
        duration: seconds,
        next: scenario.next(),
        expected: scenario.expected,
      });
    if (WARMUP > 0) await load(WARMUP);
    const from = Date.now() - env.serviceStartedAt;
    const result = await load(SECONDS);
    const to = Date.now() - env.serviceStartedAt;
    log(`${name}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} errors`);
    windows.push({ name, from, to, rps: result.rps, p99: result.p99 });
  }
  // SIGTERM: the service shuts down gracefully and node writes the profile on exit.
  await stop(env.service, 15_000);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the service wrote no .cpuprofile into ${dir}`);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const report = [];
  const summary = { profile: path.relative(ROOT, path.join(dir, file)), intervalMicros: INTERVAL, connections: CONNECTIONS, windows: [] };
  for (const w of windows) {
    // The profile starts as the process does; trim 100 ms at each end for the clock offsets.
    const a = analyze(profile, w.from + 100, w.to - 100);
    report.push(renderAnalysis(`${w.name}: ${SECONDS}s at ${CONNECTIONS} connections, ${Math.round(w.rps)} req/s, p99 ${w.p99} ms`, a));
    summary.windows.push({
      ...w,
      busyShare: a.busyShare,
      areas: a.areas.slice(0, 30),
      self: a.self.slice(0, 50),
      inclusive: a.inclusive.slice(0, 50),
    });
  }
  process.stdout.write(`\n${report.join('\n\n')}\n\nprofile: ${summary.profile} (open in Chrome DevTools > Performance)\n`);
  fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return 0;
}

function analyzeOnly(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const from = option('--from', null);
  const to = option('--to', null);
  const a = analyze(profile, from === null ? null : Number(from), to === null ? null : Number(to));
  process.stdout.write(`${renderAnalysis(path.basename(file), a)}\n`);
  return 0;
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) {
    killAllSync();
    process.exit(130);
  }
  interrupted = true;
  cleanupEnvironment(state, process.env.BENCH_KEEP_DB === '1').finally(() => process.exit(130));
});

const analyzing = option('--analyze', null);
(analyzing ? Promise.resolve().then(() => analyzeOnly(analyzing)) : profileRun())
  .then(async (code) => {
    await cleanupEnvironment(state, process.env.BENCH_KEEP_DB === '1');
    process.exit(code);
  })
  .catch(async (error) => {
    process.stderr.write(`[bench:profile] failed: ${error.stack || error}\n`);
    await cleanupEnvironment(state, process.env.BENCH_KEEP_DB === '1');
    process.exit(1);
  });
