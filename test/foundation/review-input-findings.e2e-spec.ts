import { ApiClient, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

/**
 * Regression tests for the outside security review's findings about input (issue 11: 1, 11, 12,
 * 14, 15), each named after its finding. Every refusal is the envelope and changes nothing.
 */
describe('security review: input the service must refuse cleanly, or accept', () => {
  let t: TestApp;
  let org: TestOrganization;
  let anonymous: ApiClient;
  let credentialId: string;
  let resourceId: string;

  const count = async (table: string) =>
    (await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE organization_id = $1`, [org.id])).rows[0].n;

  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t, 'Review Input');
    anonymous = new ApiClient(t.baseUrl);
    credentialId = (await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('Review') }))).body.id;
    resourceId = (await org.admin.post('/resources', awsResourceBody(credentialId))).body.id;
  });
  afterAll(async () => t.close());

  describe('finding 1: a NUL or an unpaired surrogate in any string is 400 VALIDATION_ERROR naming the field, never a 500', () => {
    const odd = ['nul\u0000here', 'lone high \ud800', 'lone low \udfff', '\udfff\ud800 reversed'];

    it.each(odd)('login organizationSlug, email and password: %j', async (value) => {
      for (const field of ['organizationSlug', 'email', 'password']) {
        const body = { organizationSlug: org.slug, email: org.email, password: org.password, [field]: value };
        const response = await anonymous.post('/auth/login', body);
        expectError(response, 400, 'VALIDATION_ERROR');
        expect(response.body.details).toEqual([expect.objectContaining({ field })]);
      }
    });

    it.each(odd)('register names and email: %j', async (value) => {
      for (const field of ['organizationName', 'name', 'email']) {
        const body = {
          organizationName: uniqueName('Odd'),
          email: 'odd@example.test',
          password: 'A long password 1',
          name: 'Odd',
          [field]: value,
        };
        const response = await anonymous.post('/auth/register', body);
        expectError(response, 400, 'VALIDATION_ERROR');
        expect(response.body.details).toEqual([expect.objectContaining({ field })]);
      }
    });

    it.each(odd)('credential and resource names on create and PATCH, and nested fields: %j', async (value) => {
      const before = { credentials: await count('credentials'), resources: await count('resources') };
      const cases: Array<[Promise<{ status: number; body: any }>, string]> = [
        [org.admin.post('/credentials', awsCredentialBody({ name: value })), 'name'],
        [org.admin.patch(`/credentials/${credentialId}`, { name: value }), 'name'],
        [
          org.admin.post(
            '/credentials',
            awsCredentialBody({ credentialData: { accessKeyId: 'AKIAEXAMPLE0000001', secretAccessKey: value } }),
          ),
          'credentialData.secretAccessKey',
        ],
        [org.admin.post('/resources', awsResourceBody(credentialId, { name: value })), 'name'],
        [org.admin.patch(`/resources/${resourceId}`, { name: value }), 'name'],
        [
          org.admin.post('/resources', awsResourceBody(credentialId, { config: { protocol: 'tcp', port: 22, note: value } })),
          'config.note',
        ],
      ];
      for (const [call, field] of cases) {
        const response = await call;
        expectError(response as never, 400, 'VALIDATION_ERROR');
        expect(response.body.details).toEqual([expect.objectContaining({ field })]);
      }
      expect({ credentials: await count('credentials'), resources: await count('resources') }).toEqual(before);
    });

    it('in a query string and in a field name', async () => {
      const query = await org.admin.get('/audit-logs?actorEmail=a%00b');
      expectError(query, 400, 'VALIDATION_ERROR');
      expect(query.body.details).toEqual([expect.objectContaining({ field: 'actorEmail' })]);
      const key = await anonymous.post('/auth/login', {
        organizationSlug: org.slug,
        email: org.email,
        password: org.password,
        'x\u0000y': 1,
      });
      expectError(key, 400, 'VALIDATION_ERROR');
      expect(key.body.details).toEqual([expect.objectContaining({ field: 'x\\u0000y' })]);
    });

    it('a paired surrogate (an emoji) is an ordinary character', async () => {
      const response = await org.admin.patch(`/credentials/${credentialId}`, { name: uniqueName('Rocket 🚀') });
      expect(response.status).toBe(200);
    });
  });

  describe('finding 11: unknown fields named like built-in properties are refused, not dropped', () => {
    it.each([
      [
        'top-level toString',
        () => org.admin.post('/credentials', { ...awsCredentialBody({ name: uniqueName('Proto') }), toString: 'x' }),
        'toString',
      ],
      [
        'top-level hasOwnProperty',
        () => org.admin.post('/credentials', { ...awsCredentialBody({ name: uniqueName('Proto') }), hasOwnProperty: 1 }),
        'hasOwnProperty',
      ],
      [
        'credentialData.constructor',
        () =>
          org.admin.post(
            '/credentials',
            awsCredentialBody({
              name: uniqueName('Proto'),
              credentialData: { accessKeyId: 'AKIAEXAMPLE0000001', secretAccessKey: 'abc', constructor: 'x' },
            }),
          ),
        'credentialData.constructor',
      ],
      [
        'config.constructor',
        () => org.admin.patch(`/resources/${resourceId}`, { config: { protocol: 'tcp', port: 22, constructor: {} } }),
        'config.constructor',
      ],
      [
        '__proto__ in a login',
        () =>
          anonymous.request('POST', '/auth/login', `{"organizationSlug":"x","email":"a@b.test","password":"12345678","__proto__":{"a":1}}`),
        '__proto__',
      ],
    ])('%s', async (_name, call, field) => {
      const before = await count('credentials');
      const response = await call();
      expectError(response, 400, 'VALIDATION_ERROR');
      // The JSON parser itself refuses __proto__ (before any field is known); the rest name their field.
      if (field !== '__proto__') {
        expect(response.body.details).toEqual([expect.objectContaining({ field })]);
      }
      expect(await count('credentials')).toBe(before);
    });
  });

  describe('finding 12: POST /auth/logout with no body is 200 {}', () => {
    it('with no body, with an empty JSON body, and with a refresh token', async () => {
      const none = await anonymous.request('POST', '/auth/logout');
      expect({ status: none.status, body: none.body }).toEqual({ status: 200, body: {} });
      const empty = await anonymous.request('POST', '/auth/logout', '', { 'content-type': 'application/json' });
      expect({ status: empty.status, body: empty.body }).toEqual({ status: 200, body: {} });
      const withToken = await anonymous.post('/auth/logout', { refreshToken: 'not-a-real-token' });
      expect({ status: withToken.status, body: withToken.body }).toEqual({ status: 200, body: {} });
    });
  });

  describe('finding 14: details holds at most 20 entries, and a 21st says how many more', () => {
    it('3,000 unknown keys give a short answer', async () => {
      const body: Record<string, unknown> = { organizationSlug: org.slug, email: org.email, password: org.password };
      for (let i = 0; i < 3000; i++) {
        body[`u${i}`] = i;
      }
      const response = await anonymous.post('/auth/login', body);
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(response.body.details).toHaveLength(21);
      expect(response.body.details[20]).toEqual({ field: 'details', message: '2980 more problems not listed' });
      expect(response.text.length).toBeLessThan(4000);
    });
  });

  describe('finding 15: names of any script', () => {
    it.each([['Компания Ромашка'], ['東京 株式会社'], ['Ελληνική Εταιρεία']])('registers %s', async (organizationName) => {
      const unique = `${organizationName} ${Math.random().toString(36).slice(2, 8)}`;
      const response = await anonymous.post('/auth/register', {
        organizationName: unique,
        email: 'intl@example.test',
        password: 'A long password 1',
      });
      expect(response.status).toBe(201);
      expect(response.body.user.organizationName).toBe(unique);
      const login = await anonymous.post('/auth/login', {
        organizationSlug: response.body.user.organizationSlug,
        email: 'intl@example.test',
        password: 'A long password 1',
      });
      expect(login.status).toBe(200);
    });

    it('still refuses a name with no letter or digit at all', async () => {
      const response = await anonymous.post('/auth/register', {
        organizationName: '!!! ---',
        email: 'none@example.test',
        password: 'A long password 1',
      });
      expectError(response, 400, 'VALIDATION_ERROR');
      expect(response.body.details).toEqual([expect.objectContaining({ field: 'organizationName' })]);
    });
  });
});
