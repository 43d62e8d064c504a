import { ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { dbFingerprint, orgRows, randomId, startPrivateApp } from './security-harness';

jest.setTimeout(60_000);

/**
 * Mass assignment: server-owned fields smuggled into a body are refused with a 400 that names
 * them, never silently stored or silently dropped, and the refusal stores nothing but its
 * FAILURE audit row.
 */
const PAST = '2001-01-01T00:00:00.000Z';

const CREDENTIAL_FIELDS: Array<[string, (other: TestOrganization) => unknown]> = [
  ['organizationId', (other) => other.id],
  ['id', () => randomId()],
  ['isValid', () => true],
  ['createdAt', () => PAST],
  ['updatedAt', () => PAST],
  ['lastVerifiedAt', () => PAST],
  ['resourceCount', () => 42],
  ['ciphertext', () => Buffer.from('attacker-chosen').toString('base64')],
  ['keyVersion', () => 99],
  ['iv', () => Buffer.alloc(12).toString('base64')],
  ['authTag', () => Buffer.alloc(16).toString('base64')],
  ['verificationError', () => null],
  // The database's own spellings must not slip through either.
  ['organization_id', (other) => other.id],
  ['key_version', () => 1],
  ['is_valid', () => false],
];

const RESOURCE_FIELDS_PATCH: Array<[string, (other: TestOrganization) => unknown]> = [
  ['organizationId', (other) => other.id],
  ['id', () => randomId()],
  ['lastVerifiedAt', () => PAST],
  ['credentialName', () => 'spoofed name'],
  ['createdAt', () => PAST],
  ['updatedAt', () => PAST],
  ['verificationError', () => 'none'],
  ['provider', () => 'GCP'],
  ['resourceType', () => 'FIREWALL_RULE'],
  ['organization_id', (other) => other.id],
];

const RESOURCE_FIELDS_POST: Array<[string, (other: TestOrganization) => unknown]> = [
  ['organizationId', (other) => other.id],
  ['id', () => randomId()],
  ['isActive', () => true],
  ['lastVerifiedAt', () => PAST],
  ['credentialName', () => 'spoofed name'],
  ['createdAt', () => PAST],
];

const REGISTER_FIELDS: Array<[string, (other: TestOrganization) => unknown]> = [
  ['role', () => 'ORG_ADMIN'],
  ['isOrgAdmin', () => true],
  ['organizationId', (other) => other.id],
];

describe('security: mass assignment', () => {
  let t: TestApp;
  let org: TestOrganization;
  let other: TestOrganization;
  let credential: Record<string, any>;
  let resource: Record<string, any>;

  beforeAll(async () => {
    t = await startPrivateApp();
    org = await registerOrganization(t, 'Mass');
    other = await registerOrganization(t, 'Victim');
    credential = (await org.admin.post('/credentials', awsCredentialBody())).body;
    resource = (await org.admin.post('/resources', awsResourceBody(credential.id))).body;
    expect(credential.id).toBeDefined();
    expect(resource.id).toBeDefined();
  });
  afterAll(async () => t?.close());

  /** Sends, then checks: 400 VALIDATION_ERROR naming exactly `field`, and nothing stored but FAILURE audit rows. */
  async function expectRefused(send: () => Promise<ApiResponse>, field: string, auditEvent: string | null): Promise<void> {
    const before = { all: await dbFingerprint(t), org: await orgRows(t, org.id), other: await orgRows(t, other.id) };
    const auditBefore = new Set((await t.db.query('SELECT id FROM audit_logs')).rows.map((r) => r.id));
    const response = await send();
    expectError(response, 400, 'VALIDATION_ERROR');
    expect([...new Set(response.body.details.map((d: { field: string }) => d.field))]).toEqual([field]);
    expect({ all: await dbFingerprint(t), org: await orgRows(t, org.id), other: await orgRows(t, other.id) }).toEqual(before);
    const added = (await t.db.query('SELECT * FROM audit_logs ORDER BY created_at')).rows.filter((row) => !auditBefore.has(row.id));
    if (auditEvent) {
      expect(added.map((row) => [row.event_type, row.result, row.error_code, row.organization_id])).toEqual([
        [auditEvent, 'FAILURE', 'VALIDATION_ERROR', org.id],
      ]);
    } else {
      // Anonymous refusals need no audit row; if one is written, it can only be a FAILURE.
      expect(added.filter((row) => row.result !== 'FAILURE')).toEqual([]);
    }
  }

  it.each(CREDENTIAL_FIELDS)('POST /credentials with %s: 400 naming it, nothing stored', async (field, value) => {
    await expectRefused(
      () => org.admin.post('/credentials', { ...awsCredentialBody(), [field]: value(other) }),
      field,
      'CREDENTIAL_CREATE',
    );
  });

  it.each(CREDENTIAL_FIELDS)('PATCH /credentials/{id} with %s: 400 naming it, the row unchanged', async (field, value) => {
    await expectRefused(
      () => org.admin.patch(`/credentials/${credential.id}`, { name: uniqueName('Renamed'), [field]: value(other) }),
      field,
      'CREDENTIAL_UPDATE',
    );
  });

  it.each([
    ['provider', 'GCP'],
    ['credentialType', 'SERVICE_ACCOUNT'],
  ])('PATCH /credentials/{id} cannot change %s, even alone', async (field, value) => {
    await expectRefused(() => org.admin.patch(`/credentials/${credential.id}`, { [field]: value }), field, 'CREDENTIAL_UPDATE');
  });

  it.each([['organizationId'], ['keyVersion'], ['isValid']])('POST /credentials with credentialData.%s: 400 naming it', async (field) => {
    const body = awsCredentialBody();
    await expectRefused(
      () => org.admin.post('/credentials', { ...body, credentialData: { ...(body.credentialData as object), [field]: other.id } }),
      `credentialData.${field}`,
      'CREDENTIAL_CREATE',
    );
  });

  it.each(RESOURCE_FIELDS_PATCH)('PATCH /resources/{id} with %s: 400 naming it, the row unchanged', async (field, value) => {
    await expectRefused(
      () => org.admin.patch(`/resources/${resource.id}`, { name: uniqueName('Renamed SG'), [field]: value(other) }),
      field,
      'RESOURCE_UPDATE',
    );
  });

  it.each(RESOURCE_FIELDS_POST)('POST /resources with %s: 400 naming it, nothing stored', async (field, value) => {
    await expectRefused(
      () => org.admin.post('/resources', { ...awsResourceBody(credential.id), [field]: value(other) }),
      field,
      'RESOURCE_CREATE',
    );
  });

  it('PATCH /resources/{id} accepts isActive (the one state field a client may set)', async () => {
    const response = await org.admin.patch(`/resources/${resource.id}`, { isActive: true });
    expect(response.status).toBe(200);
    expect(response.body.isActive).toBe(true);
    expect((await t.db.query('SELECT is_active, organization_id FROM resources WHERE id = $1', [resource.id])).rows[0]).toEqual({
      is_active: true,
      organization_id: org.id,
    });
  });

  it.each(REGISTER_FIELDS)(
    'POST /auth/register with %s: 400 naming it; no organization, user or token is created',
    async (field, value) => {
      const name = uniqueName('Intruder Org');
      const email = `intruder-${randomId().slice(0, 8)}@example.test`;
      const anonymous = org.anonymous;
      await expectRefused(
        () =>
          anonymous.post('/auth/register', {
            organizationName: name,
            email,
            password: 'Intruder password 1',
            name: 'Mallory',
            [field]: value(other),
          }),
        field,
        null,
      );
      const { rows } = await t.db.query(
        `SELECT (SELECT count(*)::int FROM organizations WHERE name = $1) AS orgs, (SELECT count(*)::int FROM users WHERE email = $2) AS users`,
        [name, email],
      );
      expect(rows[0]).toEqual({ orgs: 0, users: 0 });
      // And the victim organization did not gain a member.
      expect((await t.db.query('SELECT count(*)::int AS n FROM users WHERE organization_id = $1', [other.id])).rows[0].n).toBe(1);
    },
  );

  it('after all of that, the credential and resource still hold only what the client may set', async () => {
    const row = (await t.db.query('SELECT * FROM credentials WHERE id = $1', [credential.id])).rows[0];
    expect(row).toMatchObject({
      organization_id: org.id,
      name: credential.name,
      key_version: 1,
      is_valid: null,
      last_verified_at: null,
      provider: 'AWS',
    });
    const got = await org.admin.get(`/credentials/${credential.id}`);
    expect(got.body).toMatchObject({
      id: credential.id,
      name: credential.name,
      resourceCount: 1,
      isValid: null,
      createdAt: credential.createdAt,
    });
    const res = await org.admin.get(`/resources/${resource.id}`);
    expect(res.body).toMatchObject({
      id: resource.id,
      credentialName: credential.name,
      provider: 'AWS',
      resourceType: 'SECURITY_GROUP',
      createdAt: resource.createdAt,
    });
    expect((await t.db.query('SELECT count(*)::int AS n FROM credentials WHERE organization_id = $1', [other.id])).rows[0].n).toBe(0);
  });
});
