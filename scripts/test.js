#!/usr/bin/env node
// `npm test`: every unit and end-to-end spec. The e2e specs need PostgreSQL (TEST_POSTGRES_URL,
// default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is created per run.
// Ends with one plain summary line ("Tests: N passed, N failed, N skipped") for CI to read.
// Node 24 LTS: npm runs this with the Node that `npm ci` put in node_modules; an older Node stops
// here. Jest runs on this same Node, and so do its workers and the processes tests spawn
// (process.execPath).
require('./require-node');
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dir = mkdtempSync(join(tmpdir(), 'entryguard-jest-'));
const report = join(dir, 'results.json');
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const jest = require.resolve('jest/bin/jest', { paths: [join(__dirname, '..')] });
const args = [jest, '--maxWorkers=2', '--json', `--outputFile=${report}`, ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env });
try {
  const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`Tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
} catch {
  console.log('Tests: no result file was written (the run did not complete)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(result.status ?? 1);
