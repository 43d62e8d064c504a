// Stops early, with what to do, when a script runs on a Node older than the project's (Node 24
// LTS). `npm ci` installs Node 24 into node_modules (the `node` devDependency) and npm scripts run
// that one, so `npm start` / `npm test` work even where the system Node is older.
//
//   require('./require-node');   // first line of a script: exits 1 on an older Node
//
// The built service checks the same in apps/api/src/node-version.ts.
'use strict';

const REQUIRED_MAJOR = 24;

/** The message to print when `version` (process.versions.node) is too old, or undefined. */
function nodeVersionProblem(version = process.versions.node) {
  const major = Number(String(version).split('.')[0]);
  if (major >= REQUIRED_MAJOR) return undefined;
  return (
    `EntryGuard needs Node ${REQUIRED_MAJOR} LTS; you ran Node ${version} (${process.execPath}).\n` +
    `Run it through npm: \`npm ci\` installs Node ${REQUIRED_MAJOR} into node_modules, and \`npm start\` / \`npm test\` use it.\n` +
    `Or install Node ${REQUIRED_MAJOR} yourself (\`nvm install\` reads .nvmrc).\n`
  );
}

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(problem);
  process.exit(1);
}

module.exports = { REQUIRED_MAJOR, nodeVersionProblem };
