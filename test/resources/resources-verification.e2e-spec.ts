import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';
import {
  expectSingleAuditRow,
  ISO_UTC,
  RESOURCE_KEYS,
  startIsolatedApp,
  uniqueAccessKeyId,
  uniqueGroupId,
  waitFor,
  withAuditDelta,
} from './isolated-app';

// The e2e project's testTimeout does not reach hooks and tests here: app start, a fresh database, background jobs.
jest.setTimeout(60_000);

const REGION = 'eu-west-1';

/** POST /resources/{id}/verify against the AWS fake (SigV4 checked), and the background job. */
describe('Resources: verification through the AWS fake', () => {
  let aws: AwsFakeServer;
  let t: TestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    aws = await startAwsFakeServer();
    t = await startIsolatedApp({ AWS_ENDPOINT_URL: aws.url });
    org = await registerOrganization(t);
  });
  afterAll(async () => {
    await t?.close();
    await aws?.close();
  });

  /** A credential whose keys the fake knows (or not, with a wrong secret), and a resource on it. */
  async function setup(opts: { seedGroup?: boolean; wrongSecret?: boolean; api?: TestOrganization } = {}) {
    const api = opts.api ?? org;
    const accessKeyId = uniqueAccessKeyId();
    const secretAccessKey = `fake-secret-${randomUUID()}`;
    aws.state.addAccount(accessKeyId, { secretAccessKey, accountId: '123456789012' });
    const groupId = uniqueGroupId();
    if (opts.seedGroup !== false) {
      aws.state.addSecurityGroup(REGION, { groupId, groupName: 'bastion' });
    }
    const sent = opts.wrongSecret ? `wrong-${randomUUID()}` : secretAccessKey;
    const credential = (await api.admin.post('/credentials', awsCredentialBody({ credentialData: { accessKeyId, secretAccessKey: sent } })))
      .body;
    const created = await api.admin.post('/resources', awsResourceBody(credential.id, { resourceIdentifier: groupId, region: REGION }));
    expect(created.status).toBe(201);
    return { accessKeyId, secretAccessKey, sent, groupId, credential, resource: created.body };
  }

  async function row(id: string): Promise<Record<string, any>> {
    return (await t.db.query('SELECT * FROM resources WHERE id = $1', [id])).rows[0];
  }

  it('success: 200 with isActive true and lastVerifiedAt set; asked DescribeSecurityGroups in its region; one SUCCESS row', async () => {
    const { accessKeyId, resource } = await setup();
    aws.state.clearRequests();
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post(`/resources/${resource.id}/verify`));

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(RESOURCE_KEYS);
    expect(response.body).toMatchObject({ id: resource.id, isActive: true, verificationError: null });
    expect(response.body.lastVerifiedAt).toMatch(ISO_UTC);
    expect(aws.state.requestsFor('DescribeSecurityGroups')).toEqual([
      expect.objectContaining({ service: 'ec2', region: REGION, accessKeyId, status: 200 }),
    ]);

    const saved = await row(resource.id);
    expect(saved.is_active).toBe(true);
    expect(saved.verification_error).toBeNull();
    expect(saved.last_verified_at).toBeInstanceOf(Date);
    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_VERIFY',
      actorEmail: org.email,
      resourceId: resource.id,
      result: 'SUCCESS',
    });
    expect(audit.actor_type).toBe('USER');
    expect((await org.admin.get(`/resources/${resource.id}`)).body).toEqual(response.body);
  });

  it('a group missing in the fake: 400 VERIFICATION_FAILED saying why; the verdict is saved; exactly one FAILURE row', async () => {
    const { groupId, resource } = await setup({ seedGroup: false });
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post(`/resources/${resource.id}/verify`));

    expectError(response, 400, 'VERIFICATION_FAILED');
    expect(response.body.message).toContain(`Security group ${groupId} was not found in region ${REGION}`);
    expect(response.body.message).not.toMatch(/<\/?[A-Za-z]+>|\n\s+at |RequestId|InvalidGroup/);

    const saved = await row(resource.id);
    expect(saved.is_active).toBe(false);
    expect(saved.last_verified_at).toBeInstanceOf(Date);
    expect(saved.verification_error).toBe(`Security group ${groupId} was not found in region ${REGION}.`);

    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_VERIFY',
      actorEmail: org.email,
      resourceId: resource.id,
      result: 'FAILURE',
      errorCode: 'VERIFICATION_FAILED',
    });
    expect(audit.error_message).toBe(saved.verification_error);

    const got = (await org.admin.get(`/resources/${resource.id}`)).body;
    expect(got).toMatchObject({ isActive: false, verificationError: saved.verification_error });
    expect(got.lastVerifiedAt).toMatch(ISO_UTC);
  });

  it('a group seeded only in another region fails the same way', async () => {
    const { groupId, resource } = await setup({ seedGroup: false });
    aws.state.addSecurityGroup('us-east-1', { groupId });
    const response = await org.admin.post(`/resources/${resource.id}/verify`);
    expectError(response, 400, 'VERIFICATION_FAILED');
    expect(response.body.message).toContain(`was not found in region ${REGION}`);
  });

  it('an active resource whose group disappears turns inactive on the next verify', async () => {
    const { groupId, resource } = await setup();
    expect((await org.admin.post(`/resources/${resource.id}/verify`)).body.isActive).toBe(true);
    aws.state.groups.get(REGION)!.delete(groupId);
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post(`/resources/${resource.id}/verify`));
    expectError(response, 400, 'VERIFICATION_FAILED');
    expect(await row(resource.id)).toMatchObject({ is_active: false, verification_error: expect.stringContaining(groupId) });
    expectSingleAuditRow(added, {
      eventType: 'RESOURCE_VERIFY',
      actorEmail: org.email,
      resourceId: resource.id,
      result: 'FAILURE',
      errorCode: 'VERIFICATION_FAILED',
    });
  });

  it('a wrong secret in the credential: 400 VERIFICATION_FAILED, the fake refused the signature, no secret in the answer', async () => {
    const { accessKeyId, sent, secretAccessKey, resource } = await setup({ wrongSecret: true });
    aws.state.clearRequests();
    const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post(`/resources/${resource.id}/verify`));
    expectError(response, 400, 'VERIFICATION_FAILED');
    expect(response.body.message).toMatch(/AWS refused the keys/);
    for (const secret of [sent, secretAccessKey]) {
      expect(response.text).not.toContain(secret);
    }
    expect(aws.state.requests.some((r) => r.accessKeyId === accessKeyId && r.status >= 400)).toBe(true);
    expect(await row(resource.id)).toMatchObject({ is_active: false, verification_error: expect.stringMatching(/AWS refused the keys/) });
    const audit = expectSingleAuditRow(added, {
      eventType: 'RESOURCE_VERIFY',
      actorEmail: org.email,
      resourceId: resource.id,
      result: 'FAILURE',
      errorCode: 'VERIFICATION_FAILED',
    });
    expect(JSON.stringify(audit)).not.toContain(sent);
  });

  it('an identity change (PATCH resourceIdentifier) resets the verdict until it is verified again', async () => {
    const { resource } = await setup();
    expect((await org.admin.post(`/resources/${resource.id}/verify`)).status).toBe(200);
    const next = uniqueGroupId();
    aws.state.addSecurityGroup(REGION, { groupId: next });
    const patched = await org.admin.patch(`/resources/${resource.id}`, { resourceIdentifier: next });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ resourceIdentifier: next, isActive: false, lastVerifiedAt: null, verificationError: null });
    const verified = await org.admin.post(`/resources/${resource.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ resourceIdentifier: next, isActive: true });
  });

  describe('in the background (JOBS_ENABLED=true, JOBS_POLL_SECONDS=1)', () => {
    let jobs: TestApp;
    let jobOrg: TestOrganization;
    beforeAll(async () => {
      jobs = await startIsolatedApp({ AWS_ENDPOINT_URL: aws.url, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1' });
      jobOrg = await registerOrganization(jobs);
    });
    afterAll(async () => jobs?.close());

    async function verifiedRow(id: string): Promise<Record<string, any> | undefined> {
      const { rows } = await jobs.db.query('SELECT * FROM resources WHERE id = $1 AND last_verified_at IS NOT NULL', [id]);
      return rows[0];
    }

    it('a created resource is verified without calling verify: active, with a SYSTEM audit row', async () => {
      const { resource } = await setup({ api: jobOrg });
      expect(resource.lastVerifiedAt).toBeNull();
      const saved = await waitFor(() => verifiedRow(resource.id), 10_000);
      expect(saved).toBeDefined();
      expect(saved).toMatchObject({ is_active: true, verification_error: null });
      const got = (await jobOrg.admin.get(`/resources/${resource.id}`)).body;
      expect(got).toMatchObject({ isActive: true, verificationError: null });
      expect(got.lastVerifiedAt).toMatch(ISO_UTC);
      const { rows } = await jobs.db.query(`SELECT * FROM audit_logs WHERE resource_id = $1 AND event_type = 'RESOURCE_VERIFY'`, [
        resource.id,
      ]);
      expect(rows.map((r) => [r.result, r.actor_type, r.actor_email, r.organization_id])).toEqual([['SUCCESS', 'SYSTEM', null, jobOrg.id]]);
    });

    it('a created resource whose group is missing is checked too: inactive with the reason saved', async () => {
      const { groupId, resource } = await setup({ api: jobOrg, seedGroup: false });
      const saved = await waitFor(() => verifiedRow(resource.id), 10_000);
      expect(saved).toBeDefined();
      expect(saved).toMatchObject({ is_active: false, verification_error: `Security group ${groupId} was not found in region ${REGION}.` });
    });
  });
});
