import { Client } from 'pg';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, registerOrganization, TestOrganization } from '../harness/factories';
import { PrivatePostgres, startPrivatePostgres } from '../harness/private-postgres';
import { startTestApp, TestApp } from '../harness/test-app';

jest.setTimeout(90_000);

/** Nothing from the driver or the server may reach a client. */
const DRIVER_TEXT =
  /ECONNREFUSED|ECONNRESET|terminating connection|Connection terminated|shutdown|57P0|\bpg\b|postgres|127\.0\.0\.1|typeorm/i;

/**
 * PostgreSQL itself goes down under a running service (a real `pg_ctl stop -m immediate`, not a
 * cut proxy): requests that need it answer 503 SERVICE_UNAVAILABLE, the process stays alive, and
 * the same instance serves again once the server is back. The server is private to this spec.
 */
describe('PostgreSQL stopped and started again under a running service', () => {
  let pg: PrivatePostgres;
  let t: TestApp;
  let org: TestOrganization;
  let anonymous: ApiClient;
  let credentialId: string;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    t = await startTestApp({ DATABASE_URL: pg.url });
    // t.db points at the private server too: its idle clients die with the stop.
    t.db.on('error', () => undefined);
    anonymous = new ApiClient(t.baseUrl);
  });
  afterAll(async () => {
    await t?.close();
    await pg?.destroy();
  });

  it('works while the server runs: register, create a credential', async () => {
    org = await registerOrganization(t, 'Stopped');
    const created = await org.admin.post('/credentials', awsCredentialBody());
    expect(created.status).toBe(201);
    credentialId = created.body.id;
    expect((await anonymous.get('/health/ready')).body).toEqual({ status: 'ok' });
  });

  it('answers 503 SERVICE_UNAVAILABLE (never 500 or 401) while the server is stopped, and stays alive', async () => {
    await pg.stop();
    // Control: the server is really down, not merely unreachable through something we cut.
    await expect(new Client({ connectionString: pg.url }).connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const responses: Record<string, ApiResponse> = {
      ready: await anonymous.get('/health/ready'),
      listCredentials: await org.admin.get('/credentials'),
      createCredential: await org.admin.post('/credentials', awsCredentialBody()),
      login: await anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: org.password }),
    };
    const outcomes = Object.fromEntries(Object.entries(responses).map(([name, r]) => [name, `${r.status} ${r.body?.error}`]));
    expect(outcomes).toEqual({
      ready: '503 SERVICE_UNAVAILABLE',
      listCredentials: '503 SERVICE_UNAVAILABLE',
      createCredential: '503 SERVICE_UNAVAILABLE',
      login: '503 SERVICE_UNAVAILABLE',
    });
    for (const response of Object.values(responses)) {
      expectError(response, 503, 'SERVICE_UNAVAILABLE');
      expect(response.text).not.toMatch(DRIVER_TEXT);
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }

    // The process is alive: liveness touches no dependency.
    const live = await anonymous.get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });

    // The detail the client does not see is in the log, as an error tied to the request id.
    const requestId = responses.listCredentials.headers.get('x-request-id') as string;
    const lines = t.logs.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line));
    const errorLines = lines.filter((line) => line.level >= 50 && line.reqId === requestId);
    expect(errorLines).toEqual([expect.objectContaining({ msg: 'request failed', errorCode: 'SERVICE_UNAVAILABLE' })]);
    // The driver's own words (ECONNREFUSED, or a terminated connection) are kept for the operator.
    expect(errorLines[0].err.message).toMatch(/\S/);
    expect(t.logs.some((line) => line.includes('"statusCode":500'))).toBe(false);
  });

  it('serves again on the same instance once the server is started again', async () => {
    const app = t.app;
    await pg.start();
    const started = Date.now();
    let last: ApiResponse | undefined;
    while (Date.now() - started < 20_000) {
      last = await org.admin.get('/credentials');
      if (last.status === 200) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect({ status: last?.status, text: last?.status === 200 ? '' : last?.text }).toEqual({ status: 200, text: '' });
    expect(last?.body.map((c: { id: string }) => c.id)).toContain(credentialId);
    expect((await anonymous.get('/health/ready')).status).toBe(200);
    const login = await anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: org.password });
    expect(login.status).toBe(200);
    expect(t.app).toBe(app);
  });
});
