import { ApiClient } from '../harness/api-client';
import { auditRows, registerOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

/** X-Forwarded-For is believed only from the proxies TRUST_PROXY names (audit IPs, per-IP limits). */
describe('TRUST_PROXY', () => {
  async function registeredFrom(t: TestApp, forwardedFor: string): Promise<string> {
    const client = new ApiClient(t.baseUrl).withHeaders({ 'x-forwarded-for': forwardedFor });
    const org = await registerOrganization(t);
    await client.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: org.password });
    const login = (await auditRows(t, org.id)).find((row) => row.event_type === 'USER_LOGIN');
    return login?.ip_address;
  }

  it('ignores X-Forwarded-For by default, so a client cannot choose its own address', async () => {
    const t = await startTestApp();
    try {
      expect(await registeredFrom(t, '203.0.113.9')).toBe('127.0.0.1');
    } finally {
      await t.close();
    }
  });

  it('believes X-Forwarded-For from a trusted proxy address', async () => {
    const t = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
    try {
      expect(await registeredFrom(t, '203.0.113.9')).toBe('203.0.113.9');
    } finally {
      await t.close();
    }
  });

  it('takes the address the nearest trusted hop saw, not one the client prepended', async () => {
    const t = await startTestApp({ TRUST_PROXY: '1' });
    try {
      expect(await registeredFrom(t, '198.51.100.66, 203.0.113.9')).toBe('203.0.113.9');
    } finally {
      await t.close();
    }
  });
});
