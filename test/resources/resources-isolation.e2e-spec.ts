import { randomUUID } from 'node:crypto';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { auditRowsFor, expectSingleAuditRow, startIsolatedApp, withAuditDelta } from './isolated-app';

// The e2e project's testTimeout does not reach hooks and tests here: app start, a fresh database, background jobs.
jest.setTimeout(60_000);

/** The body of a 404 with the id and the timestamp taken out: a foreign id must read like a random one. */
function shape(response: ApiResponse, id: string): string {
  return response.text
    .split(id)
    .join('<ID>')
    .replace(/"timestamp":"[^"]+"/, '"timestamp":"<T>"');
}

describe('Resources: tenant isolation and roles', () => {
  let t: TestApp;
  let a: TestOrganization;
  let b: TestOrganization;
  let aCredential: { id: string };
  let bCredential: { id: string };
  let aResource: Record<string, any>;
  let bResource: Record<string, any>;

  beforeAll(async () => {
    t = await startIsolatedApp();
    [a, b] = [await registerOrganization(t, 'Alpha'), await registerOrganization(t, 'Beta')];
    aCredential = (await a.admin.post('/credentials', awsCredentialBody())).body;
    bCredential = (await b.admin.post('/credentials', awsCredentialBody())).body;
    aResource = (await a.admin.post('/resources', awsResourceBody(aCredential.id))).body;
    bResource = (await b.admin.post('/resources', awsResourceBody(bCredential.id))).body;
  });
  afterAll(async () => t.close());

  async function resourceRow(id: string): Promise<Record<string, any>> {
    return (await t.db.query('SELECT * FROM resources WHERE id = $1', [id])).rows[0];
  }

  const routes: Array<[string, string, (id: string) => string, unknown]> = [
    ['GET /resources/{id}', 'GET', (id) => `/resources/${id}`, undefined],
    ['PATCH /resources/{id}', 'PATCH', (id) => `/resources/${id}`, { name: 'taken over' }],
    ['DELETE /resources/{id}', 'DELETE', (id) => `/resources/${id}`, undefined],
    ['POST /resources/{id}/verify', 'POST', (id) => `/resources/${id}/verify`, undefined],
  ];

  it.each(routes)(
    "%s with another organization's resource id: 404 RESOURCE_NOT_FOUND, the same body as a random UUID",
    async (_label, method, path, body) => {
      const before = await resourceRow(bResource.id);
      const bAuditBefore = (await auditRowsFor(t, b.id)).length;
      const random = randomUUID();
      const { result: foreign, added } = await withAuditDelta(t, a.id, () => a.admin.request(method, path(bResource.id), body));
      const unknown = await a.admin.request(method, path(random), body);
      expectError(foreign, 404, 'RESOURCE_NOT_FOUND');
      expectError(unknown, 404, 'RESOURCE_NOT_FOUND');
      expect(foreign.body.message).toBe(`Resource with ID ${bResource.id} not found`);
      expect(shape(foreign, bResource.id)).toBe(shape(unknown, random));
      expect(await resourceRow(bResource.id)).toEqual(before);
      expect((await auditRowsFor(t, b.id)).length).toBe(bAuditBefore);
      if (method === 'GET') {
        expect(added).toEqual([]);
      } else {
        const eventType = method === 'PATCH' ? 'RESOURCE_UPDATE' : method === 'DELETE' ? 'RESOURCE_DELETE' : 'RESOURCE_VERIFY';
        expectSingleAuditRow(added, {
          eventType,
          actorEmail: a.email,
          resourceId: bResource.id,
          result: 'FAILURE',
          errorCode: 'RESOURCE_NOT_FOUND',
        });
      }
      expect((await b.admin.get(`/resources/${bResource.id}`)).status).toBe(200);
    },
  );

  it("GET /resources never lists another organization's resources, even filtered by its credential", async () => {
    const list = await a.admin.get('/resources');
    expect(list.body.map((r: { id: string }) => r.id)).toEqual([aResource.id]);
    expect((await a.admin.get(`/resources?credentialId=${bCredential.id}`)).body).toEqual([]);
    expect((await a.admin.get('/resources?provider=AWS')).body.map((r: { id: string }) => r.id)).toEqual([aResource.id]);
  });

  it("POST /resources with another organization's credentialId: 404 CREDENTIAL_NOT_FOUND like a random id, nothing stored", async () => {
    const random = randomUUID();
    const count = async () => (await t.db.query('SELECT count(*)::int AS n FROM resources')).rows[0].n;
    const before = await count();
    const { result: foreign, added } = await withAuditDelta(t, a.id, () => a.admin.post('/resources', awsResourceBody(bCredential.id)));
    const unknown = await a.admin.post('/resources', awsResourceBody(random));
    expectError(foreign, 404, 'CREDENTIAL_NOT_FOUND');
    expectError(unknown, 404, 'CREDENTIAL_NOT_FOUND');
    expect(foreign.body.message).toBe(`Credential with ID ${bCredential.id} not found`);
    expect(shape(foreign, bCredential.id)).toBe(shape(unknown, random));
    expect(await count()).toBe(before);
    expectSingleAuditRow(added, {
      eventType: 'RESOURCE_CREATE',
      actorEmail: a.email,
      resourceId: null,
      result: 'FAILURE',
      errorCode: 'CREDENTIAL_NOT_FOUND',
    });
  });

  it("PATCH with another organization's credentialId: 404 CREDENTIAL_NOT_FOUND like a random id, and the row still points at its own credential", async () => {
    const before = await resourceRow(aResource.id);
    const random = randomUUID();
    const foreign = await a.admin.patch(`/resources/${aResource.id}`, { credentialId: bCredential.id });
    const unknown = await a.admin.patch(`/resources/${aResource.id}`, { credentialId: random });
    expectError(foreign, 404, 'CREDENTIAL_NOT_FOUND');
    expectError(unknown, 404, 'CREDENTIAL_NOT_FOUND');
    expect(shape(foreign, bCredential.id)).toBe(shape(unknown, random));
    const combined = await a.admin.patch(`/resources/${aResource.id}`, { credentialId: bCredential.id, name: 'moved', isActive: true });
    expectError(combined, 404, 'CREDENTIAL_NOT_FOUND');
    expect(await resourceRow(aResource.id)).toEqual(before);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM resources r JOIN credentials c ON c.id = r.credential_id WHERE r.organization_id <> c.organization_id`,
    );
    expect(rows[0].n).toBe(0);
  });

  it("the database itself refuses a resource row pointing at another organization's credential", async () => {
    const client = await t.db.connect();
    try {
      await client.query('BEGIN');
      await expect(
        client.query('UPDATE resources SET credential_id = $1 WHERE id = $2', [bCredential.id, aResource.id]),
      ).rejects.toMatchObject({
        code: '23503',
        constraint: 'fk_resources_credential',
      });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    expect((await resourceRow(aResource.id)).credential_id).toBe(aCredential.id);
  });

  it("migrate-resources to another organization's credential: 404 CREDENTIAL_NOT_FOUND and nothing moves", async () => {
    const response = await a.admin.post(`/credentials/${aCredential.id}/migrate-resources`, { targetCredentialId: bCredential.id });
    expectError(response, 404, 'CREDENTIAL_NOT_FOUND');
    expect((await resourceRow(aResource.id)).credential_id).toBe(aCredential.id);
  });

  it('a move racing the deletion of its target credential never leaves an orphan', async () => {
    for (let i = 0; i < 5; i++) {
      const target = (await a.admin.post('/credentials', awsCredentialBody())).body;
      const [moved, deleted] = await Promise.all([
        a.admin.patch(`/resources/${aResource.id}`, { credentialId: target.id }),
        a.admin.delete(`/credentials/${target.id}`),
      ]);
      const row = await resourceRow(aResource.id);
      const credentialExists = (await t.db.query('SELECT count(*)::int AS n FROM credentials WHERE id = $1', [row.credential_id])).rows[0]
        .n;
      expect(credentialExists).toBe(1);
      if (moved.status === 200) {
        expectError(deleted, 400, 'CREDENTIAL_IN_USE');
        expect(row.credential_id).toBe(target.id);
        expect((await a.admin.patch(`/resources/${aResource.id}`, { credentialId: aCredential.id })).status).toBe(200);
      } else {
        expect(deleted.status).toBe(204);
        expectError(moved, 404, 'CREDENTIAL_NOT_FOUND');
        expect(row.credential_id).toBe(aCredential.id);
      }
    }
  });

  describe('a member (USER role)', () => {
    let member: ApiClient;
    let memberEmail: string;
    beforeAll(async () => {
      member = await createMember(t, a);
      memberEmail = (await t.db.query(`SELECT email FROM users WHERE organization_id = $1 AND role = 'USER'`, [a.id])).rows[0].email;
    });

    const memberRoutes: Array<[string, string, () => unknown, string | null]> = [
      ['GET', '/resources', () => undefined, null],
      ['GET', '/resources/:own', () => undefined, null],
      ['GET', '/resources/:foreign', () => undefined, null],
      ['POST', '/resources', () => awsResourceBody(aCredential.id), 'RESOURCE_CREATE'],
      ['POST', '/resources', () => ({ junk: true }), 'RESOURCE_CREATE'],
      ['PATCH', '/resources/:own', () => ({ name: 'member was here' }), 'RESOURCE_UPDATE'],
      ['PATCH', '/resources/:foreign', () => ({ name: 'member was here' }), 'RESOURCE_UPDATE'],
      ['DELETE', '/resources/:own', () => undefined, 'RESOURCE_DELETE'],
      ['DELETE', '/resources/:random', () => undefined, 'RESOURCE_DELETE'],
      ['POST', '/resources/:own/verify', () => undefined, 'RESOURCE_VERIFY'],
    ];

    it.each(memberRoutes)(
      '%s %s: 403 FORBIDDEN, nothing changes, a write leaves one FAILURE row',
      async (method, template, body, eventType) => {
        const id = template.includes(':own') ? aResource.id : template.includes(':foreign') ? bResource.id : randomUUID();
        const path = template.replace(/:(own|foreign|random)/, id);
        const before = await resourceRow(aResource.id);
        const { result: response, added } = await withAuditDelta(t, a.id, () => member.request(method, path, body()));
        expectError(response, 403, 'FORBIDDEN');
        expect(await resourceRow(aResource.id)).toEqual(before);
        expect((await t.db.query('SELECT count(*)::int AS n FROM resources WHERE organization_id = $1', [a.id])).rows[0].n).toBe(1);
        if (eventType) {
          const row = expectSingleAuditRow(added, {
            eventType,
            actorEmail: memberEmail,
            resourceId: template.includes(':') ? id : null,
            result: 'FAILURE',
            errorCode: 'FORBIDDEN',
          });
          expect(row.actor_type).toBe('USER');
        } else {
          expect(added).toEqual([]);
        }
      },
    );

    it('without a token every resources route is 401', async () => {
      for (const [method, path] of [
        ['GET', '/resources'],
        ['GET', `/resources/${aResource.id}`],
        ['POST', '/resources'],
        ['PATCH', `/resources/${aResource.id}`],
        ['DELETE', `/resources/${aResource.id}`],
        ['POST', `/resources/${aResource.id}/verify`],
      ]) {
        expectError(await a.anonymous.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {}), 401, 'UNAUTHORIZED');
      }
      expect((await resourceRow(aResource.id)).name).toBe(aResource.name);
    });
  });
});
