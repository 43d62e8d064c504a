import { createServer } from 'node:net';
import {
  APISIX_DEFAULT_ADMIN_KEY,
  ApisixRouteAdapter,
  resolveProvidersOptions,
  type CredentialSecret,
  type ProvidersOptions,
  type ResourceTarget,
} from '@app/providers';
import { startApisixFakeServer, type ApisixFakeServer } from '../fakes/apisix-fake-server';
import { recordOutcomes, type AnyOutcome } from './outcome-recorder';

export const ADMIN_KEY = 'c0ffee-admin-key-for-tests-4242';
export const UPSTREAM = { type: 'roundrobin', nodes: { '10.1.0.5:8080': 1 } };

export const route = (id: string): ResourceTarget => ({
  provider: 'APISIX',
  resourceType: 'ROUTE',
  resourceIdentifier: id,
  region: null,
  config: {},
});
export const rule = (cidr: string) => ({ cidr, description: 'EntryGuard session 3f2a' });

export function expectCleanReason(outcome: AnyOutcome): void {
  if (outcome.ok) return;
  expect(outcome.reason).not.toContain(ADMIN_KEY);
  expect(outcome.reason).not.toContain(APISIX_DEFAULT_ADMIN_KEY);
  expect(outcome.reason).not.toMatch(/\n\s+at /);
}

export interface ApisixAdapterContext {
  fake: ApisixFakeServer;
  adapter: ApisixRouteAdapter;
  /** Every outcome of the test so far (checked for clean reasons after each test). */
  outcomes: AnyOutcome[];
  secret(data?: Partial<{ adminUrl: string; adminKey: string }>): CredentialSecret;
  adapterWith(options?: ProvidersOptions): ApisixRouteAdapter;
}

/**
 * A fresh fake per test with two routes: `admin` (a whitelist of an office address and a /8,
 * a message and another plugin) and `open` (no ip-restriction at all). Loopback is allowed.
 */
export function useApisixAdapter(): ApisixAdapterContext {
  const context = { outcomes: [] as AnyOutcome[] } as ApisixAdapterContext;
  context.secret = (data = {}) => ({ provider: 'APISIX', data: { adminUrl: context.fake.url, adminKey: ADMIN_KEY, ...data } });
  context.adapterWith = (options = {}) =>
    recordOutcomes(
      new ApisixRouteAdapter(resolveProvidersOptions({ timeoutMs: 1000, allowedNetworks: ['127.0.0.0/8'], ...options })),
      context.outcomes,
    );

  beforeEach(async () => {
    context.fake = await startApisixFakeServer({
      adminKey: ADMIN_KEY,
      routes: {
        admin: {
          uri: '/admin/*',
          upstream: UPSTREAM,
          plugins: {
            'ip-restriction': { whitelist: ['198.51.100.10/32', '10.0.0.0/8'], message: 'Go away' },
            'limit-count': { count: 100, time_window: 60 },
          },
        },
        open: { uri: '/open/*', upstream: UPSTREAM },
      },
    });
    context.adapter = context.adapterWith();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await context.fake.close();
    expect(context.outcomes.length).toBeGreaterThan(0);
    context.outcomes.splice(0).forEach(expectCleanReason);
  });
  return context;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
