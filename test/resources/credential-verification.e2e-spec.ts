import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';
import {
  expectSingleAuditRow,
  gcpCredentialBody,
  ISO_UTC,
  startIsolatedApp,
  uniqueAccessKeyId,
  uniqueGroupId,
  waitFor,
  withAuditDelta,
} from './isolated-app';
import { CREDENTIAL_KEYS } from '../harness/contract';

// The e2e project's testTimeout does not reach hooks and tests here: app start, a fresh database, background jobs.
jest.setTimeout(60_000);

const WRONG_SECRET_REASON = 'AWS refused the keys: the secret access key does not match the access key id.';

/** Credential verification end to end: STS GetCallerIdentity against the AWS fake. */
describe('Credentials: verification end to end', () => {
  let aws: AwsFakeServer;

  beforeAll(async () => {
    aws = await startAwsFakeServer();
  });
  afterAll(async () => aws?.close());

  /** Keys the fake knows; `wrong` sends another secret for the same access key id. */
  function keys(wrong = false) {
    const accessKeyId = uniqueAccessKeyId();
    const secretAccessKey = `cv-secret-${randomUUID()}`;
    aws.state.addAccount(accessKeyId, { secretAccessKey, accountId: '210987654321' });
    return { accessKeyId, secretAccessKey: wrong ? `cv-wrong-${randomUUID()}` : secretAccessKey, realSecret: secretAccessKey };
  }

  describe('in the background (JOBS_ENABLED=true, JOBS_POLL_SECONDS=1)', () => {
    let t: TestApp;
    let org: TestOrganization;
    beforeAll(async () => {
      t = await startIsolatedApp({ AWS_ENDPOINT_URL: aws.url, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1' });
      org = await registerOrganization(t);
    });
    afterAll(async () => t?.close());

    async function verified(id: string): Promise<Record<string, any> | undefined> {
      const response = await org.admin.get(`/credentials/${id}`);
      return response.body.lastVerifiedAt ? response.body : undefined;
    }

    it('valid keys become isValid true; a wrong secret isValid false with the reason; without calling verify', async () => {
      const good = keys();
      const bad = keys(true);
      const valid = await org.admin.post(
        '/credentials',
        awsCredentialBody({ credentialData: { accessKeyId: good.accessKeyId, secretAccessKey: good.secretAccessKey } }),
      );
      const wrong = await org.admin.post(
        '/credentials',
        awsCredentialBody({ credentialData: { accessKeyId: bad.accessKeyId, secretAccessKey: bad.secretAccessKey } }),
      );
      expect([valid.status, wrong.status]).toEqual([201, 201]);
      expect(valid.body).toMatchObject({ isValid: null, lastVerifiedAt: null, verificationError: null });

      const [goodState, badState] = await Promise.all([waitFor(() => verified(valid.body.id)), waitFor(() => verified(wrong.body.id))]);
      expect(goodState).toMatchObject({ isValid: true, verificationError: null });
      expect(goodState!.lastVerifiedAt).toMatch(ISO_UTC);
      expect(badState).toMatchObject({ isValid: false, verificationError: WRONG_SECRET_REASON });
      expect(JSON.stringify(badState)).not.toContain(bad.secretAccessKey);
      expect(aws.state.requestsFor('GetCallerIdentity').some((r) => r.accessKeyId === good.accessKeyId && r.status === 200)).toBe(true);

      const { rows } = await t.db.query(`SELECT is_valid, verification_error FROM credentials WHERE id = ANY($1) ORDER BY is_valid DESC`, [
        [valid.body.id, wrong.body.id],
      ]);
      expect(rows).toEqual([
        { is_valid: true, verification_error: null },
        { is_valid: false, verification_error: WRONG_SECRET_REASON },
      ]);
      const audit = await t.db.query(
        `SELECT resource_id, result, actor_type FROM audit_logs WHERE event_type = 'CREDENTIAL_VERIFY' AND organization_id = $1`,
        [org.id],
      );
      expect(audit.rows).toEqual(
        expect.arrayContaining([
          { resource_id: valid.body.id, result: 'SUCCESS', actor_type: 'SYSTEM' },
          { resource_id: wrong.body.id, result: 'FAILURE', actor_type: 'SYSTEM' },
        ]),
      );
    });

    it('a GCP credential gets isValid null and a verificationError saying it is not supported yet', async () => {
      const created = await org.admin.post('/credentials', gcpCredentialBody());
      expect(created.status).toBe(201);
      const state = await waitFor(() => verified(created.body.id));
      expect(state).toMatchObject({ isValid: null, verificationError: 'Verification for GCP is not supported yet' });
    });

    it('rotating keys in place sets isValid back to null, then the job verifies the new keys', async () => {
      const bad = keys(true);
      const created = (
        await org.admin.post(
          '/credentials',
          awsCredentialBody({ credentialData: { accessKeyId: bad.accessKeyId, secretAccessKey: bad.secretAccessKey } }),
        )
      ).body;
      expect(await waitFor(() => verified(created.id))).toMatchObject({ isValid: false });
      const rotated = await org.admin.patch(`/credentials/${created.id}`, {
        credentialData: { accessKeyId: bad.accessKeyId, secretAccessKey: bad.realSecret },
      });
      expect(rotated.status).toBe(200);
      expect(rotated.body.isValid).toBeNull();
      const state = await waitFor(async () => {
        const body = (await org.admin.get(`/credentials/${created.id}`)).body;
        return body.isValid === true ? body : undefined;
      });
      expect(state).toMatchObject({ isValid: true, verificationError: null });
    });
  });

  describe('POST /credentials/{id}/verify', () => {
    let t: TestApp;
    let org: TestOrganization;
    beforeAll(async () => {
      t = await startIsolatedApp({ AWS_ENDPOINT_URL: aws.url });
      org = await registerOrganization(t);
    });
    afterAll(async () => t?.close());

    async function create(body: Record<string, unknown>): Promise<Record<string, any>> {
      const response = await org.admin.post('/credentials', body);
      expect(response.status).toBe(201);
      return response.body;
    }

    it('valid keys: 200 with isValid true and lastVerifiedAt; one CREDENTIAL_VERIFY SUCCESS row by the admin', async () => {
      const good = keys();
      const credential = await create(
        awsCredentialBody({ credentialData: { accessKeyId: good.accessKeyId, secretAccessKey: good.secretAccessKey } }),
      );
      const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post(`/credentials/${credential.id}/verify`));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(CREDENTIAL_KEYS);
      expect(response.body).toMatchObject({ id: credential.id, isValid: true, verificationError: null });
      expect(response.body.lastVerifiedAt).toMatch(ISO_UTC);
      expectSingleAuditRow(added, { eventType: 'CREDENTIAL_VERIFY', actorEmail: org.email, resourceId: credential.id, result: 'SUCCESS' });
      expect((await t.db.query('SELECT is_valid FROM credentials WHERE id = $1', [credential.id])).rows[0].is_valid).toBe(true);
    });

    it('a wrong secret: 200 with the verdict isValid false and the reason; one FAILURE row', async () => {
      const bad = keys(true);
      const credential = await create(
        awsCredentialBody({ credentialData: { accessKeyId: bad.accessKeyId, secretAccessKey: bad.secretAccessKey } }),
      );
      const { result: response, added } = await withAuditDelta(t, org.id, () => org.admin.post(`/credentials/${credential.id}/verify`));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ isValid: false, verificationError: WRONG_SECRET_REASON });
      expect(response.text).not.toContain(bad.secretAccessKey);
      const audit = expectSingleAuditRow(added, {
        eventType: 'CREDENTIAL_VERIFY',
        actorEmail: org.email,
        resourceId: credential.id,
        result: 'FAILURE',
        errorCode: 'VERIFICATION_FAILED',
      });
      expect(audit.error_message).toBe(WRONG_SECRET_REASON);
    });

    it('an unknown access key id: 200 with isValid false', async () => {
      const credential = await create(awsCredentialBody({ credentialData: { accessKeyId: uniqueAccessKeyId(), secretAccessKey: 'x' } }));
      const response = await org.admin.post(`/credentials/${credential.id}/verify`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ isValid: false, verificationError: 'AWS refused the keys: the access key id is not valid.' });
    });

    it('GCP: 200 with isValid null and "not supported yet"', async () => {
      const credential = await create(gcpCredentialBody());
      const response = await org.admin.post(`/credentials/${credential.id}/verify`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ isValid: null, verificationError: 'Verification for GCP is not supported yet' });
      expect(response.body.lastVerifiedAt).toMatch(ISO_UTC);
    });

    it('after rotating to the right secret, the same resource verifies with no re-linking', async () => {
      const bad = keys(true);
      const credential = await create(
        awsCredentialBody({ credentialData: { accessKeyId: bad.accessKeyId, secretAccessKey: bad.secretAccessKey } }),
      );
      const groupId = uniqueGroupId();
      aws.state.addSecurityGroup('eu-west-1', { groupId });
      const resource = (await org.admin.post('/resources', awsResourceBody(credential.id, { resourceIdentifier: groupId }))).body;
      expectError(await org.admin.post(`/resources/${resource.id}/verify`), 400, 'VERIFICATION_FAILED');

      const rotated = await org.admin.patch(`/credentials/${credential.id}`, {
        credentialData: { accessKeyId: bad.accessKeyId, secretAccessKey: bad.realSecret },
      });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ isValid: null, resourceCount: 1 });
      expect((await org.admin.post(`/credentials/${credential.id}/verify`)).body.isValid).toBe(true);
      const verified = await org.admin.post(`/resources/${resource.id}/verify`);
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ credentialId: credential.id, isActive: true });
    });

    it("another organization's credential: 404 CREDENTIAL_NOT_FOUND like a random id, and its state is untouched", async () => {
      const other = await registerOrganization(t, 'Other');
      const foreign = (await other.admin.post('/credentials', awsCredentialBody())).body;
      const random = randomUUID();
      const a = await org.admin.post(`/credentials/${foreign.id}/verify`);
      const b = await org.admin.post(`/credentials/${random}/verify`);
      expectError(a, 404, 'CREDENTIAL_NOT_FOUND');
      expectError(b, 404, 'CREDENTIAL_NOT_FOUND');
      expect(a.body.message).toBe(`Credential with ID ${foreign.id} not found`);
      const { rows } = await t.db.query('SELECT is_valid, last_verified_at FROM credentials WHERE id = $1', [foreign.id]);
      expect(rows[0]).toEqual({ is_valid: null, last_verified_at: null });
    });
  });
});
