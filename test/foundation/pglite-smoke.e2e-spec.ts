import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, expectError } from '../harness/api-client';
import { awsCredentialBody, registerOrganization } from '../harness/factories';
import { DataSource } from 'typeorm';
import { ExpiredIdempotencyKeysSweep } from '@app/access';
import { FinishedJobsSweep } from '@app/jobs';
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

  it("runs the engine's outcome functions (plpgsql): a rule's grant applied, its session settled ACTIVE", async () => {
    const org = await registerOrganization(t, 'Embedded engine');
    const credential = await org.admin.post('/credentials', awsCredentialBody());
    expect(credential.status).toBe(201);
    const db = t.app.get(DataSource);
    const [resource] = await db.query(
      `INSERT INTO resources (id, organization_id, credential_id, name, provider, resource_type, resource_identifier, region, is_active)
       VALUES (gen_random_uuid(), $1, $2, 'sg', 'AWS', 'SECURITY_GROUP', 'sg-0123456789abcdef0', 'eu-west-1', true) RETURNING id`,
      [org.id, credential.body.id],
    );
    const [grant] = await db.query(
      `INSERT INTO access_grants (organization_id, resource_id, cidr, status, description, pending_since, next_attempt_at)
       VALUES ($1, $2, '192.0.2.7/32', 'PENDING', 'EntryGuard test', now(), now()) RETURNING id`,
      [org.id, resource.id],
    );
    const [session] = await db.query(
      `INSERT INTO sessions (organization_id, user_id, user_email, ipv4_address, status, started_at, expires_at)
       VALUES ($1, gen_random_uuid(), 'embedded@example.test', '192.0.2.7', 'PENDING', now(), now() + interval '1 hour') RETURNING id`,
      [org.id],
    );
    await db.query(
      `INSERT INTO session_rules (organization_id, session_id, resource_id, resource_name, ip_version, ip_address, status, grant_id, holds)
       VALUES ($1, $2, $3, 'sg', 4, '192.0.2.7', 'PENDING', $4, true)`,
      [org.id, session.id, resource.id, grant.id],
    );

    const [{ unsettled }] = await db.query(`SELECT engine_grants_applied($1::uuid[]) AS unsettled`, [[grant.id]]);
    expect(unsettled).toEqual([]);
    const [after] = await db.query(
      `SELECT s.status, r.status AS rule, g.status AS grant FROM sessions s JOIN session_rules r ON r.session_id = s.id
       JOIN access_grants g ON g.id = r.grant_id WHERE s.id = $1`,
      [session.id],
    );
    expect(after).toEqual({ status: 'ACTIVE', rule: 'APPLIED', grant: 'APPLIED' });
  });
  it('sweeps finished jobs and idempotency keys past their retention there too', async () => {
    const org = await registerOrganization(t, 'Embedded sweeps');
    const db = t.app.get(DataSource);
    await db.query(
      `INSERT INTO jobs (id, queue, status, max_attempts, finished_at) VALUES
         (gen_random_uuid(), 'embedded-old', 'DONE', 1, now() - interval '30 days'),
         (gen_random_uuid(), 'embedded-new', 'DONE', 1, now())`,
    );
    await db.query(
      `INSERT INTO idempotency_keys (organization_id, user_id, operation, key, request_hash, created_at) VALUES
         ($1, gen_random_uuid(), 'POST /sessions', 'old', repeat('0', 64), now() - interval '2 days'),
         ($1, gen_random_uuid(), 'POST /sessions', 'new', repeat('0', 64), now())`,
      [org.id],
    );
    expect(await t.app.get(FinishedJobsSweep).runOnce()).toBe(1);
    expect(await t.app.get(ExpiredIdempotencyKeysSweep).runOnce()).toBe(1);
    expect(await db.query(`SELECT queue FROM jobs WHERE queue LIKE 'embedded-%'`)).toEqual([{ queue: 'embedded-new' }]);
    expect(await db.query(`SELECT key FROM idempotency_keys WHERE organization_id = $1`, [org.id])).toEqual([{ key: 'new' }]);
  });
});
