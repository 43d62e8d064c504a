import { randomUUID } from 'node:crypto';
import { ApiClient, expectError } from '../harness/api-client';
import { awsCredentialBody, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A JSON login body padded to about `bytes` bytes with a field the DTO does not know. */
function paddedBody(bytes: number): string {
  return JSON.stringify({ organizationSlug: 'acme', email: 'a@example.test', password: 'password 123', padding: 'x'.repeat(bytes) });
}

describe('the error envelope: every error class of decisions §1', () => {
  let t: TestApp;
  let org: TestOrganization;
  let anonymous: ApiClient;
  let origin: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t, 'Envelope');
    anonymous = new ApiClient(t.baseUrl);
    origin = new ApiClient(t.baseUrl.replace(/\/api\/v1$/, ''));
  });
  afterAll(async () => t.close());

  describe('404 NOT_FOUND for unknown routes', () => {
    it.each([
      ['under /api/v1, anonymous', () => anonymous.get('/no-such-route')],
      ['under /api/v1, authenticated', () => org.admin.get('/no-such-route/deeper')],
      ['under /api/v1, with a body', () => anonymous.post('/no-such-route', { a: 1 })],
      ['outside /api/v1', () => origin.get('/no-such-route')],
      ['at the root', () => origin.get('/')],
      ['an old API version', () => origin.get('/api/v0/credentials')],
    ])('%s', async (_name, call) => {
      expectError(await call(), 404, 'NOT_FOUND');
    });
  });

  it('answers malformed JSON with 400 VALIDATION_ERROR', async () => {
    for (const body of ['{"organizationSlug":', '{not json}', "{'single': 'quotes'}"]) {
      const response = await anonymous.post('/auth/login', body);
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(response.text).not.toMatch(/SyntaxError|Unexpected token|at JSON\.parse/);
    }
  });

  it('answers a JSON body that is not an object with 400 VALIDATION_ERROR', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      expectError(await anonymous.post('/auth/login', body), 400, 'VALIDATION_ERROR');
    }
  });

  it('answers a non-JSON body with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const cases: Array<[string, string]> = [
      ['text/plain', 'hello'],
      ['text/plain; charset=utf-8', '{"organizationSlug":"acme"}'],
      ['application/xml', '<login/>'],
    ];
    for (const [contentType, body] of cases) {
      const response = await anonymous.post('/auth/login', body, { 'content-type': contentType });
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    // Also on an authenticated route, before anything is stored.
    const name = uniqueName('Plain');
    const plain = await org.admin.post('/credentials', JSON.stringify(awsCredentialBody({ name })), { 'content-type': 'text/plain' });
    expectError(plain, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM credentials WHERE organization_id = $1 AND name = $2', [
      org.id,
      name,
    ]);
    expect(rows[0].n).toBe(0);
  });

  // Nest's Fastify adapter would register a form parser; the app must not accept forms
  // (a form-encoded login is a CSRF-able "simple" request).
  it('answers an application/x-www-form-urlencoded body with 415 UNSUPPORTED_MEDIA_TYPE, even a valid login', async () => {
    const body = new URLSearchParams({ organizationSlug: org.slug, email: org.email, password: org.password }).toString();
    const response = await anonymous.post('/auth/login', body, { 'content-type': 'application/x-www-form-urlencoded' });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body over 64 KiB with 413 PAYLOAD_TOO_LARGE, and one just under it is parsed', async () => {
    const over = await anonymous.post('/auth/login', paddedBody(64 * 1024 + 10));
    expectError(over, 413, 'PAYLOAD_TOO_LARGE');
    const under = await anonymous.post('/auth/login', paddedBody(60 * 1024));
    // Parsed, then refused for the unknown field: not a 413.
    expectError(under, 400, 'VALIDATION_ERROR');
    const big = await org.admin.post('/credentials', awsCredentialBody({ name: 'x'.repeat(70 * 1024) }));
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('rejects unknown body fields with 400 and details naming them, and stores nothing', async () => {
    const login = await anonymous.post('/auth/login', {
      organizationSlug: org.slug,
      email: org.email,
      password: org.password,
      isAdmin: true,
    });
    expectError(login, 400, 'VALIDATION_ERROR');
    expect(login.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'isAdmin' })]));

    const name = uniqueName('Unknown');
    const created = await org.admin.post('/credentials', awsCredentialBody({ name, organizationId: randomUUID() }));
    expectError(created, 400, 'VALIDATION_ERROR');
    expect(created.body.details.map((d: { field: string }) => d.field)).toEqual(['organizationId']);
    expect(created.text).not.toContain('secret-');
    const nested = await org.admin.post(
      '/credentials',
      awsCredentialBody({
        name,
        credentialData: { accessKeyId: 'AKIAEXAMPLE0000001', secretAccessKey: 'secret-nested', region: 'eu-west-1' },
      }),
    );
    expectError(nested, 400, 'VALIDATION_ERROR');
    expect(nested.body.details.map((d: { field: string }) => d.field)).toEqual(['credentialData.region']);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM credentials WHERE name = $1', [name]);
    expect(rows[0].n).toBe(0);
  });

  it('answers a path id that is not a UUID with 400 VALIDATION_ERROR naming the parameter', async () => {
    for (const path of ['/credentials/not-a-uuid', '/credentials/123', '/resources/abc', `/credentials/${randomUUID()}x`]) {
      const response = await org.admin.get(path);
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(response.body.details).toEqual([{ field: 'id', message: expect.any(String) }]);
    }
  });

  describe('an unexpected database failure', () => {
    const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
    const fn = `test_boom_${suffix}`;
    const trigger = `test_boom_trigger_${suffix}`;
    const poison = `Boom ${suffix}`;

    beforeAll(async () => {
      await t.db.query(`
        CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'boom internal detail ${suffix}';
        END
        $$`);
      await t.db.query(`
        CREATE TRIGGER ${trigger} BEFORE INSERT ON credentials
        FOR EACH ROW WHEN (NEW.name = '${poison}') EXECUTE FUNCTION ${fn}()`);
    });
    afterAll(async () => {
      await t.db.query(`DROP TRIGGER IF EXISTS ${trigger} ON credentials`);
      await t.db.query(`DROP FUNCTION IF EXISTS ${fn}()`);
    });

    it('is 500 INTERNAL_ERROR with the fixed message and no detail, while the log carries the detail and the request id', async () => {
      const requestId = `boom-${suffix}`;
      const response = await org.admin.post('/credentials', awsCredentialBody({ name: poison }), { 'x-request-id': requestId });
      expectError(response, 500, 'INTERNAL_ERROR');
      expect(response.body.message).toBe('An unexpected error occurred');
      expect(response.headers.get('x-request-id')).toBe(requestId);
      expect(response.text).not.toMatch(/boom|INSERT|SELECT|credentials|plpgsql|QueryFailedError|stack|\bat\s+\S+\s+\(/i);

      const line = t.logs.find((l) => l.includes(`boom internal detail ${suffix}`) && l.includes(requestId));
      expect(line).toBeDefined();
      // The secret the client sent is not in that log line either.
      expect(line).not.toMatch(/secret-[0-9a-f-]{36}/);

      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM credentials WHERE name = $1', [poison]);
      expect(rows[0].n).toBe(0);
      // The trigger is selective: the same request with another name succeeds.
      expect((await org.admin.post('/credentials', awsCredentialBody())).status).toBe(201);
    });
  });

  describe('X-Request-Id', () => {
    it('is generated when absent, on successes and on errors, and differs per request', async () => {
      const responses = [
        await origin.get('/api/v1/health/live'),
        await anonymous.get('/auth/me'),
        await anonymous.get('/no-such-route'),
        await org.admin.get('/credentials'),
        await anonymous.post('/auth/login', '{bad', {}),
      ];
      const ids = responses.map((r) => r.headers.get('x-request-id'));
      for (const id of ids) {
        expect(id).toMatch(UUID);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('echoes a sane client id, on successes and on errors', async () => {
      for (const id of ['abc-123', 'A.b_c:d-1', 'x'.repeat(128)]) {
        expect((await org.admin.get('/credentials', { 'x-request-id': id })).headers.get('x-request-id')).toBe(id);
        expect((await anonymous.get('/auth/me', { 'x-request-id': id })).headers.get('x-request-id')).toBe(id);
      }
    });

    it('replaces an insane client id with a generated one', async () => {
      for (const id of ['x'.repeat(300), 'has spaces in it', 'semi;colon', '<script>', 'é-unicode']) {
        const header = /^[\x20-\x7e]*$/.test(id) ? id : encodeURIComponent(id);
        const response = await anonymous.get('/health/live', { 'x-request-id': header });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-request-id')).toMatch(UUID);
      }
    });
  });

  it('writes every timestamp as ISO-8601 UTC ending in Z', async () => {
    const error = await anonymous.get('/auth/me');
    expect(error.body.timestamp).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(error.body.timestamp) - Date.now())).toBeLessThan(60_000);

    const created = await org.admin.post('/credentials', awsCredentialBody());
    expect(created.status).toBe(201);
    expect(created.body.createdAt).toMatch(ISO_UTC);
    expect(created.body.updatedAt).toMatch(ISO_UTC);
    const listed = await org.admin.get('/credentials');
    for (const credential of listed.body) {
      expect(credential.createdAt).toMatch(ISO_UTC);
      expect(credential.updatedAt).toMatch(ISO_UTC);
    }
    const audit = await org.admin.get('/audit-logs');
    expect(audit.status).toBe(200);
    expect(audit.body.content.length).toBeGreaterThan(0);
    for (const row of audit.body.content) {
      expect(row.createdAt).toMatch(ISO_UTC);
    }
  });
});

describe('the error envelope with BODY_LIMIT_BYTES=2048', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => t.close());

  it('answers 413 PAYLOAD_TOO_LARGE above the configured limit and parses a body under it', async () => {
    const anonymous = new ApiClient(t.baseUrl);
    expectError(await anonymous.post('/auth/login', paddedBody(3000)), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await anonymous.post('/auth/login', paddedBody(1500)), 400, 'VALIDATION_ERROR');
    expectError(
      await anonymous.post('/auth/register', { organizationName: 'n'.repeat(2100), email: 'a@example.test', password: 'Password 123' }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });
});
