import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { auditRowsFor, expectSingleAuditRow, startIsolatedApp, summary, withAuditDelta } from '../resources/isolated-app';

// The e2e project's testTimeout does not reach hooks and tests here: app start, a fresh database, background jobs.
jest.setTimeout(60_000);

/** The trail itself: one row per mutation, refusals as FAILURE, atomic with the change, append-only. */
describe('Audit trail', () => {
  let t: TestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    t = await startIsolatedApp();
    org = await registerOrganization(t);
  });
  afterAll(async () => t.close());

  async function credentialRows(name: string): Promise<Array<Record<string, any>>> {
    return (await t.db.query('SELECT * FROM credentials WHERE organization_id = $1 AND name = $2', [org.id, name])).rows;
  }

  it('every credential mutation leaves exactly one row with its event, actor, target and result', async () => {
    const body = awsCredentialBody();
    const created = await withAuditDelta(t, org.id, () => org.admin.post('/credentials', body));
    expect(created.result.status).toBe(201);
    const id = created.result.body.id;
    const createRow = expectSingleAuditRow(created.added, {
      eventType: 'CREDENTIAL_CREATE',
      actorEmail: org.email,
      resourceId: id,
      result: 'SUCCESS',
      resourceType: 'CREDENTIAL',
    });
    expect(createRow).toMatchObject({
      resource_name: body.name,
      actor_type: 'USER',
      organization_name: org.name,
      details: { name: body.name, provider: 'AWS', credentialType: 'ACCESS_KEY' },
    });
    expect(createRow.request_id).toBe(created.result.headers.get('x-request-id'));

    const renamed = await withAuditDelta(t, org.id, () => org.admin.patch(`/credentials/${id}`, { name: `${body.name} v2` }));
    expect(renamed.result.status).toBe(200);
    const updateRow = expectSingleAuditRow(renamed.added, {
      eventType: 'CREDENTIAL_UPDATE',
      actorEmail: org.email,
      resourceId: id,
      result: 'SUCCESS',
    });
    expect(updateRow.details).toMatchObject({ changedFields: ['name'], previousName: body.name, keysRotated: false });

    const target = (await org.admin.post('/credentials', awsCredentialBody())).body;
    const migrated = await withAuditDelta(t, org.id, () =>
      org.admin.post(`/credentials/${id}/migrate-resources`, { targetCredentialId: target.id }),
    );
    expect(migrated.result.status).toBe(200);
    const migrateRow = expectSingleAuditRow(migrated.added, {
      eventType: 'CREDENTIAL_RESOURCES_MIGRATE',
      actorEmail: org.email,
      resourceId: id,
      result: 'SUCCESS',
    });
    expect(migrateRow.details).toMatchObject({ sourceCredentialId: id, targetCredentialId: target.id, movedResourceCount: 0 });

    const deleted = await withAuditDelta(t, org.id, () => org.admin.delete(`/credentials/${id}`));
    expect(deleted.result.status).toBe(204);
    expectSingleAuditRow(deleted.added, { eventType: 'CREDENTIAL_DELETE', actorEmail: org.email, resourceId: id, result: 'SUCCESS' });
  });

  it('refused writes (400/403/404/409) leave one FAILURE row with the error code, and change nothing', async () => {
    const existing = (await org.admin.post('/credentials', awsCredentialBody())).body;
    await org.admin.post('/resources', awsResourceBody(existing.id));
    const member = await createMember(t, org);
    const snapshot = async () =>
      (await t.db.query('SELECT id, name, updated_at, ciphertext FROM credentials WHERE organization_id = $1 ORDER BY id', [org.id])).rows;
    const before = await snapshot();
    const missing = randomUUID();

    const cases: Array<[string, () => Promise<any>, number, string, string, string | null]> = [
      [
        'duplicate name',
        () => org.admin.post('/credentials', awsCredentialBody({ name: existing.name })),
        409,
        'CREDENTIAL_NAME_TAKEN',
        'CREDENTIAL_CREATE',
        null,
      ],
      [
        'bad credential data',
        () => org.admin.post('/credentials', awsCredentialBody({ credentialData: { accessKeyId: 'lower' } })),
        400,
        'VALIDATION_ERROR',
        'CREDENTIAL_CREATE',
        null,
      ],
      ['delete in use', () => org.admin.delete(`/credentials/${existing.id}`), 400, 'CREDENTIAL_IN_USE', 'CREDENTIAL_DELETE', existing.id],
      [
        'patch missing',
        () => org.admin.patch(`/credentials/${missing}`, { name: 'x' }),
        404,
        'CREDENTIAL_NOT_FOUND',
        'CREDENTIAL_UPDATE',
        missing,
      ],
      ['verify missing', () => org.admin.post(`/credentials/${missing}/verify`), 404, 'CREDENTIAL_NOT_FOUND', 'CREDENTIAL_VERIFY', missing],
      ['member create', () => member.post('/credentials', awsCredentialBody()), 403, 'FORBIDDEN', 'CREDENTIAL_CREATE', null],
      ['member delete', () => member.delete(`/credentials/${existing.id}`), 403, 'FORBIDDEN', 'CREDENTIAL_DELETE', existing.id],
    ];
    for (const [label, action, status, code, eventType, resourceId] of cases) {
      const { result, added } = await withAuditDelta(t, org.id, action);
      expect({ label, status: result.status, error: result.body?.error }).toEqual({ label, status, error: code });
      expectError(result, status, code);
      expect({ label, rows: summary(added) }).toEqual({ label, rows: [[eventType, 'FAILURE', code]] });
      expect(added[0].resource_id).toBe(resourceId);
      expect(added[0].error_message).toBe(result.body.message);
    }
    expect(await snapshot()).toEqual(before);
  });

  // decisions.md §6: refused attempts (a 400 on a mutation) are recorded too.
  // APP BUG: a body Fastify cannot parse is refused before the guard sets principal and route.
  it('a write refused for malformed JSON leaves one FAILURE row', async () => {
    const { result, added } = await withAuditDelta(t, org.id, () =>
      org.admin.post('/credentials', '{"name": ', { 'content-type': 'application/json' }),
    );
    expectError(result, 400, 'VALIDATION_ERROR');
    expect(summary(added)).toEqual([['CREDENTIAL_CREATE', 'FAILURE', 'VALIDATION_ERROR']]);
  });

  it("the row records the client's request id, user agent and address", async () => {
    const requestId = `req-${randomUUID()}`;
    const client = org.admin.withHeaders({ 'x-request-id': requestId, 'user-agent': 'audit-spec/1.0' });
    const { result, added } = await withAuditDelta(t, org.id, () => client.post('/credentials', awsCredentialBody()));
    expect(result.status).toBe(201);
    expect(result.headers.get('x-request-id')).toBe(requestId);
    const row = expectSingleAuditRow(added, {
      eventType: 'CREDENTIAL_CREATE',
      actorEmail: org.email,
      resourceId: result.body.id,
      result: 'SUCCESS',
    });
    expect(row).toMatchObject({ request_id: requestId, user_agent: 'audit-spec/1.0', ip_address: '127.0.0.1' });
  });

  it('reads leave no rows', async () => {
    const id = (await org.admin.post('/credentials', awsCredentialBody())).body.id;
    const { added } = await withAuditDelta(t, org.id, async () => {
      await org.admin.get('/credentials');
      await org.admin.get(`/credentials/${id}`);
      await org.admin.get('/resources');
      await org.admin.get('/audit-logs');
      await org.admin.get(`/credentials/${randomUUID()}`);
    });
    expect(added).toEqual([]);
  });

  describe('when writing the audit row fails', () => {
    const marker = `audit-fail-${randomUUID().slice(0, 8)}`;
    const fn = `test_fail_audit_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    beforeAll(async () => {
      await t.db.query(`
        CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.resource_name LIKE '${marker}%' THEN
            RAISE EXCEPTION 'injected audit failure for %', NEW.resource_name;
          END IF;
          RETURN NEW;
        END $$`);
      await t.db.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    });
    afterAll(async () => {
      await t.db.query(`DROP TRIGGER IF EXISTS ${fn} ON audit_logs`);
      await t.db.query(`DROP FUNCTION IF EXISTS ${fn}()`);
    });

    function expectInternalError(response: { status: number; body: any; text: string }) {
      expectError(response as any, 500, 'INTERNAL_ERROR');
      expect(response.body.message).toBe('An unexpected error occurred');
      expect(response.text).not.toMatch(/injected|audit_logs|INSERT|plpgsql|QueryFailedError|\n\s+at /);
    }

    it('POST /credentials is rolled back: 500 INTERNAL_ERROR, no credential row, no audit row', async () => {
      const name = `${marker}-create`;
      const { result, added } = await withAuditDelta(t, org.id, () => org.admin.post('/credentials', awsCredentialBody({ name })));
      expectInternalError(result);
      expect(await credentialRows(name)).toEqual([]);
      expect(added).toEqual([]);
      const requestId = result.headers.get('x-request-id');
      expect(t.logs.some((line) => line.includes(requestId!) && line.includes('injected audit failure'))).toBe(true);
      expect((await org.admin.get('/credentials')).body.map((c: { name: string }) => c.name)).not.toContain(name);
    });

    it('a rename and a delete are rolled back too: the credential keeps its name and its row', async () => {
      const name = `${marker}-existing`;
      const id = (await org.admin.post('/credentials', awsCredentialBody({ name: `plain-${randomUUID().slice(0, 8)}` }))).body.id;
      const rename = await withAuditDelta(t, org.id, () => org.admin.patch(`/credentials/${id}`, { name }));
      expectInternalError(rename.result);
      expect(rename.added).toEqual([]);
      expect(await credentialRows(name)).toEqual([]);

      await t.db.query('UPDATE credentials SET name = $2 WHERE id = $1', [id, name]);
      const removal = await withAuditDelta(t, org.id, () => org.admin.delete(`/credentials/${id}`));
      expectInternalError(removal.result);
      expect(removal.added).toEqual([]);
      expect((await credentialRows(name)).map((row) => row.id)).toEqual([id]);
    });

    it('POST /resources is rolled back: 500, no resource row', async () => {
      const credentialId = (await org.admin.post('/credentials', awsCredentialBody())).body.id;
      const name = `${marker}-resource`;
      const response = await org.admin.post('/resources', awsResourceBody(credentialId, { name }));
      expectInternalError(response);
      expect((await t.db.query('SELECT count(*)::int AS n FROM resources WHERE name = $1', [name])).rows[0].n).toBe(0);
    });
  });

  describe("append-only, even from the application's own connection", () => {
    async function attempt(sql: string, params: unknown[] = []): Promise<unknown> {
      const client = await t.db.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = '10s'`);
        return await client.query(sql, params).then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    }

    it.each([
      ['UPDATE', `UPDATE audit_logs SET result = 'SUCCESS', error_code = NULL WHERE organization_id = $1`, 'UPDATE'],
      ['DELETE', 'DELETE FROM audit_logs WHERE organization_id = $1', 'DELETE'],
      ['TRUNCATE', 'TRUNCATE audit_logs', 'TRUNCATE'],
    ])('%s on audit_logs fails with the append-only error, and the rows stay', async (_label, sql, op) => {
      const before = await auditRowsFor(t, org.id);
      expect(before.length).toBeGreaterThan(0);
      const error = await attempt(sql, sql.includes('$1') ? [org.id] : []);
      expect(error).toMatchObject({ code: '42501', message: `audit_logs is append-only: ${op} is not allowed` });
      expect(await auditRowsFor(t, org.id)).toEqual(before);
    });
  });

  it('after a credential is deleted, its CREATE and DELETE rows are still listed by resourceId, newest first', async () => {
    const credential = (await org.admin.post('/credentials', awsCredentialBody())).body;
    expect((await org.admin.delete(`/credentials/${credential.id}`)).status).toBe(204);
    const listed = await org.admin.get(`/audit-logs?resourceId=${credential.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.totalElements).toBe(2);
    expect(listed.body.content.map((e: any) => [e.eventType, e.result, e.resourceId, e.resourceName, e.actorEmail])).toEqual([
      ['CREDENTIAL_DELETE', 'SUCCESS', credential.id, credential.name, org.email],
      ['CREDENTIAL_CREATE', 'SUCCESS', credential.id, credential.name, org.email],
    ]);
  });

  it('details never hold secrets: create and rotate, then no column of any row mentions either secret', async () => {
    const first = `first-secret-${randomUUID()}`;
    const second = `rotated-secret-${randomUUID()}`;
    const credential = (
      await org.admin.post(
        '/credentials',
        awsCredentialBody({ credentialData: { accessKeyId: 'AKIAROTATE00000001', secretAccessKey: first } }),
      )
    ).body;
    const rotated = await withAuditDelta(t, org.id, () =>
      org.admin.patch(`/credentials/${credential.id}`, { credentialData: { accessKeyId: 'AKIAROTATE00000001', secretAccessKey: second } }),
    );
    expect(rotated.result.status).toBe(200);
    const row = expectSingleAuditRow(rotated.added, {
      eventType: 'CREDENTIAL_UPDATE',
      actorEmail: org.email,
      resourceId: credential.id,
      result: 'SUCCESS',
    });
    expect(row.details.changedFields).toEqual(['credentialData']);
    expect(row.details.keysRotated).toBe(true);
    // A refused rotation whose body carries a secret must not record it either.
    const third = `refused-secret-${randomUUID()}`;
    expect(
      (await org.admin.patch(`/credentials/${credential.id}`, { credentialData: { accessKeyId: 'bad id', secretAccessKey: third } }))
        .status,
    ).toBe(400);

    for (const secret of [first, second, third]) {
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n FROM audit_logs a WHERE a.organization_id = $1 AND a::text LIKE '%' || $2 || '%'`,
        [org.id, secret],
      );
      expect({ secret, hits: rows[0].n }).toEqual({ secret, hits: 0 });
    }
    const api = await org.admin.get(`/audit-logs?resourceId=${credential.id}`);
    expect(api.body.totalElements).toBe(3);
    for (const secret of [first, second, third]) {
      expect(api.text).not.toContain(secret);
    }
  });
});
