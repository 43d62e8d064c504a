/**
 * Imported first by main.ts, before anything else loads: on a Node older than 24 LTS the service
 * stops at once with what to do, instead of failing later in some dependency. The npm scripts
 * check the same in scripts/require-node.js.
 */
export const REQUIRED_NODE_MAJOR = 24;

/** The message to print when `version` (process.versions.node) is too old, or undefined. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= REQUIRED_NODE_MAJOR) {
    return undefined;
  }
  return (
    `EntryGuard needs Node ${REQUIRED_NODE_MAJOR} LTS; you ran Node ${version} (${process.execPath}).\n` +
    `Run it through npm: \`npm ci\` installs Node ${REQUIRED_NODE_MAJOR} into node_modules, and \`npm start\` / \`npm run start:prod\` use it.\n` +
    `Or install Node ${REQUIRED_NODE_MAJOR} yourself (\`nvm install\` reads .nvmrc).\n`
  );
}

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(problem);
  process.exit(1);
}
