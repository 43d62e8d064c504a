import { randomUUID } from 'node:crypto';
import { ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { expectSingleAuditRow, gcpCredentialBody, startIsolatedApp, withAuditDelta } from './isolated-app';

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

  const createCases: Array<[string, (credentialId: string) => Record<string, unknown>, string]> = [
    ['an unknown top-level field', (id) => awsResourceBody(id, { owner: 'me' }), 'owner'],
    ['isActive on create (not a create field)', (id) => awsResourceBody(id, { isActive: true }), 'isActive'],
    ['an unknown config field', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 22, cidr: '0.0.0.0/0' } }), 'config.cidr'],
    ['a group id without sg-', (id) => awsResourceBody(id, { resourceIdentifier: 'web-admin' }), 'resourceIdentifier'],
    ['a malformed sg- id', (id) => awsResourceBody(id, { resourceIdentifier: 'sg-XYZ' }), 'resourceIdentifier'],
    ['a too-short sg- id', (id) => awsResourceBody(id, { resourceIdentifier: 'sg-123' }), 'resourceIdentifier'],
    ['port 0', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 0 } }), 'config.port'],
    ['port 70000', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 70000 } }), 'config.port'],
    ['a fractional port', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 22.5 } }), 'config.port'],
    ['a port given as a string', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: '22' } }), 'config.port'],
    ['both port and ports', (id) => awsResourceBody(id, { config: { protocol: 'tcp', port: 22, ports: [23] } }), 'config.port'],
    ['an empty ports list', (id) => awsResourceBody(id, { config: { protocol: 'tcp', ports: [] } }), 'config.ports'],
    ['a port 70000 inside ports', (id) => awsResourceBody(id, { config: { protocol: 'tcp', ports: [22, 70000] } }), 'config.ports'],
    ['an unknown protocol', (id) => awsResourceBody(id, { config: { protocol: 'sctp', port: 22 } }), 'config.protocol'],
    ['a port for icmp', (id) => awsResourceBody(id, { config: { protocol: 'icmp', port: 22 } }), 'config.port'],
    ['a missing region', (id) => ({ ...withoutRegion(), credentialId: id }), 'region'],
    ['a null region', (id) => awsResourceBody(id, { region: null }), 'region'],
    ['a region that is no AWS region', (id) => awsResourceBody(id, { region: 'Europe West' }), 'region'],
    ['a missing config for AWS', (id) => ({ ...withoutConfig(), credentialId: id }), 'config'],
    ['a config that is not an object', (id) => awsResourceBody(id, { config: 'tcp/22' }), 'config'],
    ['a resourceType of another provider', (id) => awsResourceBody(id, { resourceType: 'FIREWALL_RULE' }), 'resourceType'],
    ['an unknown provider', (id) => awsResourceBody(id, { provider: 'ORACLE' }), 'provider'],
    ['a credentialId that is not a UUID', () => awsResourceBody('cred-1'), 'credentialId'],
    ['an empty name', (id) => awsResourceBody(id, { name: '   ' }), 'name'],
    ['a name over 200 characters', (id) => awsResourceBody(id, { name: 'x'.repeat(201) }), 'name'],
  ];

  it.each(createCases)('POST /resources with %s: 400 naming %s, no row, one FAILURE audit row', async (_label, build, field) => {
    const before = await resourceCount();
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post('/resources', build(credentialId)));
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toContain(field);
    response.body.details.forEach((d: { message: unknown }) => expect(typeof d.message).toBe('string'));
    expect(await resourceCount()).toBe(before);
    expectSingleAuditRow(added, { eventType: 'RESOURCE_CREATE', actorEmail: org.email, resourceId: null, result: 'FAILURE', errorCode: 'VALIDATION_ERROR' });
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

  it('POST with the provider of the resource not matching the credential\'s: 400 naming the credential, nothing stored', async () => {
    const before = await resourceCount();
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post('/resources', awsResourceBody(gcpCredentialId)));
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toEqual(['credentialId']);
    expect(response.body.details[0].message).toMatch(/GCP/);
    expect(await resourceCount()).toBe(before);
    expectSingleAuditRow(added, { eventType: 'RESOURCE_CREATE', actorEmail: org.email, resourceId: null, result: 'FAILURE', errorCode: 'VALIDATION_ERROR' });
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

    const patchCases: Array<[string, Record<string, unknown>, string]> = [
      ['provider', { provider: 'GCP' }, 'provider'],
      ['provider, even unchanged', { provider: 'AWS' }, 'provider'],
      ['resourceType', { resourceType: 'SECURITY_GROUP' }, 'resourceType'],
      ['an unknown field', { colour: 'blue' }, 'colour'],
      ['port 0', { config: { protocol: 'tcp', port: 0 } }, 'config.port'],
      ['port 70000', { config: { protocol: 'tcp', port: 70000 } }, 'config.port'],
      ['an unknown config field', { config: { protocol: 'tcp', port: 22, note: 'x' } }, 'config.note'],
      ['a bad sg- id', { resourceIdentifier: 'sg-nothex!' }, 'resourceIdentifier'],
      ['a null region', { region: null }, 'region'],
      ['a bad region', { region: 'mars-north-1a' }, 'region'],
      ['an isActive that is not a boolean', { isActive: 'yes' }, 'isActive'],
      ['a credentialId that is not a UUID', { credentialId: 'abc' }, 'credentialId'],
    ];

    it.each(patchCases)('PATCH with %s: 400 naming %s, nothing changed, one FAILURE row', async (_label, body, field) => {
      const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.patch(`/resources/${resource.id}`, body));
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(fields(response)).toContain(field);
      expectSingleAuditRow(added, { eventType: 'RESOURCE_UPDATE', actorEmail: org.email, resourceId: resource.id, result: 'FAILURE', errorCode: 'VALIDATION_ERROR' });
    });

    it('PATCH to another provider\'s credential: 400 naming credentialId', async () => {
      const response = await org.admin.patch(`/resources/${resource.id}`, { credentialId: gcpCredentialId });
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(fields(response)).toEqual(['credentialId']);
    });
  });

  // decisions.md §1, order of checks: validation (400) before existence (404).
  it('PATCH of a random id with a port of 70000 is 400 VALIDATION_ERROR (validation before existence)', async () => {
    const response = await org.admin.patch(`/resources/${randomUUID()}`, { config: { protocol: 'tcp', port: 70000 } });
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(fields(response)).toEqual(['config.port']);
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

  it('a body that is not JSON is 415, malformed JSON 400, and neither stores anything', async () => {
    const before = await resourceCount();
    expectError(await org.admin.post('/resources', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await org.admin.post('/resources', '{"name": ', { 'content-type': 'application/json' }), 400, 'VALIDATION_ERROR');
    expectError(await org.admin.post('/resources', '[]'), 400, 'VALIDATION_ERROR');
    expect(await resourceCount()).toBe(before);
  });
});
