import { EC2Client } from '@aws-sdk/client-ec2';
import { Test } from '@nestjs/testing';
import {
  AwsSecurityGroupAdapter,
  PROVIDERS,
  ProviderRegistry,
  ProvidersModule,
  UnsupportedProviderAdapter,
  type CredentialSecret,
  type ResourceTarget,
} from '@app/providers';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';

describe('ProvidersModule / ProviderRegistry', () => {
  let fake: AwsFakeServer;

  beforeAll(async () => {
    fake = await startAwsFakeServer({
      accounts: { AKIAREGISTRY00000001: { secretAccessKey: 'registry-secret-0001', accountId: '999988887777' } },
      securityGroups: { 'eu-central-1': [{ groupId: 'sg-0feedfacecafe0001', groupName: 'registry', ingress: [] }] },
    });
  });
  afterAll(() => fake.close());

  it('wires the AWS adapter to the configured endpoint through Nest DI', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ProvidersModule.forRoot({ awsEndpointUrl: fake.url, timeoutMs: 2000 })],
    }).compile();
    const registry = moduleRef.get(ProviderRegistry);
    const aws = registry.adapterFor('AWS');
    expect(aws).toBeInstanceOf(AwsSecurityGroupAdapter);
    expect(aws.provider).toBe('AWS');
    const secret: CredentialSecret = {
      provider: 'AWS',
      data: { accessKeyId: 'AKIAREGISTRY00000001', secretAccessKey: 'registry-secret-0001' },
    };
    expect(await aws.verifyCredential(secret)).toEqual({ ok: true, detail: 'The keys work for AWS account 999988887777.' });
    expect(fake.state.requestsFor('GetCallerIdentity')).toHaveLength(1);
    await moduleRef.close();
  });

  it('destroys the EC2 clients it kept for calls when the app shuts down', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ProvidersModule.forRoot({ awsEndpointUrl: fake.url, timeoutMs: 2000 })],
    }).compile();
    const aws = moduleRef.get(ProviderRegistry).adapterFor('AWS');
    const secret: CredentialSecret = {
      provider: 'AWS',
      data: { accessKeyId: 'AKIAREGISTRY00000001', secretAccessKey: 'registry-secret-0001' },
    };
    const target: ResourceTarget = {
      provider: 'AWS',
      resourceType: 'SECURITY_GROUP',
      resourceIdentifier: 'sg-0feedfacecafe0001',
      region: 'eu-central-1',
      config: { protocol: 'tcp', port: 443 },
    };
    const destroyed = jest.spyOn(EC2Client.prototype, 'destroy');
    try {
      // Two calls with one key and region: one client, kept between them.
      expect(await aws.applyRules(secret, target, [{ cidr: '192.0.2.10/32', description: 'EntryGuard registry test' }])).toMatchObject({
        ok: true,
      });
      expect(await aws.removeRules(secret, target, ['192.0.2.10/32'])).toMatchObject({ ok: true });
      expect(destroyed).not.toHaveBeenCalled();
      await moduleRef.close();
      expect(destroyed).toHaveBeenCalledTimes(1);
    } finally {
      destroyed.mockRestore();
    }
  });

  it('has an adapter for every provider, each reporting its own name', () => {
    const registry = new ProviderRegistry({});
    expect(PROVIDERS.map((p) => registry.adapterFor(p).provider)).toEqual(['AWS', 'GCP', 'AZURE', 'APISIX']);
  });

  it.each(['GCP', 'AZURE'] as const)('answers honestly that %s is not supported yet, on every call', async (provider) => {
    const adapter = new ProviderRegistry({}).adapterFor(provider);
    expect(adapter).toBeInstanceOf(UnsupportedProviderAdapter);
    const secret = { provider, data: {} } as unknown as CredentialSecret;
    const target = { provider, resourceType: 'NSG', resourceIdentifier: 'x', region: null, config: {} } as ResourceTarget;
    const rule = { cidr: '192.0.2.1/32', description: 'x' };
    expect(await adapter.verifyCredential(secret)).toEqual({
      ok: false,
      kind: 'UNSUPPORTED',
      reason: `Verification for ${provider} is not supported yet`,
    });
    expect(await adapter.verifyResource(secret, target)).toEqual({
      ok: false,
      kind: 'UNSUPPORTED',
      reason: `Verification for ${provider} is not supported yet`,
    });
    expect(await adapter.applyRules(secret, target, [rule])).toEqual({
      ok: false,
      kind: 'UNSUPPORTED',
      reason: `Opening access for ${provider} is not supported yet`,
    });
    expect(await adapter.removeRules(secret, target, [rule.cidr])).toEqual({
      ok: false,
      kind: 'UNSUPPORTED',
      reason: `Closing access for ${provider} is not supported yet`,
    });
    expect(await adapter.listRules(secret, target)).toEqual({
      ok: false,
      kind: 'UNSUPPORTED',
      reason: `Reading firewall rules for ${provider} is not supported yet`,
    });
  });

  it('throws for a provider name outside the union (a bug, not an outcome)', () => {
    expect(() => new ProviderRegistry({}).adapterFor('ORACLE' as never)).toThrow(
      'Unknown provider "ORACLE"; expected one of AWS, GCP, AZURE, APISIX',
    );
  });
});
