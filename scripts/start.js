#!/usr/bin/env node
// `npm start`: builds when the sources are newer than the build, then serves. With no
// DATABASE_URL the service runs on the embedded PGlite database under DATA_DIR (./data).
// Node 24 LTS: npm runs this with the Node that `npm ci` put in node_modules; an older Node stops here.
require('./require-node');
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist/apps/api/src/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (name.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(entry) || ['apps', 'libs'].some((dir) => newestSource(join(root, dir)) > statSync(entry).mtimeMs);
if (stale) {
  console.log('Building the service (sources changed since the last build)...');
  // The Nest CLI on this same Node (not whichever `node` is first on PATH).
  const nest = require.resolve('@nestjs/cli/bin/nest.js', { paths: [root] });
  const build = spawnSync(process.execPath, [nest, 'build', 'api'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const child = spawn(process.execPath, [entry], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
