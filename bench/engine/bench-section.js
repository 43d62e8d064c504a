'use strict';
// The engine scenario as a part of `npm run bench` (run last, after the other scenarios), or alone
// (BENCH_ONLY=engine, npm run bench:engine): runs it, always cleans up its processes and database,
// and turns its result into the JSON kept in bench/results/.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { ROOT } = require('../lib/app-code');
const { log, ensureBuild } = require('../lib/setup');
const { runEngineScenario, cleanupEngine } = require('./scenario');
const { renderEngine } = require('./engine-report');

/** @param options { smoke, stamp, warnings, keepDb } -> the judged result, or null (a warning says why). */
async function engineSection(options, interrupted = () => false) {
  if (interrupted()) throw new Error('interrupted');
  log('engine scenario');
  try {
    return await runEngineScenario({ smoke: options.smoke, stamp: options.stamp, log, warnings: options.warnings });
  } catch (error) {
    options.warnings.push(`engine could not run: ${error.stack || error.message}`);
    return null;
  } finally {
    await cleanupEngine(options.keepDb, log);
  }
}

/** BENCH_ONLY=engine: no seeded data set, no baseline; the engine scenario alone. Returns the exit code. */
async function engineOnly(startedAt, options) {
  const { warnings } = options;
  if (process.env.BENCH_ENGINE_SOURCE !== '1') ensureBuild(options.build, warnings);
  const engine = await engineSection(options);
  process.stdout.write(`\n${engine ? renderEngine(engine) : 'engine scenario did not run'}\n`);
  for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
  const resultsDir = path.join(__dirname, '..', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${options.stamp}-engine.json`);
  const body = {
    startedAt,
    finishedAt: new Date(),
    mode: options.smoke ? 'smoke' : 'full',
    cpus: os.cpus().length,
    engine: engineJson(engine),
    warnings,
  };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  log(`results written to ${path.relative(ROOT, file)}`);
  return options.strict && engine?.verdict !== 'PASS' ? 1 : 0;
}

/** The result without the raw samples (thousands of numbers), with the answers counted by route and status. */
function engineJson(engine) {
  if (!engine) return null;
  const { tally, toActive, toApplied, postMs, stopAnswerMs, stopLag, expiryLag, expiryNoticed, ...rest } = engine;
  return { ...rest, answers: Object.fromEntries(tally.sorted()), serverErrors: tally.serverErrors };
}

module.exports = { engineSection, engineOnly, engineJson, cleanupEngine };
