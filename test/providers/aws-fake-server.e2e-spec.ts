import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';

/** The adapter tests lean on the fake refusing bad signatures; prove it checks more than the key id. */
describe('AWS fake server signature checks', () => {
  let fake: AwsFakeServer;
  const credentials = { accessKeyId: 'AKIAFAKETEST00000001', secretAccessKey: 'fake-test-secret-0001' };

  beforeEach(async () => {
    fake = await startAwsFakeServer({
      accounts: { [credentials.accessKeyId]: { secretAccessKey: credentials.secretAccessKey, accountId: '123412341234' } },
      securityGroups: { 'us-east-2': [{ groupId: 'sg-11112222333344445' }] },
    });
  });
  afterEach(() => fake.close());

  const client = () => new EC2Client({ region: 'us-east-2', endpoint: fake.url, credentials, maxAttempts: 1 });

  it('accepts a correctly signed SDK request', async () => {
    const out = await client().send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-11112222333344445'] }));
    expect(out.SecurityGroups?.map((g) => g.GroupId)).toEqual(['sg-11112222333344445']);
  });

  it('refuses a request whose body changed after signing', async () => {
    const ec2 = client();
    ec2.middlewareStack.addRelativeTo(
      (next: (args: any) => Promise<any>) => async (args: any) => {
        args.request.body = String(args.request.body).replace('sg-11112222333344445', 'sg-99998888777766665');
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamperAfterSigning' },
    );
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-11112222333344445'] }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    expect(fake.state.requests.map((r) => r.errorCode)).toEqual(['SignatureDoesNotMatch']);
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(fake.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeSecurityGroups&Version=2016-11-15',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AuthFailure</Code>');
  });

  describe('EC2 ingress like the real service', () => {
    const authorize = (cidrs: string[]) =>
      client().send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: 'sg-11112222333344445',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: cidrs.map((CidrIp) => ({ CidrIp })) }],
        }),
      );

    it('refuses the same permission twice in one call, adding nothing', async () => {
      await expect(authorize(['192.0.2.1/32', '192.0.2.1/32'])).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      expect(fake.state.ingress('us-east-2', 'sg-11112222333344445')).toEqual([]);
    });

    it('enforces the rule limit atomically (default 60 per group), with AWS code and message', async () => {
      expect(fake.state.ruleLimit).toBe(60);
      await authorize(Array.from({ length: 59 }, (_, i) => `192.0.2.${i + 1}/32`));
      await expect(authorize(['198.51.100.1/32', '198.51.100.2/32'])).rejects.toMatchObject({
        name: 'RulesPerSecurityGroupLimitExceeded',
        message: 'The maximum number of rules per security group has been reached.',
        $metadata: { httpStatusCode: 400 },
      });
      expect(fake.state.ingress('us-east-2', 'sg-11112222333344445')).toHaveLength(59);
      await authorize(['198.51.100.1/32']);
      expect(fake.state.ingress('us-east-2', 'sg-11112222333344445')).toHaveLength(60);
    });

    it('counts calls per action, throttled ones included, until reset', async () => {
      fake.state.throttleNext(1);
      await expect(authorize(['192.0.2.1/32'])).rejects.toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
      await authorize(['192.0.2.1/32']);
      await client().send(new DescribeSecurityGroupsCommand({}));
      expect(fake.state.callCounts()).toEqual({ AuthorizeSecurityGroupIngress: 2, DescribeSecurityGroups: 1 });
      fake.state.resetCounters();
      expect(fake.state.callCounts()).toEqual({});
    });
  });
});
