import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { auditRows, awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';
import { AwsFakeServer, startAwsFakeServer } from '../fakes/aws-fake-server';

const REGION = 'eu-west-1';

function awsKeys() {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
  return { accessKeyId: `AKIA${suffix}`, secretAccessKey: `secret-${randomUUID()}` };
}

/** The seed's "Migrating Resources to New Credentials" workflow, then its two shortcuts. */
describe('credential workflows: migrate, move in one call, rotate in place', () => {
  let t: TestApp;
  let aws: AwsFakeServer;
  let org: TestOrganization;

  beforeAll(async () => {
    aws = await startAwsFakeServer({});
    t = await startTestApp({ AWS_ENDPOINT_URL: aws.url });
    org = await registerOrganization(t);
  });
  afterAll(async () => {
    await t.close();
    await aws.close();
  });

  /** A credential whose keys the fake knows, with `count` security groups the fake holds. */
  async function setup(count: number) {
    const keys = awsKeys();
    aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '123456789012' });
    const credential = await org.admin.post('/credentials', awsCredentialBody({ credentialData: keys }));
    expect(credential.status).toBe(201);
    const resources = [];
    for (let i = 0; i < count; i++) {
      const body = awsResourceBody(credential.body.id, { region: REGION });
      aws.state.addSecurityGroup(REGION, { groupId: body.resourceIdentifier });
      const created = await org.admin.post('/resources', body);
      expect(created.status).toBe(201);
      resources.push(created.body);
    }
    return { keys, credential: credential.body, resources };
  }

  it('runs the four documented steps: create new, move each resource, verify, delete old', async () => {
    const old = await setup(3);
    const refused = await org.admin.delete(`/credentials/${old.credential.id}`);
    expect(refused.body.message).toBe('Cannot delete credential linked to 3 active resources. Delete or reassign resources first.');

    const newKeys = awsKeys();
    aws.state.addAccount(newKeys.accessKeyId, { secretAccessKey: newKeys.secretAccessKey, accountId: '123456789012' });
    const fresh = await org.admin.post('/credentials', {
      name: `AWS Production (New Keys) ${randomUUID()}`,
      provider: 'AWS',
      credentialType: 'ACCESS_KEY',
      credentialData: newKeys,
    });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('location')).toBe(`/api/v1/credentials/${fresh.body.id}`);

    const linked = await org.admin.get(`/resources?credentialId=${old.credential.id}`);
    expect(linked.body.map((r: { id: string }) => r.id).sort()).toEqual(old.resources.map((r) => r.id).sort());
    for (const resource of linked.body) {
      const moved = await org.admin.patch(`/resources/${resource.id}`, { credentialId: fresh.body.id });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ credentialId: fresh.body.id, credentialName: fresh.body.name });
      const verified = await org.admin.post(`/resources/${resource.id}/verify`);
      expect(verified.status).toBe(200);
      expect(verified.body.isActive).toBe(true);
    }
    // The verification really used the new keys, signed correctly.
    const describes = aws.state.requests.filter((r) => r.action === 'DescribeSecurityGroups' && r.accessKeyId === newKeys.accessKeyId);
    expect(describes.filter((r) => r.status === 200)).toHaveLength(3);

    expect((await org.admin.get(`/credentials/${old.credential.id}`)).body.resourceCount).toBe(0);
    expect((await org.admin.delete(`/credentials/${old.credential.id}`)).status).toBe(204);
    expect((await org.admin.get(`/credentials/${fresh.body.id}`)).body.resourceCount).toBe(3);
  });

  it('moves every resource with one migrate-resources call, atomically and audited', async () => {
    const source = await setup(4);
    const target = await setup(0);
    const response = await org.admin.post(`/credentials/${source.credential.id}/migrate-resources`, {
      targetCredentialId: target.credential.id,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ movedResourceCount: 4, targetCredentialId: target.credential.id });
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM resources WHERE credential_id = $1', [target.credential.id]);
    expect(rows[0].n).toBe(4);
    expect((await org.admin.delete(`/credentials/${source.credential.id}`)).status).toBe(204);

    const migrate = (await auditRows(t, org.id)).filter(
      (row) => row.event_type === 'CREDENTIAL_RESOURCES_MIGRATE' && row.resource_id === source.credential.id,
    );
    expect(migrate).toHaveLength(1);
    expect(migrate[0].details).toMatchObject({ movedResourceCount: 4, targetCredentialId: target.credential.id });
  });

  it('refuses a migration to a missing, foreign, same or other-provider credential, moving nothing', async () => {
    const source = await setup(1);
    const other = await registerOrganization(t, 'Other');
    const foreign = (await other.admin.post('/credentials', awsCredentialBody())).body.id;
    const apisix = (
      await org.admin.post('/credentials', {
        name: `gw ${randomUUID()}`,
        provider: 'APISIX',
        credentialType: 'ADMIN_KEY',
        credentialData: { adminUrl: 'http://127.0.0.1:9180', adminKey: 'k-123' },
      })
    ).body.id;
    const path = `/credentials/${source.credential.id}/migrate-resources`;

    const missing = randomUUID();
    const notFound = await org.admin.post(path, { targetCredentialId: missing });
    expectError(notFound, 404, 'CREDENTIAL_NOT_FOUND');
    expect(notFound.body.message).toBe(`Credential with ID ${missing} not found`);
    expectError(await org.admin.post(path, { targetCredentialId: foreign }), 404, 'CREDENTIAL_NOT_FOUND');
    expectError(await org.admin.post(path, { targetCredentialId: source.credential.id }), 400, 'VALIDATION_ERROR');
    const mismatch = await org.admin.post(path, { targetCredentialId: apisix });
    expectError(mismatch, 400, 'VALIDATION_ERROR');
    expect(mismatch.body.details[0].field).toBe('targetCredentialId');
    expectError(await org.admin.post(path, { targetCredentialId: 'nope' }), 400, 'VALIDATION_ERROR');
    expectError(
      await org.admin.post(`/credentials/${foreign}/migrate-resources`, { targetCredentialId: source.credential.id }),
      404,
      'CREDENTIAL_NOT_FOUND',
    );

    const { rows } = await t.db.query('SELECT credential_id FROM resources WHERE id = $1', [source.resources[0].id]);
    expect(rows[0].credential_id).toBe(source.credential.id);
  });

  it('rotates keys in place with PATCH: resources keep working with no re-linking', async () => {
    const current = await setup(1);
    const rotatedKeys = awsKeys();
    aws.state.addAccount(rotatedKeys.accessKeyId, { secretAccessKey: rotatedKeys.secretAccessKey, accountId: '123456789012' });
    const before = await t.db.query('SELECT ciphertext FROM credentials WHERE id = $1', [current.credential.id]);

    const patched = await org.admin.patch(`/credentials/${current.credential.id}`, { credentialData: rotatedKeys });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: current.credential.id, isValid: null, lastVerifiedAt: null, resourceCount: 1 });
    const after = await t.db.query('SELECT ciphertext FROM credentials WHERE id = $1', [current.credential.id]);
    expect(Buffer.compare(before.rows[0].ciphertext, after.rows[0].ciphertext)).not.toBe(0);

    const verified = await org.admin.post(`/resources/${current.resources[0].id}/verify`);
    expect(verified.status).toBe(200);
    const last = aws.state.requests.filter((r) => r.action === 'DescribeSecurityGroups').at(-1);
    expect(last?.accessKeyId).toBe(rotatedKeys.accessKeyId);

    const credentialVerify = await org.admin.post(`/credentials/${current.credential.id}/verify`);
    expect(credentialVerify.status).toBe(200);
    expect(credentialVerify.body).toMatchObject({ isValid: true, verificationError: null });
    expect(credentialVerify.body.lastVerifiedAt).toMatch(/Z$/);
  });

  it('renames with PATCH, refuses provider/credentialType changes, empty bodies, bad data and taken names', async () => {
    const current = await setup(0);
    const path = `/credentials/${current.credential.id}`;
    const name = `Renamed ${randomUUID()}`;
    const renamed = await org.admin.patch(path, { name });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe(name);

    expectError(await org.admin.patch(path, { provider: 'GCP' }), 400, 'VALIDATION_ERROR');
    expectError(await org.admin.patch(path, { credentialType: 'SERVICE_ACCOUNT' }), 400, 'VALIDATION_ERROR');
    expectError(await org.admin.patch(path, {}), 400, 'VALIDATION_ERROR');
    const bad = await org.admin.patch(path, { credentialData: { accessKeyId: 'AKIAONLY' } });
    expectError(bad, 400, 'VALIDATION_ERROR');
    expect(bad.body.details.map((d: { field: string }) => d.field)).toContain('credentialData.secretAccessKey');

    const another = await setup(0);
    expectError(await org.admin.patch(path, { name: another.credential.name }), 409, 'CREDENTIAL_NAME_TAKEN');
    expectError(await org.admin.post('/credentials', awsCredentialBody({ name: another.credential.name })), 409, 'CREDENTIAL_NAME_TAKEN');
  });

  describe('background verification (an app with jobs on, on a database of its own so it claims only our rows)', () => {
    let jobs: TestApp;
    let jobOrg: TestOrganization;
    beforeAll(async () => {
      jobs = await startTestAppOnOwnDatabase({
        AWS_ENDPOINT_URL: aws.url,
        JOBS_ENABLED: 'true',
        JOBS_POLL_SECONDS: '1',
        PROVIDER_TIMEOUT_MS: '500',
      });
      jobOrg = await registerOrganization(jobs);
    });
    afterAll(async () => jobs.close());

    async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
      const deadline = Date.now() + 15_000;
      let value = await read();
      while (!done(value) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        value = await read();
      }
      return value;
    }

    it('verifies after create: valid keys become isValid true, a wrong secret false with a reason', async () => {
      const good = awsKeys();
      aws.state.addAccount(good.accessKeyId, { secretAccessKey: good.secretAccessKey, accountId: '123456789012' });
      const valid = (await jobOrg.admin.post('/credentials', awsCredentialBody({ credentialData: good }))).body;
      const wrong = (
        await jobOrg.admin.post('/credentials', awsCredentialBody({ credentialData: { ...good, secretAccessKey: 'not-the-secret' } }))
      ).body;
      expect(valid.isValid).toBeNull();

      const states = await waitFor(
        () => Promise.all([valid.id, wrong.id].map(async (id) => (await jobOrg.admin.get(`/credentials/${id}`)).body)),
        (read) => read.every((s: { isValid: boolean | null }) => s.isValid !== null),
      );
      expect(states[0]).toMatchObject({ isValid: true, verificationError: null });
      expect(states[1].isValid).toBe(false);
      expect(states[1].verificationError).toMatch(/AWS/);
      expect(states[1].verificationError).not.toContain('not-the-secret');
    });

    it('keeps the verdict when a later round cannot reach the provider, notes why, and retries in minutes', async () => {
      const keys = awsKeys();
      aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '123456789012' });
      const credential = (await jobOrg.admin.post('/credentials', awsCredentialBody({ credentialData: keys }))).body;
      await waitFor(
        async () => (await jobOrg.admin.get(`/credentials/${credential.id}`)).body,
        (c) => c.isValid === true,
      );
      const before = (await jobs.db.query('SELECT last_verified_at FROM credentials WHERE id = $1', [credential.id])).rows[0];

      aws.state.delayMs = 2_000; // longer than PROVIDER_TIMEOUT_MS: every call times out
      try {
        await jobs.db.query('UPDATE credentials SET verify_due_at = now() WHERE id = $1', [credential.id]);
        const after = await waitFor(
          async () => (await jobOrg.admin.get(`/credentials/${credential.id}`)).body,
          (c) => c.verificationError !== null,
        );
        expect(after).toMatchObject({ isValid: true });
        expect(after.verificationError).toMatch(/did not answer|timed out|time/i);
        const row = (
          await jobs.db.query('SELECT last_verified_at, verify_due_at - now() AS next FROM credentials WHERE id = $1', [credential.id])
        ).rows[0];
        expect(row.last_verified_at).toEqual(before.last_verified_at);
        expect(row.next.minutes ?? 0).toBeGreaterThanOrEqual(4);
        expect(row.next.minutes ?? 0).toBeLessThanOrEqual(5);
        const verifyRows = (await auditRows(jobs, jobOrg.id)).filter(
          (r) => r.resource_id === credential.id && r.event_type === 'CREDENTIAL_VERIFY',
        );
        expect(verifyRows.map((r) => r.result)).toEqual(['SUCCESS']);
      } finally {
        aws.state.delayMs = 0;
      }
    });
  });
});
