import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const COMMITTED = join(__dirname, 'generated', 'entryguard-api.d.ts');
const SCRIPT = join(ROOT, 'scripts', 'generate-client-types.js');

/**
 * The committed client types are what openapi-typescript makes of the committed openapi.json
 * (which another spec keeps equal to the served document), so the typed client in
 * generated-client.e2e-spec.ts always tests the real contract.
 *
 * openapi-typescript's dependencies are ESM-only (change-case, parse-json, supports-color), so it
 * runs in a plain Node child process, not inside Jest's CommonJS module system.
 */
describe('generated client types (test/clients/generated/entryguard-api.d.ts)', () => {
  it('equal what openapi-typescript generates from openapi.json today', async () => {
    const { stdout } = await run(process.execPath, [SCRIPT, '--stdout'], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
    const committed = readFileSync(COMMITTED, 'utf8');
    if (stdout !== committed) {
      const generated = stdout.split('\n');
      const current = committed.split('\n');
      const line = generated.findIndex((text, i) => text !== current[i]);
      throw new Error(
        `${COMMITTED} is out of date with openapi.json: run \`node scripts/generate-client-types.js\` ` +
          `(npm run client:types) and commit the result.\nFirst difference at line ${line + 1}:\n` +
          `  committed: ${JSON.stringify(current[line])}\n  generated: ${JSON.stringify(generated[line])}`,
      );
    }
    expect(stdout).toContain('export interface paths');
    expect(stdout).toContain('deleteCredential: {');
  });

  it('are byte for byte what the openapi-typescript CLI writes with default options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entryguard-client-types-'));
    try {
      const out = join(dir, 'cli.d.ts');
      const cli = join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
      await run(process.execPath, [cli, 'openapi.json', '-o', out], { cwd: ROOT });
      expect(readFileSync(out, 'utf8') === readFileSync(COMMITTED, 'utf8')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
