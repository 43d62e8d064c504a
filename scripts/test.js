#!/usr/bin/env node
// `npm test`: every unit and end-to-end spec. The e2e specs need PostgreSQL (TEST_POSTGRES_URL,
// default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is created per run.
const { spawnSync } = require('node:child_process');

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const args = ['jest', '--maxWorkers=2', ...process.argv.slice(2)];
const result = spawnSync('npx', args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);
