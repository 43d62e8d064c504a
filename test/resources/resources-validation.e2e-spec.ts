import { randomUUID } from 'node:crypto';
import { ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { expectSingleAuditRow, gcpCredentialBody, startIsolatedApp, withAuditDelta } from './isolated-app';

// The e2e project's testTimeout does not reach hooks and tests here: app start, a fresh database, background jobs.
jest.setTimeout(60_000);

function fields(response: ApiResponse): string[] {
  return (response.body.details ?? []).map((d: { field: string }) => d.field);
}

/** Every refusal is 400 VALIDATION_ERROR whose details name the field, with nothing stored. */
describe('Resources: validation', () => {
  let t: TestApp;
  let org: TestOrganization;
  let credentialId: string;
  let gcpCredentialId: string;

  beforeAll(async () => {
    t = await startIsolatedApp();
    org = await registerOrganization(t);
    credentialId = (await org.admin.post('/credentials', awsCredentialBody())).body.id;
    gcpCredentialId = (await org.admin.post('/credentials', gcpCredentialBody())).body.id;
  });
  afterAll(async () => t.close());

  async function resourceCount(): Promise<number> {
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM resources WHERE organization_id = $1', [org.id]);
    return rows[0].n;
  }

  const withoutRegion = () => {
    const body: Record<string, unknown> = awsResourceBody('00000000-0000-0000-0000-000000000000');
    delete body.region;
    return body;
  };
  const withoutConfig = () => {
    const body: Record<string, unknown> = awsResourceBody('00000000-0000-0000-0000-000000000000');
    delete body.config;
    return body;
  };

  const createCases: Array<[string, string, (credentialId: string) => Record<string, unknown>]> = [
    ['an unknown top-level field', 'owner', (id) => awsResourceBody(id, { owner: 'me' })],
    ['isActive on create (not a create field)', 'isActive', (id) => awsResourceBody(id, { isActive: true })],
    ['an unknown config field', 'config.cidr', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 22, cidr: '0.0.0.0/0' } })],
    ['a group id without sg-', 'resourceIdentifier', (id) => awsResourceBody(id, { resourceIdentifier: 'web-admin' })],
    ['a malformed sg- id', 'resourceIdentifier', (id) => awsResourceBody(id, { resourceIdentifier: 'sg-XYZ' })],
    ['a too-short sg- id', 'resourceIdentifier', (id) => awsResourceBody(id, { resourceIdentifier: 'sg-123' })],
    ['port 0', 'config.port', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 0 } })],
    ['port 70000', 'config.port', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 70000 } })],
    ['a fractional port', 'config.port', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 22.5 } })],
    ['a port given as a string', 'config.port', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: '22' } })],
    ['both port and ports', 'config.port', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 22, ports: [23] } })],
    ['an empty ports list', 'config.ports', (id) => awsResourceBody(id, { config: { protocol: 'tcp', ports: [] } })],
    ['a port 70000 inside ports', 'config.ports', (id) => awsResourceBody(id, { config: { protocol: 'tcp', ports: [22, 70000] } })],
    ['an unknown protocol', 'config.protocol', (id) => awsResourceBody(id, { config: { protocol: 'sctp', port: 22 } })],
    ['a port for icmp', 'config.port', (id) => awsResourceBody(id, { config: { protocol: 'icmp', port: 22 } })],
    ['a missing region', 'region', (id) => ({ ...withoutRegion(), credentialId: id })],
    ['a null region', 'region', (id) => awsResourceBody(id, { region: null })],
    ['a region that is no AWS region', 'region', (id) => awsResourceBody(id, { region: 'Europe West' })],
    ['a missing config for AWS', 'config', (id) => ({ ...withoutConfig(), credentialId: id })],
    ['a config that is not an object', 'config', (id) => awsResourceBody(id, { config: 'tcp/22' })],
    ['a resourceType of another provider', 'resourceType', (id) => awsResourceBody(id, { resourceType: 'FIREWALL_RULE' })],
    ['an unknown provider', 'provider', (id) => awsResourceBody(id, { provider: 'ORACLE' })],
    ['a credentialId that is not a UUID', 'credentialId', () => awsResourceBody('cred-1')],
    ['an empty name', 'name', (id) => awsResourceBody(id, { name: '   ' })],
    ['a name over 200 characters', 'name', (id) => awsResourceBody(id, { name: 'x'.repeat(201) })],
  ];

  it.each(createCases)('POST /resources with %s: 400 naming %s, no row, one FAILURE audit row', async (_label, field, build) => {
    const before = await resourceCount();
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post('/resources', build(credentialId)));
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toContain(field);
    response.body.details.forEach((d: { message: unknown }) => expect(typeof d.message).toBe('string'));
    expect(await resourceCount()).toBe(before);
    expectSingleAuditRow(added, {
      eventType: 'RESOURCE_CREATE',
      actorEmail: org.email,
      resourceId: null,
      result: 'FAILURE',
      errorCode: 'VALIDATION_ERROR',
    });
  });

  it('accepts the edge ports 1 and 65535, a ports list, and icmp/all without a port', async () => {
    for (const config of [
      { protocol: 'tcp', port: 1 },
      { protocol: 'udp', port: 65535 },
      { protocol: 'tcp', ports: [80, 443] },
      { protocol: 'icmp' },
      { protocol: 'all' },
    ]) {
      const response = await org.admin.post('/resources', awsResourceBody(credentialId, { config }));
      expect({ config, status: response.status }).toEqual({ config, status: 201 });
      expect(response.body.config).toEqual(config);
    }
  });

  it("POST with the provider of the resource not matching the credential's: 400 naming the credential, nothing stored", async () => {
    const before = await resourceCount();
    const { result: response, added } = await withAuditDelta(t, org.id, () =>
      org.admin.post('/resources', awsResourceBody(gcpCredentialId)),
    );
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toEqual(['credentialId']);
    expect(response.body.details[0].message).toMatch(/GCP/);
    expect(await resourceCount()).toBe(before);
    expectSingleAuditRow(added, {
      eventType: 'RESOURCE_CREATE',
      actorEmail: org.email,
      resourceId: null,
      result: 'FAILURE',
      errorCode: 'VALIDATION_ERROR',
    });
  });

  it('validation comes before existence: a bad body with a random credentialId is 400, not 404', async () => {
    const response = await org.admin.post('/resources', awsResourceBody(randomUUID(), { config: { protocol: 'tcp', port: 0 } }));
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toEqual(['config.port']);
  });

  describe('PATCH', () => {
    let resource: Record<string, any>;
    let before: Record<string, any>;
    beforeAll(async () => {
      resource = (await org.admin.post('/resources', awsResourceBody(credentialId))).body;
      before = (await t.db.query('SELECT * FROM resources WHERE id = $1', [resource.id])).rows[0];
    });
    afterEach(async () => {
      const { rows } = await t.db.query('SELECT * FROM resources WHERE id = $1', [resource.id]);
      expect(rows[0]).toEqual(before);
    });

    const patchCases: Array<[string, string, Record<string, unknown>]> = [
      ['provider', 'provider', { provider: 'GCP' }],
      ['provider, even unchanged', 'provider', { provider: 'AWS' }],
      ['resourceType', 'resourceType', { resourceType: 'SECURITY_GROUP' }],
      ['an unknown field', 'colour', { colour: 'blue' }],
      ['port 0', 'config.port', { config: { protocol: 'tcp', port: 0 } }],
      ['port 70000', 'config.port', { config: { protocol: 'tcp', port: 70000 } }],
      ['an unknown config field', 'config.note', { config: { protocol: 'tcp', port: 22, note: 'x' } }],
      ['a bad sg- id', 'resourceIdentifier', { resourceIdentifier: 'sg-nothex!' }],
      ['a null region', 'region', { region: null }],
      ['a bad region', 'region', { region: 'mars-north-1a' }],
      ['an isActive that is not a boolean', 'isActive', { isActive: 'yes' }],
      ['a credentialId that is not a UUID', 'credentialId', { credentialId: 'abc' }],
    ];

    it.each(patchCases)('PATCH with %s: 400 naming %s, nothing changed, one FAILURE row', async (_label, field, body) => {
      const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.patch(`/resources/${resource.id}`, body));
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(fields(response)).toContain(field);
      expectSingleAuditRow(added, {
        eventType: 'RESOURCE_UPDATE',
        actorEmail: org.email,
        resourceId: resource.id,
        result: 'FAILURE',
        errorCode: 'VALIDATION_ERROR',
      });
    });

    it("PATCH to another provider's credential: 400 naming credentialId", async () => {
      const response = await org.admin.patch(`/resources/${resource.id}`, { credentialId: gcpCredentialId });
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(fields(response)).toEqual(['credentialId']);
    });
  });

  // decisions.md §1, order of checks: validation (400) before existence (404).
  // APP BUG: ResourcesService.update validates the merged spec only after the row lookup.
  it('PATCH of a random id with a port of 70000 is 400 VALIDATION_ERROR (validation before existence)', async () => {
    const response = await org.admin.patch(`/resources/${randomUUID()}`, { config: { protocol: 'tcp', port: 70000 } });
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toEqual(['config.port']);
  });

  it('a form-urlencoded body is 415 UNSUPPORTED_MEDIA_TYPE (JSON only)', async () => {
    const before = await resourceCount();
    const response = await org.admin.post('/resources', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await resourceCount()).toBe(before);
  });

  // decisions.md §1: authentication (401), then role (403), then validation (400).
  // APP BUG: Fastify's JSON parser rejects the body before Nest's guards run.
  it('malformed JSON without a token is 401 UNAUTHORIZED, not 400', async () => {
    expectError(await org.anonymous.post('/resources', '{"name": ', { 'content-type': 'application/json' }), 401, 'UNAUTHORIZED');
  });

  it('malformed JSON from a member is 403 FORBIDDEN, not 400', async () => {
    const member = await createMember(t, org);
    expectError(await member.post('/resources', '{"name": ', { 'content-type': 'application/json' }), 403, 'FORBIDDEN');
  });

  it.each([
    ['GET', '/resources/not-a-uuid'],
    ['PATCH', '/resources/not-a-uuid'],
    ['DELETE', '/resources/not-a-uuid'],
    ['POST', '/resources/not-a-uuid/verify'],
  ])('%s %s: 400 VALIDATION_ERROR for the id', async (method, path) => {
    const response = await org.admin.request(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.details).toEqual([{ field: 'id', message: 'must be a UUID' }]);
  });

  it('a text/plain body is 415, malformed JSON or a JSON array 400, and none stores anything', async () => {
    const before = await resourceCount();
    expectError(await org.admin.post('/resources', 'name=x', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await org.admin.post('/resources', '{"name": ', { 'content-type': 'application/json' }), 400, 'VALIDATION_ERROR');
    expectError(await org.admin.post('/resources', '[]'), 400, 'VALIDATION_ERROR');
    expect(await resourceCount()).toBe(before);
  });
});
