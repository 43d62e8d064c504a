import { createServer } from 'node:net';
import {
  AwsSecurityGroupAdapter,
  resolveProvidersOptions,
  type CredentialSecret,
  type ProvidersOptions,
  type ResourceTarget,
} from '@app/providers';
import { startAwsFakeServer, type AwsFakeSeed, type AwsFakeServer } from '../fakes/aws-fake-server';
import { recordOutcomes, type AnyOutcome } from './outcome-recorder';

export const ACCESS_KEY_ID = 'AKIAEXAMPLE000000001';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const OTHER_SECRET = 'this-is-not-the-right-secret-key-0000000';
export const REGION = 'eu-central-1';
export const GROUP = 'sg-0a1b2c3d4e5f60718';
export const OFFICE_RULE = { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.10/32', description: 'office' };

export const secret = (data: Partial<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> = {}): CredentialSecret => ({
  provider: 'AWS',
  data: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, ...data },
});

export const target = (overrides: Partial<ResourceTarget> = {}): ResourceTarget => ({
  provider: 'AWS',
  resourceType: 'SECURITY_GROUP',
  resourceIdentifier: GROUP,
  region: REGION,
  config: { protocol: 'tcp', port: 443 },
  ...overrides,
});

/** Every failure must read as a sentence for a person: no secret, no XML, no stack. */
export function expectCleanReason(outcome: AnyOutcome): void {
  if (outcome.ok) return;
  for (const hidden of [SECRET, OTHER_SECRET, 'session-token-value-123']) expect(outcome.reason).not.toContain(hidden);
  expect(outcome.reason).not.toMatch(/<\/?[A-Za-z]+>|\n\s+at |RequestId/);
}

export interface AwsAdapterContext {
  fake: AwsFakeServer;
  adapter: AwsSecurityGroupAdapter;
  adapterWith(options?: ProvidersOptions): AwsSecurityGroupAdapter;
}

/**
 * A fresh fake (one account, one group holding an office rule on port 22) and adapter per test;
 * after each test every outcome the suite saw is checked for a clean reason.
 */
export function useAwsAdapter(seed: AwsFakeSeed = {}): AwsAdapterContext {
  const outcomes: AnyOutcome[] = [];
  const context = {} as AwsAdapterContext;
  context.adapterWith = (options: ProvidersOptions = {}) =>
    recordOutcomes(
      new AwsSecurityGroupAdapter(
        resolveProvidersOptions({ awsEndpointUrl: context.fake.url, timeoutMs: 2000, throttleRetries: 2, retryBaseDelayMs: 5, ...options }),
      ),
      outcomes,
    );

  beforeEach(async () => {
    context.fake = await startAwsFakeServer({
      accounts: { [ACCESS_KEY_ID]: { secretAccessKey: SECRET, accountId: '111122223333' } },
      securityGroups: { [REGION]: [{ groupId: GROUP, groupName: 'web-admin', ingress: [OFFICE_RULE] }] },
      ...seed,
    });
    context.adapter = context.adapterWith();
  });

  afterEach(async () => {
    await context.fake.close();
    expect(outcomes.length).toBeGreaterThan(0);
    outcomes.splice(0).forEach(expectCleanReason);
  });
  return context;
}

/** A port that was free a moment ago, so nothing listens there. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
