import { randomUUID } from 'node:crypto';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ApiClient, expectError } from '../harness/api-client';
import { auditRows, awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { AwsFakeServer, startAwsFakeServer } from '../fakes/aws-fake-server';
import { startApisixFakeServer, type ApisixFakeServer } from '../fakes/apisix-fake-server';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

type Keys = { accessKeyId: string; secretAccessKey: string };

/** §19: revoking keys at the provider in the call that retires them, against the IAM-compatible fake. */
describe('revoking keys at the provider (§19)', () => {
  let t: TestApp;
  let aws: AwsFakeServer;
  let apisix: ApisixFakeServer;
  let org: TestOrganization;

  beforeAll(async () => {
    aws = await startAwsFakeServer({});
    apisix = await startApisixFakeServer({ adminKey: 'apisix-admin-key-for-revocation-tests' });
    t = await startTestApp({ AWS_ENDPOINT_URL: aws.url });
    org = await registerOrganization(t, 'Revocation');
  });
  afterAll(async () => {
    await t.close();
    await aws.close();
    await apisix.close();
  });

  /** Keys the fake knows, for one IAM user of one account. */
  function keysFor(userName: string, account = ACCOUNT, allowedActions?: string[]): Keys {
    const keys = {
      accessKeyId: `AKIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`,
      secretAccessKey: `secret-${randomUUID()}`,
    };
    aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: account, userName, allowedActions });
    return keys;
  }

  async function storedCredential(keys: Keys) {
    const created = await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('Revocable'), credentialData: keys }));
    expect(created.status).toBe(201);
    return created.body as { id: string; name: string };
  }

  async function row(id: string) {
    return (await t.db.query('SELECT ciphertext, iv, auth_tag, key_version, updated_at FROM credentials WHERE id = $1', [id])).rows[0];
  }

  const sts = (keys: Keys) => new STSClient({ region: 'us-east-1', endpoint: aws.url, credentials: keys, maxAttempts: 1 });
  const ec2 = (keys: Keys) => new EC2Client({ region: REGION, endpoint: aws.url, credentials: keys, maxAttempts: 1 });

  describe('DELETE /credentials/{id}?revokeAtProvider=true', () => {
    it('deactivates the key at AWS, then deletes: afterwards the old keys no longer work at STS or EC2', async () => {
      const keys = keysFor(uniqueName('user'));
      const credential = await storedCredential(keys);
      const response = await org.admin.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(aws.state.accounts.get(keys.accessKeyId)?.status).toBe('Inactive');
      await expect(sts(keys).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
      await expect(ec2(keys).send(new DescribeSecurityGroupsCommand({}))).rejects.toMatchObject({ name: 'AuthFailure' });
      expect(await row(credential.id)).toBeUndefined();
      const audit = (await auditRows(t, org.id)).find((r) => r.event_type === 'CREDENTIAL_DELETE' && r.resource_id === credential.id);
      expect(audit).toMatchObject({ result: 'SUCCESS', details: { revokedAtProvider: true, revokedKeyId: keys.accessKeyId } });
      expect(JSON.stringify(audit)).not.toContain(keys.secretAccessKey);
    });

    it('keeps the seed order: 404 for an unknown id, CREDENTIAL_IN_USE before any provider call', async () => {
      expectError(await org.admin.delete(`/credentials/${randomUUID()}?revokeAtProvider=true`), 404, 'CREDENTIAL_NOT_FOUND');
      const keys = keysFor(uniqueName('user'));
      const credential = await storedCredential(keys);
      const resource = awsResourceBody(credential.id, { region: REGION });
      expect((await org.admin.post('/resources', resource)).status).toBe(201);
      aws.state.clearRequests();
      const refused = await org.admin.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
      expectError(refused, 400, 'CREDENTIAL_IN_USE');
      expect(refused.body.message).toBe('Cannot delete credential linked to 1 active resource. Delete or reassign resources first.');
      expect(aws.state.requestsFor('UpdateAccessKey')).toHaveLength(0);
      expect(aws.state.accounts.get(keys.accessKeyId)?.status).toBeUndefined();
    });

    it("another organization's id: the same 404 as a random one, before any call to AWS", async () => {
      const keys = keysFor(uniqueName('user'));
      const credential = await storedCredential(keys);
      const other = await registerOrganization(t, 'Revocation Other');
      aws.state.clearRequests();
      const refused = await other.admin.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
      expectError(refused, 404, 'CREDENTIAL_NOT_FOUND');
      expect(refused.body.message).toBe(`Credential with ID ${credential.id} not found`);
      expect(aws.state.requests).toHaveLength(0);
      expect(aws.state.accounts.get(keys.accessKeyId)?.status).toBeUndefined();
      expect(await row(credential.id)).toBeDefined();
    });

    it('temporary keys (with a session token) cannot be deactivated: 400 VALIDATION_ERROR naming the flag, nothing deleted', async () => {
      const keys = keysFor(uniqueName('user'));
      aws.state.accounts.get(keys.accessKeyId)!.sessionToken = 'session-token-for-revocation-tests';
      const credential = await storedCredential({ ...keys, sessionToken: 'session-token-for-revocation-tests' } as Keys);
      const refused = await org.admin.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
      expectError(refused, 400, 'VALIDATION_ERROR');
      expect(refused.body.details).toEqual([{ field: 'revokeAtProvider', message: expect.stringContaining('temporary AWS keys') }]);
      expect(aws.state.requestsFor('UpdateAccessKey')).toHaveLength(0);
      expect(await row(credential.id)).toBeDefined();
    });

    it('stored keys no configured key opens: 400 PROVIDER_REVOCATION_FAILED, not a 500, nothing deleted', async () => {
      const credential = await storedCredential(keysFor(uniqueName('user')));
      await t.db.query('UPDATE credentials SET auth_tag = $2 WHERE id = $1', [credential.id, Buffer.alloc(16, 1)]);
      const refused = await org.admin.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
      expectError(refused, 400, 'PROVIDER_REVOCATION_FAILED');
      expect(refused.body.message).toContain('could not be decrypted');
      expect(await row(credential.id)).toBeDefined();
    });

    it('IAM access denied: 400 PROVIDER_REVOCATION_FAILED, and the credential and its ciphertext are unchanged', async () => {
      const keys = keysFor(uniqueName('user'), ACCOUNT, ['GetCallerIdentity', 'ec2:*']);
      const credential = await storedCredential(keys);
      const before = await row(credential.id);
      const refused = await org.admin.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
      expectError(refused, 400, 'PROVIDER_REVOCATION_FAILED');
      expect(refused.body.message).toBe(
        'The provider did not revoke the key, so nothing was changed. AWS denied UpdateAccessKey: these keys lack the permission iam:UpdateAccessKey.',
      );
      expect(await row(credential.id)).toEqual(before);
      expect(aws.state.accounts.get(keys.accessKeyId)?.status).toBeUndefined();
      const audit = (await auditRows(t, org.id)).find((r) => r.event_type === 'CREDENTIAL_DELETE' && r.resource_id === credential.id);
      expect(audit).toMatchObject({ result: 'FAILURE', error_code: 'PROVIDER_REVOCATION_FAILED' });
      expect(JSON.stringify(audit)).not.toContain(keys.secretAccessKey);
      // Without the flag the seed's delete still works.
      expect((await org.admin.delete(`/credentials/${credential.id}`)).status).toBe(204);
    });

    it('IAM unreachable: 400 PROVIDER_REVOCATION_FAILED, nothing deleted', async () => {
      const unreachable = await startTestApp({
        AWS_ENDPOINT_URL: aws.url,
        AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9',
        PROVIDER_TIMEOUT_MS: '1000',
      });
      try {
        const client = new ApiClient(unreachable.baseUrl, org.auth.accessToken);
        const keys = keysFor(uniqueName('user'));
        const credential = (await client.post('/credentials', awsCredentialBody({ name: uniqueName('Unreachable'), credentialData: keys })))
          .body;
        const before = await row(credential.id);
        const refused = await client.delete(`/credentials/${credential.id}?revokeAtProvider=true`);
        expectError(refused, 400, 'PROVIDER_REVOCATION_FAILED');
        expect(refused.body.message).toMatch(/Could not reach the AWS IAM endpoint/);
        expect(await row(credential.id)).toEqual(before);
      } finally {
        await unreachable.close();
      }
    });

    it('on APISIX: 400 VALIDATION_ERROR naming the flag and the provider, nothing deleted', async () => {
      const created = await org.admin.post('/credentials', {
        name: uniqueName('Gateway'),
        provider: 'APISIX',
        credentialType: 'ADMIN_KEY',
        credentialData: { adminUrl: apisix.url, adminKey: 'apisix-admin-key-for-revocation-tests' },
      });
      expect(created.status).toBe(201);
      const refused = await org.admin.delete(`/credentials/${created.body.id}?revokeAtProvider=true`);
      expectError(refused, 400, 'VALIDATION_ERROR');
      expect(refused.body.details).toEqual([
        { field: 'revokeAtProvider', message: expect.stringContaining('not available for APISIX credentials') },
      ]);
      expect(await row(created.body.id)).toBeDefined();
    });

    it('refuses a flag value other than true or false', async () => {
      const credential = await storedCredential(keysFor(uniqueName('user')));
      const refused = await org.admin.delete(`/credentials/${credential.id}?revokeAtProvider=yes`);
      expectError(refused, 400, 'VALIDATION_ERROR');
      expect(refused.body.details).toEqual([expect.objectContaining({ field: 'revokeAtProvider' })]);
      expect(await row(credential.id)).toBeDefined();
    });
  });

  describe('PATCH /credentials/{id} with credentialData and revokePreviousKeys: one call for a compromised key', () => {
    it('checks the new keys, deactivates the old key with them, then stores them', async () => {
      const user = uniqueName('user');
      const old = keysFor(user);
      const fresh = keysFor(user);
      const credential = await storedCredential(old);
      const response = await org.admin.patch(`/credentials/${credential.id}`, { credentialData: fresh, revokePreviousKeys: true });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: credential.id, isValid: null });
      expect(aws.state.accounts.get(old.accessKeyId)?.status).toBe('Inactive');
      expect(aws.state.accounts.get(fresh.accessKeyId)?.status).toBeUndefined();
      const update = aws.state.requestsFor('UpdateAccessKey').at(-1);
      expect(update).toMatchObject({ accessKeyId: fresh.accessKeyId, status: 200 });
      // The stored keys are the new ones: verification through the API succeeds with them.
      const verified = await org.admin.post(`/credentials/${credential.id}/verify`);
      expect(verified.body.isValid).toBe(true);
      const audit = (await auditRows(t, org.id)).find((r) => r.event_type === 'CREDENTIAL_UPDATE' && r.resource_id === credential.id);
      expect(audit).toMatchObject({ details: { keysRotated: true, revokedAtProvider: true, revokedKeyId: old.accessKeyId } });
      expect(JSON.stringify(audit)).not.toContain(old.secretAccessKey);
    });

    it('new keys of another account: 400 VERIFICATION_FAILED, nothing revoked, nothing stored', async () => {
      const old = keysFor(uniqueName('user'));
      const foreign = keysFor(uniqueName('user'), '999988887777');
      const credential = await storedCredential(old);
      const before = await row(credential.id);
      const refused = await org.admin.patch(`/credentials/${credential.id}`, { credentialData: foreign, revokePreviousKeys: true });
      expectError(refused, 400, 'VERIFICATION_FAILED');
      expect(refused.body.message).toContain('account 999988887777');
      expect(await row(credential.id)).toEqual(before);
      expect(aws.state.accounts.get(old.accessKeyId)?.status).toBeUndefined();
    });

    it('new keys that do not work: 400 VERIFICATION_FAILED, nothing changed', async () => {
      const old = keysFor(uniqueName('user'));
      const credential = await storedCredential(old);
      const before = await row(credential.id);
      const bogus = { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'nobody-knows-this-secret' };
      const refused = await org.admin.patch(`/credentials/${credential.id}`, { credentialData: bogus, revokePreviousKeys: true });
      expectError(refused, 400, 'VERIFICATION_FAILED');
      expect(refused.text).not.toContain(bogus.secretAccessKey);
      expect(await row(credential.id)).toEqual(before);
      const audit = (await auditRows(t, org.id)).filter((r) => r.event_type === 'CREDENTIAL_UPDATE' && r.resource_id === credential.id);
      expect(audit).toEqual([expect.objectContaining({ result: 'FAILURE', error_code: 'VERIFICATION_FAILED' })]);
      expect(JSON.stringify(audit)).not.toContain(bogus.secretAccessKey);
    });

    it('the stored keys sent as the new keys: 400 VERIFICATION_FAILED before any call to AWS, nothing changed', async () => {
      const old = keysFor(uniqueName('user'));
      const credential = await storedCredential(old);
      const before = await row(credential.id);
      aws.state.clearRequests();
      const refused = await org.admin.patch(`/credentials/${credential.id}`, { credentialData: old, revokePreviousKeys: true });
      expectError(refused, 400, 'VERIFICATION_FAILED');
      expect(refused.body.message).toContain('the stored keys');
      expect(aws.state.requests).toHaveLength(0);
      expect(await row(credential.id)).toEqual(before);
    });

    it('revocation refused (the new keys lack iam:UpdateAccessKey): 400 PROVIDER_REVOCATION_FAILED, old keys still stored and active', async () => {
      const user = uniqueName('user');
      const old = keysFor(user);
      const fresh = keysFor(user, ACCOUNT, ['GetCallerIdentity', 'GetAccessKeyInfo', 'ec2:*']);
      const credential = await storedCredential(old);
      const before = await row(credential.id);
      const refused = await org.admin.patch(`/credentials/${credential.id}`, { credentialData: fresh, revokePreviousKeys: true });
      expectError(refused, 400, 'PROVIDER_REVOCATION_FAILED');
      expect(await row(credential.id)).toEqual(before);
      expect(aws.state.accounts.get(old.accessKeyId)?.status).toBeUndefined();
    });

    it('revokePreviousKeys without credentialData is 400 naming the flag; on APISIX it names the provider', async () => {
      const credential = await storedCredential(keysFor(uniqueName('user')));
      const alone = await org.admin.patch(`/credentials/${credential.id}`, { name: uniqueName('Renamed'), revokePreviousKeys: true });
      expectError(alone, 400, 'VALIDATION_ERROR');
      expect(alone.body.details).toEqual([expect.objectContaining({ field: 'revokePreviousKeys' })]);

      const gateway = await org.admin.post('/credentials', {
        name: uniqueName('Gateway'),
        provider: 'APISIX',
        credentialType: 'ADMIN_KEY',
        credentialData: { adminUrl: apisix.url, adminKey: 'apisix-admin-key-for-revocation-tests' },
      });
      const before = await row(gateway.body.id);
      const refused = await org.admin.patch(`/credentials/${gateway.body.id}`, {
        credentialData: { adminUrl: apisix.url, adminKey: 'a-new-apisix-admin-key-000000001' },
        revokePreviousKeys: true,
      });
      expectError(refused, 400, 'VALIDATION_ERROR');
      expect(refused.body.details).toEqual([
        { field: 'revokePreviousKeys', message: expect.stringContaining('not available for APISIX credentials') },
      ]);
      expect(await row(gateway.body.id)).toEqual(before);
    });
  });
});
