import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { expectSingleAuditRow, gcpCredentialBody, ISO_UTC, RESOURCE_KEYS, startIsolatedApp, withAuditDelta } from './isolated-app';

// The e2e project's testTimeout does not reach hooks and tests here: app start, a fresh database, background jobs.
jest.setTimeout(60_000);

/** Create, list, get, patch, delete: responses, database rows and exactly one audit row each. */
describe('Resources: CRUD', () => {
  let t: TestApp;
  let org: TestOrganization;
  let credential: { id: string; name: string };

  beforeAll(async () => {
    t = await startIsolatedApp();
    org = await registerOrganization(t);
    credential = (await org.admin.post('/credentials', awsCredentialBody())).body;
  });
  afterAll(async () => t.close());

  async function dbRow(id: string): Promise<Record<string, any> | undefined> {
    const { rows } = await t.db.query('SELECT * FROM resources WHERE id = $1', [id]);
    return rows[0];
  }

  async function createResource(overrides: Record<string, unknown> = {}, credentialId = credential.id) {
    const response = await org.admin.post('/resources', awsResourceBody(credentialId, overrides));
    expect(response.status).toBe(201);
    return response.body;
  }

  it('POST /resources: 201, Location, exactly the documented keys, the row in the database and one RESOURCE_CREATE row', async () => {
    const body = awsResourceBody(credential.id, { config: { protocol: 'tcp', ports: [22, 443] } });
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post('/resources', body));

    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/api/v1/resources/${response.body.id}`);
    expect(Object.keys(response.body).sort()).toEqual(RESOURCE_KEYS);
    expect(response.body).toMatchObject({
      name: body.name,
      credentialId: credential.id,
      credentialName: credential.name,
      provider: 'AWS',
      resourceType: 'SECURITY_GROUP',
      resourceIdentifier: body.resourceIdentifier,
      region: 'eu-west-1',
      config: { protocol: 'tcp', ports: [22, 443] },
      isActive: false,
      lastVerifiedAt: null,
      verificationError: null,
    });
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.createdAt).toMatch(ISO_UTC);
    expect(response.body.updatedAt).toMatch(ISO_UTC);

    const row = await dbRow(response.body.id);
    expect(row).toMatchObject({
      organization_id: org.id,
      credential_id: credential.id,
      name: body.name,
      provider: 'AWS',
      resource_type: 'SECURITY_GROUP',
      resource_identifier: body.resourceIdentifier,
      region: 'eu-west-1',
      config: { protocol: 'tcp', ports: [22, 443] },
      is_active: false,
    });

    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_CREATE',
      actorEmail: org.email,
      resourceId: response.body.id,
      result: 'SUCCESS',
      resourceType: 'RESOURCE',
    });
    expect(audit.resource_name).toBe(body.name);
    expect(audit.actor_type).toBe('USER');
    expect(audit.details).toMatchObject({ credentialId: credential.id, resourceIdentifier: body.resourceIdentifier, region: 'eu-west-1' });
  });

  it('GET /resources/{id}: 200 with the same representation as the create answered', async () => {
    const created = await createResource();
    const response = await org.admin.get(`/resources/${created.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('GET /resources: newest first, filtered by credentialId and by provider', async () => {
    const fresh = await registerOrganization(t);
    const awsA = (await fresh.admin.post('/credentials', awsCredentialBody())).body;
    const awsB = (await fresh.admin.post('/credentials', awsCredentialBody())).body;
    const gcp = (await fresh.admin.post('/credentials', gcpCredentialBody())).body;
    const created: string[] = [];
    for (const credentialId of [awsA.id, awsB.id, awsA.id]) {
      const response = await fresh.admin.post('/resources', awsResourceBody(credentialId));
      expect(response.status).toBe(201);
      created.push(response.body.id);
    }
    const gcpResource = await fresh.admin.post('/resources', {
      name: 'GCP rule',
      credentialId: gcp.id,
      provider: 'GCP',
      resourceType: 'FIREWALL_RULE',
      resourceIdentifier: `allow-ssh-${randomUUID().slice(0, 8)}`,
      config: { protocol: 'tcp', port: 22 },
    });
    expect(gcpResource.status).toBe(201);
    expect(gcpResource.body).toMatchObject({ provider: 'GCP', resourceType: 'FIREWALL_RULE', region: null, credentialName: gcp.name });

    const all = await fresh.admin.get('/resources');
    expect(all.status).toBe(200);
    expect(all.body.map((r: { id: string }) => r.id)).toEqual([gcpResource.body.id, ...[...created].reverse()]);
    all.body.forEach((r: object) => expect(Object.keys(r).sort()).toEqual(RESOURCE_KEYS));

    const byA = await fresh.admin.get(`/resources?credentialId=${awsA.id}`);
    expect(byA.body.map((r: { id: string }) => r.id)).toEqual([created[2], created[0]]);
    const byB = await fresh.admin.get(`/resources?credentialId=${awsB.id}`);
    expect(byB.body.map((r: { id: string }) => r.id)).toEqual([created[1]]);
    const aws = await fresh.admin.get('/resources?provider=AWS');
    expect(aws.body.map((r: { id: string }) => r.id)).toEqual([...created].reverse());
    const gcpOnly = await fresh.admin.get('/resources?provider=GCP');
    expect(gcpOnly.body.map((r: { id: string }) => r.id)).toEqual([gcpResource.body.id]);
    const both = await fresh.admin.get(`/resources?provider=GCP&credentialId=${awsA.id}`);
    expect(both.body).toEqual([]);
    expect((await fresh.admin.get(`/resources?credentialId=${randomUUID()}`)).body).toEqual([]);
  });

  it('GET /resources: a bad filter is 400 VALIDATION_ERROR naming it', async () => {
    const badProvider = await org.admin.get('/resources?provider=ORACLE');
    expectError(badProvider, 400, 'VALIDATION_ERROR');
    expect(badProvider.body.details.map((d: { field: string }) => d.field)).toContain('provider');
    const badCredential = await org.admin.get('/resources?credentialId=abc');
    expectError(badCredential, 400, 'VALIDATION_ERROR');
    expect(badCredential.body.details.map((d: { field: string }) => d.field)).toContain('credentialId');
  });

  it('PATCH /resources/{id}: renames and changes config; the database and one RESOURCE_UPDATE row follow', async () => {
    const created = await createResource();
    const { result: response, added } = await withAuditDelta(t, org.id, () =>
      org.admin.patch(`/resources/${created.id}`, { name: 'Renamed bastion', config: { protocol: 'udp', port: 1194 } }),
    );
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(RESOURCE_KEYS);
    expect(response.body).toMatchObject({
      id: created.id,
      name: 'Renamed bastion',
      config: { protocol: 'udp', port: 1194 },
      isActive: false,
    });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(await dbRow(created.id)).toMatchObject({ name: 'Renamed bastion', config: { protocol: 'udp', port: 1194 } });
    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_UPDATE',
      actorEmail: org.email,
      resourceId: created.id,
      result: 'SUCCESS',
    });
    expect(audit.resource_name).toBe('Renamed bastion');
    expect(audit.details.changedFields).toEqual(['name', 'config']);
    expect(audit.details.previousName).toBe(created.name);
  });

  it('PATCH isActive toggles by hand', async () => {
    const created = await createResource();
    const response = await org.admin.patch(`/resources/${created.id}`, { isActive: true });
    expect(response.status).toBe(200);
    expect(response.body.isActive).toBe(true);
    expect((await dbRow(created.id))!.is_active).toBe(true);
  });

  it('PATCH moves a resource to another credential of the same organization and provider', async () => {
    const created = await createResource();
    const target = (await org.admin.post('/credentials', awsCredentialBody())).body;
    const { result: response, added } = await withAuditDelta(t, org.id, () =>
      org.admin.patch(`/resources/${created.id}`, { credentialId: target.id }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ credentialId: target.id, credentialName: target.name, isActive: false, lastVerifiedAt: null });
    expect((await dbRow(created.id))!.credential_id).toBe(target.id);
    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_UPDATE',
      actorEmail: org.email,
      resourceId: created.id,
      result: 'SUCCESS',
    });
    expect(audit.details).toMatchObject({ changedFields: ['credentialId'], previousCredentialId: credential.id, credentialId: target.id });
    const moved = await org.admin.get(`/resources?credentialId=${target.id}`);
    expect(moved.body.map((r: { id: string }) => r.id)).toEqual([created.id]);
  });

  it("PATCH refusals: another provider's credential (400), a missing credential (404), an empty body (400); each one FAILURE row and no change", async () => {
    const created = await createResource();
    const before = await dbRow(created.id);
    const gcp = (await org.admin.post('/credentials', gcpCredentialBody())).body;
    const missing = randomUUID();
    const cases: Array<[Record<string, unknown>, number, string, string | null]> = [
      [{ credentialId: gcp.id }, 400, 'VALIDATION_ERROR', 'credentialId'],
      [{ credentialId: missing }, 404, 'CREDENTIAL_NOT_FOUND', null],
      [{}, 400, 'VALIDATION_ERROR', 'body'],
    ];
    for (const [body, status, code, field] of cases) {
      const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.patch(`/resources/${created.id}`, body));
      expectError(response, status, code);
      if (field) {
        expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      } else {
        expect(response.body.message).toBe(`Credential with ID ${missing} not found`);
      }
      expectSingleAuditRow(added, {
        eventType: 'RESOURCE_UPDATE',
        actorEmail: org.email,
        resourceId: created.id,
        result: 'FAILURE',
        errorCode: code,
      });
    }
    expect(await dbRow(created.id)).toEqual(before);
  });

  it('DELETE /resources/{id}: 204 with no body, the row is gone, one RESOURCE_DELETE row; again: 404 and a FAILURE row', async () => {
    const created = await createResource();
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.delete(`/resources/${created.id}`));
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(await dbRow(created.id)).toBeUndefined();
    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_DELETE',
      actorEmail: org.email,
      resourceId: created.id,
      result: 'SUCCESS',
    });
    expect(audit.resource_name).toBe(created.name);

    const got = await org.admin.get(`/resources/${created.id}`);
    expectError(got, 404, 'RESOURCE_NOT_FOUND');
    expect(got.body.message).toBe(`Resource with ID ${created.id} not found`);
    const again = await withAuditDelta(t, org.id, () => org.admin.delete(`/resources/${created.id}`));
    expectError(again.result, 404, 'RESOURCE_NOT_FOUND');
    expectSingleAuditRow(again.added, {
      eventType: 'RESOURCE_DELETE',
      actorEmail: org.email,
      resourceId: created.id,
      result: 'FAILURE',
      errorCode: 'RESOURCE_NOT_FOUND',
    });
  });

  it('a duplicate provider+identifier+region is 409 RESOURCE_ALREADY_EXISTS (POST and PATCH); another region or organization is fine', async () => {
    const first = await createResource();
    const count = async () =>
      (await t.db.query('SELECT count(*)::int AS n FROM resources WHERE resource_identifier = $1', [first.resourceIdentifier])).rows[0].n;

    const { result: duplicate, added } = await withAuditDelta(t, org.id, () =>
      org.admin.post('/resources', awsResourceBody(credential.id, { resourceIdentifier: first.resourceIdentifier })),
    );
    expectError(duplicate, 409, 'RESOURCE_ALREADY_EXISTS');
    expectSingleAuditRow(added, {
      eventType: 'RESOURCE_CREATE',
      actorEmail: org.email,
      resourceId: null,
      result: 'FAILURE',
      errorCode: 'RESOURCE_ALREADY_EXISTS',
    });
    expect(await count()).toBe(1);

    const otherCredential = (await org.admin.post('/credentials', awsCredentialBody())).body;
    const viaOtherCredential = await org.admin.post(
      '/resources',
      awsResourceBody(otherCredential.id, { resourceIdentifier: first.resourceIdentifier }),
    );
    expectError(viaOtherCredential, 409, 'RESOURCE_ALREADY_EXISTS');

    const otherRegion = await createResource({ resourceIdentifier: first.resourceIdentifier, region: 'us-east-1' });
    expect(otherRegion.region).toBe('us-east-1');

    const other = await registerOrganization(t, 'Other');
    const foreignCredential = (await other.admin.post('/credentials', awsCredentialBody())).body;
    const elsewhere = await other.admin.post(
      '/resources',
      awsResourceBody(foreignCredential.id, { resourceIdentifier: first.resourceIdentifier }),
    );
    expect(elsewhere.status).toBe(201);
    expect(await count()).toBe(3);

    const gcp = (await org.admin.post('/credentials', gcpCredentialBody())).body;
    const rule = {
      name: 'GCP rule',
      credentialId: gcp.id,
      provider: 'GCP',
      resourceType: 'FIREWALL_RULE',
      resourceIdentifier: `allow-${randomUUID().slice(0, 8)}`,
    };
    expect((await org.admin.post('/resources', rule)).status).toBe(201);
    expectError(await org.admin.post('/resources', { ...rule, name: 'GCP rule again' }), 409, 'RESOURCE_ALREADY_EXISTS');

    const third = await createResource();
    const patched = await org.admin.patch(`/resources/${third.id}`, { resourceIdentifier: first.resourceIdentifier });
    expectError(patched, 409, 'RESOURCE_ALREADY_EXISTS');
    expect((await dbRow(third.id))!.resource_identifier).toBe(third.resourceIdentifier);
  });
});
