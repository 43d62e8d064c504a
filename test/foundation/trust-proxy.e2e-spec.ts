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

  it('review finding 7: a forwarded value that is not an IP address is never stored (the connection address is used)', async () => {
    const t = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
    try {
      expect(await registeredFrom(t, "'; drop table x;--")).toBe('127.0.0.1');
      expect(await registeredFrom(t, `203.0.113.9${'0'.repeat(80)}`)).toBe('127.0.0.1');
      expect(await registeredFrom(t, 'unknown')).toBe('127.0.0.1');
      expect(await registeredFrom(t, '::ffff:203.0.113.9')).toBe('203.0.113.9');
    } finally {
      await t.close();
    }
  });

  it('a user agent longer than the audit column is stored cut short, not refused with a 500', async () => {
    const t = await startTestApp();
    try {
      const org = await registerOrganization(t);
      const client = new ApiClient(t.baseUrl).withHeaders({ 'user-agent': 'ua-'.repeat(2000) });
      const login = await client.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: org.password });
      expect(login.status).toBe(200);
      const row = (await auditRows(t, org.id)).find((r) => r.event_type === 'USER_LOGIN');
      expect(row?.user_agent).toHaveLength(512);
    } finally {
      await t.close();
    }
  });
});
