import { ProviderRegistry } from '@app/providers';
import { CredentialVerifier } from '../../apps/api/src/credentials/credential-verifier';
import { ResourceVerifier } from '../../libs/resources/src/resource-verifier';
import { startTestApp, TestApp } from '../harness/test-app';

/** The review found two provider registries (ProvidersModule registered twice): there is one. */
describe('module wiring', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('credentials and resources call providers through the same registry', () => {
    const fromCredentials = (t.app.get(CredentialVerifier, { strict: false }) as unknown as { providers: ProviderRegistry }).providers;
    const fromResources = (t.app.get(ResourceVerifier, { strict: false }) as unknown as { providers: ProviderRegistry }).providers;
    expect(fromCredentials).toBeInstanceOf(ProviderRegistry);
    expect(fromResources).toBe(fromCredentials);
    expect(t.app.get(ProviderRegistry, { strict: false })).toBe(fromCredentials);
  });
});
