import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, registerOrganization, TestOrganization } from '../harness/factories';
import { startTcpProxy, TcpProxy } from '../harness/tcp-proxy';
import { startTestApp, testDatabaseUrl, TestApp } from '../harness/test-app';

/** Polls `probe` until it answers `status`, or fails with the last answer after `ms`. */
async function waitForStatus(probe: () => Promise<ApiResponse>, status: number, ms: number): Promise<ApiResponse> {
  const deadline = Date.now() + ms;
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last.status === status) {
      return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`still ${last?.status} ${last?.text} after ${ms} ms (wanted ${status})`);
}

/**
 * The database goes away under a running service: requests that need it answer 503
 * SERVICE_UNAVAILABLE (never 500, never 401), and the same instance recovers by itself.
 * The shared PostgreSQL keeps running: this app reaches it through a TCP proxy we cut.
 */
describe('database outage: 503 while the database is unreachable, then recovery without a restart', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let org: TestOrganization;
  let anonymous: ApiClient;
  let origin: ApiClient;

  beforeAll(async () => {
    const direct = new URL(testDatabaseUrl());
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(direct.toString());
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    t = await startTestApp({ DATABASE_URL: proxied.toString() });
    // t.db goes through the proxy as well: its idle clients die with each cut.
    t.db.on('error', () => undefined);
    org = await registerOrganization(t, 'Outage');
    anonymous = new ApiClient(t.baseUrl);
    origin = new ApiClient(t.baseUrl.replace(/\/api\/v1$/, ''));
  });
  afterAll(async () => {
    await proxy?.resume();
    await t?.close();
    await proxy?.close();
  });

  /** Every request that needs the database, and what it should answer when it can. */
  const calls = () => ({
    ready: () => anonymous.get('/health/ready'),
    listCredentials: () => org.admin.get('/credentials'),
    me: () => org.admin.get('/auth/me'),
    login: () => anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: org.password }),
    refresh: () => anonymous.post('/auth/refresh', { refreshToken: 'some-token-that-needs-a-lookup' }),
    register: () =>
      anonymous.post('/auth/register', {
        organizationName: `Outage new ${Date.now()}`,
        email: 'new@example.test',
        password: 'Password 123',
      }),
    createCredential: () => org.admin.post('/credentials', awsCredentialBody()),
  });

  async function expectAllUnavailable(): Promise<void> {
    const entries = Object.entries(calls());
    const responses = await Promise.all(entries.map(([, call]) => call()));
    const outcomes = entries.map(([name], i) => ({ name, status: responses[i].status, error: responses[i].body?.error }));
    expect(outcomes).toEqual(entries.map(([name]) => ({ name, status: 503, error: 'SERVICE_UNAVAILABLE' })));
    for (const response of responses) {
      expectError(response, 503, 'SERVICE_UNAVAILABLE');
      expect(response.text).not.toMatch(/ECONNREFUSED|timeout exceeded|Connection terminated|127\.0\.0\.1|postgres/i);
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
  }

  async function expectRecovered(): Promise<void> {
    await waitForStatus(() => anonymous.get('/health/ready'), 200, 20_000);
    await waitForStatus(() => org.admin.get('/credentials'), 200, 10_000);
    const login = await calls().login();
    expect(login.status).toBe(200);
    const created = await org.admin.post('/credentials', awsCredentialBody());
    expect(created.status).toBe(201);
    const listed = await org.admin.get('/credentials');
    expect(listed.body.map((c: { id: string }) => c.id)).toContain(created.body.id);
  }

  it('answers normally through the proxy (control)', async () => {
    expect((await anonymous.get('/health/ready')).body).toEqual({ status: 'ok' });
    expect((await org.admin.get('/credentials')).status).toBe(200);
  });

  it('answers 503 SERVICE_UNAVAILABLE when connections are refused, and stays alive', async () => {
    await proxy.pause();
    const started = Date.now();
    await expectAllUnavailable();
    // Refused connections fail fast: no request waited for the 5 s connect timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    const live = await origin.get('/api/v1/health/live');
    expect(live.status).toBe(200);
    // Still refused on a second round: nothing was cached as healthy.
    expectError(await anonymous.get('/health/ready'), 503, 'SERVICE_UNAVAILABLE');
    expect(t.logs.some((line) => line.includes('"statusCode":500'))).toBe(false);
  });

  it('recovers on the same instance once the database is reachable again', async () => {
    const app = t.app;
    await proxy.resume();
    await expectRecovered();
    expect(t.app).toBe(app);
  });

  it('answers 503 when the database does not answer at all (connect timeout), and recovers again', async () => {
    await proxy.blackhole();
    const started = Date.now();
    const [ready, list] = await Promise.all([anonymous.get('/health/ready'), org.admin.get('/credentials')]);
    expectError(ready, 503, 'SERVICE_UNAVAILABLE');
    expectError(list, 503, 'SERVICE_UNAVAILABLE');
    // Bounded by the pool's connectionTimeoutMillis (5 s), with slack for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);

    await proxy.resume();
    await expectRecovered();
  }, 60_000);
});
