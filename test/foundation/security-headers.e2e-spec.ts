import { startTestApp, TestApp } from '../harness/test-app';

/** Static security headers on every answer (OWASP REST), a strict CSP for JSON and Swagger UI's own for the docs. */
describe('security headers', () => {
  let t: TestApp;
  let origin: string;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://admin.example.test' });
    origin = t.baseUrl.replace(/\/api\/v1$/, '');
  });
  afterAll(async () => t.close());

  it('sends the security headers and the strict API policy on JSON answers, errors included', async () => {
    for (const path of ['/api/v1/health/live', '/api/v1/credentials', '/api/v1/no-such-route']) {
      const response = await fetch(`${origin}${path}`);
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('lets Swagger UI load its own scripts and styles', async () => {
    const response = await fetch(`${origin}/api/docs`);
    expect(response.status).toBe(200);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self' 'unsafe-inline'");
    expect(policy).not.toContain('upgrade-insecure-requests');
  });

  it('answers CORS preflights for configured origins only', async () => {
    const preflight = (requestOrigin: string) =>
      fetch(`${origin}/api/v1/credentials`, {
        method: 'OPTIONS',
        headers: {
          origin: requestOrigin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('https://admin.example.test');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example.test');
    const refused = await preflight('https://evil.example.test');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
