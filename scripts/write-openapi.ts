import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../apps/api/src/config/app-config';
import { createApp } from '../apps/api/src/create-app';
import { buildOpenApiDocument } from '../apps/api/src/openapi';

/** `npm run openapi`: writes the served OpenAPI document to openapi.json (a test keeps them equal). */
async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'entryguard-openapi-'));
  const { config } = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: 'openapi-writer-secret-not-used-for-anything-real',
    CREDENTIAL_ENCRYPTION_KEYS: `1:${Buffer.alloc(32).toString('base64')}`,
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
  const app = await createApp(config);
  try {
    const document = buildOpenApiDocument(app);
    // npm runs scripts from the package root.
    writeFileSync(join(process.cwd(), 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`openapi.json written (${Object.keys(document.paths).length} paths)\n`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
