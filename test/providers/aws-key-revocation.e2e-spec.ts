import { IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { AwsSecurityGroupAdapter, resolveProvidersOptions, type CredentialSecret } from '@app/providers';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';

const OLD = { accessKeyId: 'AKIAOLDKEY0000000001', secretAccessKey: 'old-secret-for-revocation-0001' };
const NEW = { accessKeyId: 'AKIANEWKEY0000000002', secretAccessKey: 'new-secret-for-revocation-0002' };
const OTHER_ACCOUNT = { accessKeyId: 'AKIAOTHERACCT0000003', secretAccessKey: 'other-account-secret-00000003' };
const OTHER_USER = { accessKeyId: 'AKIAOTHERUSER0000004', secretAccessKey: 'other-user-secret-000000000004' };
const aws = (data: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): CredentialSecret => ({
  provider: 'AWS',
  data,
});

/** §19 at the adapter: IAM's UpdateAccessKey against the fake, which checks SigV4 and key status. */
describe('AWS key revocation (iam:UpdateAccessKey) against the IAM-compatible fake', () => {
  let fake: AwsFakeServer;
  let adapter: AwsSecurityGroupAdapter;

  beforeEach(async () => {
    fake = await startAwsFakeServer({
      accounts: {
        [OLD.accessKeyId]: { secretAccessKey: OLD.secretAccessKey, accountId: '111122223333', userName: 'deployer' },
        [NEW.accessKeyId]: { secretAccessKey: NEW.secretAccessKey, accountId: '111122223333', userName: 'deployer' },
        [OTHER_ACCOUNT.accessKeyId]: { secretAccessKey: OTHER_ACCOUNT.secretAccessKey, accountId: '999988887777', userName: 'deployer' },
        [OTHER_USER.accessKeyId]: { secretAccessKey: OTHER_USER.secretAccessKey, accountId: '111122223333', userName: 'someone-else' },
      },
      securityGroups: { 'eu-west-1': [{ groupId: 'sg-0123456789abcdef0' }] },
    });
    adapter = new AwsSecurityGroupAdapter(resolveProvidersOptions({ awsEndpointUrl: fake.url, timeoutMs: 2000, retryBaseDelayMs: 1 }));
  });
  afterEach(() => fake.close());

  const listKeys = async (keys: typeof NEW) => {
    const iam = new IAMClient({ region: 'us-east-1', endpoint: fake.url, credentials: keys, maxAttempts: 1 });
    const out = await iam.send(new ListAccessKeysCommand({}));
    iam.destroy();
    return (out.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]);
  };

  it('deactivates a key with its own keys; afterwards STS, EC2 and IAM refuse it', async () => {
    expect(await adapter.keyRevocation.deactivate(aws(OLD), aws(OLD))).toEqual({ ok: true, revokedKeyId: OLD.accessKeyId });
    expect(fake.state.accounts.get(OLD.accessKeyId)?.status).toBe('Inactive');
    expect(await adapter.verifyCredential(aws(OLD))).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    const group = {
      provider: 'AWS' as const,
      resourceType: 'SECURITY_GROUP' as const,
      resourceIdentifier: 'sg-0123456789abcdef0',
      region: 'eu-west-1',
      config: {},
    };
    expect(await adapter.verifyResource(aws(OLD), group)).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    expect(await adapter.keyRevocation.deactivate(aws(OLD), aws(OLD))).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    expect(await listKeys(NEW)).toEqual([
      [OLD.accessKeyId, 'Inactive'],
      [NEW.accessKeyId, 'Active'],
    ]);
    expect(fake.state.requestsFor('UpdateAccessKey')[0]).toMatchObject({ service: 'iam', status: 200, accessKeyId: OLD.accessKeyId });
  });

  it('deactivates the old key with the new keys of the same user, and the new keys keep working', async () => {
    expect(await adapter.keyRevocation.deactivate(aws(NEW), aws(OLD))).toEqual({ ok: true, revokedKeyId: OLD.accessKeyId });
    expect(await adapter.verifyCredential(aws(NEW))).toMatchObject({ ok: true });
    expect(await adapter.verifyCredential(aws(OLD))).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
  });

  it('names the account of a key, asked with other keys, even once that key is dead', async () => {
    expect(await adapter.keyRevocation.identify(aws(NEW))).toEqual({ ok: true, account: '111122223333', keyId: NEW.accessKeyId });
    await adapter.keyRevocation.deactivate(aws(OLD), aws(OLD));
    expect(await adapter.keyRevocation.accountOfKey(aws(NEW), aws(OLD))).toEqual({ ok: true, account: '111122223333' });
    expect(await adapter.keyRevocation.accountOfKey(aws(NEW), aws(OTHER_ACCOUNT))).toEqual({ ok: true, account: '999988887777' });
  });

  it('is refused when the keys lack iam:UpdateAccessKey, and the key stays active', async () => {
    fake.state.accounts.get(OLD.accessKeyId)!.allowedActions = ['GetCallerIdentity', 'ec2:*'];
    const outcome = await adapter.keyRevocation.deactivate(aws(OLD), aws(OLD));
    expect(outcome).toEqual({
      ok: false,
      kind: 'ACCESS_DENIED',
      reason: 'AWS denied UpdateAccessKey: these keys lack the permission iam:UpdateAccessKey.',
    });
    expect(fake.state.accounts.get(OLD.accessKeyId)?.status).toBeUndefined();
  });

  it("cannot deactivate another user's key without naming that user", async () => {
    const outcome = await adapter.keyRevocation.deactivate(aws(OTHER_USER), aws(OLD));
    expect(outcome).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
    expect(fake.state.accounts.get(OLD.accessKeyId)?.status).toBeUndefined();
  });

  it('reports IAM unreachable as UNREACHABLE, and refuses temporary keys without calling', async () => {
    const down = new AwsSecurityGroupAdapter(resolveProvidersOptions({ awsEndpointUrl: 'http://127.0.0.1:9', timeoutMs: 1000 }));
    expect(await down.keyRevocation.deactivate(aws(OLD), aws(OLD))).toMatchObject({ ok: false, kind: 'UNREACHABLE' });
    const temporary = aws({ ...OLD, sessionToken: 'session-token-value-0000000001' });
    expect(await adapter.keyRevocation.deactivate(aws(OLD), temporary)).toMatchObject({ ok: false, kind: 'UNSUPPORTED' });
    expect(fake.state.requestsFor('UpdateAccessKey')).toHaveLength(0);
  });

  it('checks SigV4 on IAM calls: a wrong secret is refused', async () => {
    const outcome = await adapter.keyRevocation.deactivate(aws({ ...OLD, secretAccessKey: 'wrong-secret-000000000000000' }), aws(OLD));
    expect(outcome).toMatchObject({ ok: false, kind: 'INVALID_CREDENTIALS' });
    expect(fake.state.requestsFor('UpdateAccessKey')[0]).toMatchObject({ errorCode: 'SignatureDoesNotMatch' });
    expect(JSON.stringify(outcome)).not.toContain('wrong-secret');
  });
});
