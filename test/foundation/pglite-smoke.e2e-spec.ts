import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, expectError } from '../harness/api-client';
import { awsCredentialBody, registerOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

/**
 * Without DATABASE_URL the service runs on embedded PGlite under DATA_DIR, migrating itself.
 * PGlite is one instance per process (typeorm-pglite keeps a static singleton), so this
 * smoke test has a file, and therefore a Jest worker, of its own.
 */
describe('embedded PGlite: no DATABASE_URL', () => {
  let dataDir: string;
  let t: TestApp;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'entryguard-pglite-'));
    t = await startTestApp({ DATABASE_URL: undefined, DATA_DIR: dataDir, MIGRATIONS_RUN: 'true' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots on PGlite in DATA_DIR, with every migration applied', async () => {
    expect(t.config.databaseUrl).toBeUndefined();
    const pgliteDir = join(dataDir, 'pglite');
    expect(existsSync(pgliteDir)).toBe(true);
    expect(readdirSync(pgliteDir).length).toBeGreaterThan(0);
    const ready = await new ApiClient(t.baseUrl).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok' });
  });

  it('registers, creates a credential and lists it, all in the embedded database', async () => {
    const org = await registerOrganization(t, 'Embedded');
    const me = await org.admin.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ organizationId: org.id, isOrgAdmin: true });

    const body = awsCredentialBody();
    const created = await org.admin.post('/credentials', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: body.name, provider: 'AWS', credentialType: 'ACCESS_KEY' });
    expect(created.text).not.toContain(body.credentialData.secretAccessKey);

    const listed = await org.admin.get('/credentials');
    expect(listed.status).toBe(200);
    expect(listed.body.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
    expect((await org.admin.get(`/credentials/${created.body.id}`)).status).toBe(200);

    // Uniqueness, refusals and the audit trail work on PGlite too.
    expectError(await org.admin.post('/credentials', awsCredentialBody({ name: body.name })), 409, 'CREDENTIAL_NAME_TAKEN');
    const audit = await org.admin.get('/audit-logs');
    expect(audit.status).toBe(200);
    expect(audit.body.content.map((row: { eventType: string }) => row.eventType)).toEqual(
      expect.arrayContaining(['USER_REGISTER', 'CREDENTIAL_CREATE']),
    );

    // None of it reached the shared PostgreSQL test database (t.db points there).
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM organizations WHERE id = $1', [org.id]);
    expect(rows[0].n).toBe(0);
  });
});
