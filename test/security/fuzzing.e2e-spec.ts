import fc from 'fast-check';
import { ApiClient, ApiResponse } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { CREDENTIAL_KEYS, RESOURCE_KEYS } from '../harness/contract';
import { bodyArb, contentTypeArb, LIVE_REFRESH, pathIdArb, queryArb, serialize } from './fuzz-arbitraries';
import { dbFingerprint, envelopeProblems, startPrivateApp } from './security-harness';

/**
 * Property-based fuzzing of the write routes, the list queries and the path ids. For every
 * request: never a 5xx; a 4xx is the one envelope; a 2xx is a valid success; and a refused
 * request leaves the whole (private) database as it was, FAILURE audit rows aside.
 * Reproduce with FUZZ_SEED=<seed> (printed on failure); FUZZ_RUNS scales the run counts.
 */
jest.setTimeout(120_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20260218);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const AUTH_KEYS = ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'];
/** Fastify's own router errors, answered before the app's hooks and filter run. */
const keysAre = (expected: string[]) => (r: ApiResponse) =>
  JSON.stringify(Object.keys(r.body ?? {}).sort()) === JSON.stringify(expected)
    ? []
    : [`success body keys ${Object.keys(r.body ?? {}).sort()}`];

describe('security: fuzzing', () => {
  let t: TestApp;
  let org: TestOrganization;
  let outsider: TestOrganization;
  let outsiderResource: string;
  let admin: ApiClient;
  let anonymous: ApiClient;
  let credentialA: string;
  let credentialB: string;
  let resource: string;
  let liveRefresh: string;
  let baseline: Record<string, string> | undefined;

  beforeAll(async () => {
    t = await startPrivateApp();
    org = await registerOrganization(t, 'Fuzz');
    outsider = await registerOrganization(t, 'Outsider');
    admin = org.admin;
    anonymous = org.anonymous;
    liveRefresh = org.auth.refreshToken;
    credentialA = (await admin.post('/credentials', awsCredentialBody())).body.id;
    credentialB = (await admin.post('/credentials', awsCredentialBody())).body.id;
    resource = (await admin.post('/resources', awsResourceBody(credentialA))).body.id;
    const outsiderCredential = (await outsider.admin.post('/credentials', awsCredentialBody())).body.id;
    outsiderResource = (await outsider.admin.post('/resources', awsResourceBody(outsiderCredential))).body.id;
    expect([credentialA, credentialB, resource, outsiderResource].every(Boolean)).toBe(true);
  });
  afterAll(async () => t?.close());

  /** One request and every property about it; throws (for fast-check) with what went wrong. */
  async function check(label: string, send: () => Promise<ApiResponse>, success: (r: ApiResponse) => string[]): Promise<void> {
    const before = baseline ?? (await dbFingerprint(t));
    let response: ApiResponse;
    try {
      response = await send();
    } catch (error) {
      baseline = undefined;
      throw new Error(`${label}: the request itself failed (connection dropped?): ${(error as Error).message}`);
    }
    const problems: string[] = [];
    if (!response.headers.get('x-request-id')) problems.push('no X-Request-Id');
    if (response.status >= 500) problems.push(`server error ${response.status}`);
    const after = await dbFingerprint(t);
    baseline = after;
    if (response.status >= 400) {
      problems.push(...envelopeProblems(response));
      for (const table of Object.keys(before)) {
        if (before[table] !== after[table]) problems.push(`refused, yet table ${table} changed (${before[table]} -> ${after[table]})`);
      }
    } else if (response.status >= 200 && response.status < 300) {
      problems.push(...success(response));
      if (/secretAccessKey|private_key|clientSecret|adminKey|ciphertext/.test(response.text))
        problems.push('a success body mentions secret material');
    } else {
      problems.push(`unexpected status ${response.status}`);
    }
    if (problems.length) {
      throw new Error(`${label} -> ${response.status} ${response.text.slice(0, 400)}\n  ${problems.join('\n  ')}`);
    }
  }

  /** fast-check with the fixed seed; the seed is in the message of any failure. */
  async function property<T>(arb: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => Promise<void>): Promise<void> {
    try {
      await fc.assert(fc.asyncProperty(arb, predicate), { seed: SEED, numRuns, endOnFailure: process.env.FUZZ_SHRINK !== 'true' });
    } catch (error) {
      (error as Error).message = `FUZZ_SEED=${SEED} (set FUZZ_SHRINK=true to shrink)\n${(error as Error).message}`;
      throw error;
    }
  }

  function sendBody(client: ApiClient, method: string, path: string, body: unknown, contentType: string | null): Promise<ApiResponse> {
    const text = serialize(body)?.split(LIVE_REFRESH).join(liveRefresh);
    const headers: Record<string, string> = contentType !== null ? { 'content-type': contentType } : {};
    return client.request(
      method,
      path,
      text,
      text === undefined && contentType === null ? {} : { 'content-type': 'application/json', ...headers },
    );
  }

  const gcpData = {
    type: 'service_account',
    project_id: 'fuzz-1',
    private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
    client_email: 'sa@fuzz-1.iam.gserviceaccount.com',
  };
  const azureData = {
    tenantId: '8a4c4a3e-2f7e-4a40-9a52-5d2b3f0c1e11',
    clientId: '0b1d7a5c-3e8f-4c2a-8d1e-6f4a2b9c0d12',
    clientSecret: 'azure-secret',
    subscriptionId: '5c2e9b1a-7d4f-4e3b-9a8c-1f0e2d3c4b13',
  };
  const apisixData = { adminUrl: 'http://127.0.0.1:9180', adminKey: 'apisix-admin-key' };

  interface BodyRoute {
    label: string;
    method: string;
    path: () => string;
    client: () => ApiClient;
    valids: () => Array<Record<string, unknown>>;
    numRuns: number;
    success: (r: ApiResponse) => string[];
  }
  const bodyRoutes: BodyRoute[] = [
    {
      label: 'POST /credentials',
      method: 'POST',
      path: () => '/credentials',
      client: () => admin,
      numRuns: 600,
      success: keysAre(CREDENTIAL_KEYS),
      valids: () => [
        awsCredentialBody({ name: 'Fuzz AWS' }),
        { name: 'Fuzz GCP', provider: 'GCP', credentialType: 'SERVICE_ACCOUNT', credentialData: gcpData },
        { name: 'Fuzz Azure', provider: 'AZURE', credentialType: 'SERVICE_PRINCIPAL', credentialData: azureData },
        { name: 'Fuzz APISIX', provider: 'APISIX', credentialType: 'ADMIN_KEY', credentialData: apisixData },
      ],
    },
    {
      label: 'PATCH /credentials/{id}',
      method: 'PATCH',
      path: () => `/credentials/${credentialB}`,
      client: () => admin,
      numRuns: 500,
      success: keysAre(CREDENTIAL_KEYS),
      valids: () => [
        {
          name: 'Fuzz renamed',
          credentialData: { accessKeyId: 'AKIAFUZZ000000000001', secretAccessKey: 'rotated', sessionToken: 'token' },
        },
        { name: 'Fuzz renamed 2' },
      ],
    },
    {
      label: 'POST /resources',
      method: 'POST',
      path: () => '/resources',
      client: () => admin,
      numRuns: 600,
      success: keysAre(RESOURCE_KEYS),
      valids: () => [
        awsResourceBody(credentialA, { name: 'Fuzz SG', resourceIdentifier: 'sg-0f00000000000a001' }),
        awsResourceBody(credentialB, {
          name: 'Fuzz SG 2',
          resourceIdentifier: 'sg-0f00000000000a002',
          config: { protocol: 'udp', ports: [53, 123] },
        }),
      ],
    },
    {
      label: 'PATCH /resources/{id}',
      method: 'PATCH',
      path: () => `/resources/${resource}`,
      client: () => admin,
      numRuns: 500,
      success: keysAre(RESOURCE_KEYS),
      valids: () => [
        {
          name: 'Fuzz SG renamed',
          resourceIdentifier: 'sg-0f00000000000a003',
          credentialId: credentialB,
          region: 'eu-west-2',
          isActive: false,
          config: { protocol: 'tcp', port: 443 },
        },
        { credentialId: credentialA, region: null },
      ],
    },
    {
      label: 'POST /credentials/{id}/migrate-resources',
      method: 'POST',
      path: () => `/credentials/${credentialA}/migrate-resources`,
      client: () => admin,
      numRuns: 400,
      success: keysAre(['movedResourceCount', 'targetCredentialId']),
      valids: () => [{ targetCredentialId: credentialB }],
    },
    {
      label: 'POST /auth/register',
      method: 'POST',
      path: () => '/auth/register',
      client: () => anonymous,
      numRuns: 400,
      success: keysAre(AUTH_KEYS),
      valids: () => [{ organizationName: 'Fuzz Registered', email: 'fuzz-reg@example.test', password: 'Fuzz password 1', name: 'Fuzzy' }],
    },
    {
      label: 'POST /auth/login',
      method: 'POST',
      path: () => '/auth/login',
      client: () => anonymous,
      numRuns: 300,
      success: keysAre(AUTH_KEYS),
      valids: () => [{ organizationSlug: org.slug, email: org.email, password: org.password }],
    },
    {
      label: 'POST /auth/refresh',
      method: 'POST',
      path: () => '/auth/refresh',
      client: () => anonymous,
      numRuns: 400,
      valids: () => [{ refreshToken: LIVE_REFRESH }],
      success: (r) => {
        if (typeof r.body?.refreshToken === 'string') liveRefresh = r.body.refreshToken;
        return keysAre(AUTH_KEYS)(r);
      },
    },
  ];

  it.each(bodyRoutes.map((route) => [route.label, route] as const))('%s: generated bodies', async (label, route) => {
    const arb = bodyArb(route.valids());
    await property(fc.tuple(arb, contentTypeArb), runs(route.numRuns), async ([body, contentType]) =>
      check(
        `${label} ${(serialize(body) ?? '<none>').slice(0, 300)} [${contentType}]`,
        () => sendBody(route.client(), route.method, route.path(), body, contentType),
        route.success,
      ),
    );
  });

  const idRoutes: Array<[string, string, () => unknown]> = [
    ['PATCH', '/credentials/{id}', () => ({ name: 'Fuzz by id' })],
    ['PATCH', '/resources/{id}', () => ({ name: 'Fuzz by id' })],
    ['POST', '/credentials/{id}/migrate-resources', () => ({ targetCredentialId: credentialB })],
    ['POST', '/credentials/{id}/verify', () => undefined],
    ['POST', '/resources/{id}/verify', () => undefined],
    ['DELETE', '/credentials/{id}', () => undefined],
    ['DELETE', '/resources/{id}', () => undefined],
    ['GET', '/credentials/{id}', () => undefined],
    ['GET', '/resources/{id}', () => undefined],
  ];

  it('path ids: hostile, malformed, long and unknown ids on every id route', async () => {
    await property(fc.tuple(fc.constantFrom(...idRoutes), pathIdArb), runs(800), async ([[method, template, body], id]) => {
      const path = template.replace('{id}', id);
      await check(
        `${method} ${path.slice(0, 300)}`,
        () => admin.request(method, path, body()),
        (r) =>
          // '.' and '..' are resolved by the URL parser, so GET /credentials/. is the list.
          method === 'GET' && Array.isArray(r.body) ? [] : ['an unknown id succeeded'],
      );
    });
  });

  it("GET /resources: generated query strings; never another organization's resource", async () => {
    await property(queryArb(['credentialId', 'provider']), runs(500), async (query) => {
      await check(
        `GET /resources${query}`,
        () => admin.get(`/resources${query}`),
        (r) =>
          !Array.isArray(r.body)
            ? ['not an array']
            : r.body.some((x: { id: string }) => x.id === outsiderResource)
              ? ["lists another organization's resource"]
              : [],
      );
    });
  });

  it('GET /audit-logs: generated query strings; pages within bounds, only this organization', async () => {
    const keys = ['eventType', 'actorEmail', 'resourceType', 'resourceId', 'result', 'from', 'to', 'page', 'size'];
    await property(queryArb(keys), runs(500), async (query) => {
      await check(
        `GET /audit-logs${query}`,
        () => admin.get(`/audit-logs${query}`),
        (r) => {
          const page = r.body ?? {};
          const problems = keysAre(['content', 'number', 'size', 'totalElements', 'totalPages'])(r);
          if (!Array.isArray(page.content) || page.content.length > page.size) problems.push('bad content');
          if (!Number.isInteger(page.size) || page.size < 1 || page.size > 100 || !Number.isInteger(page.number) || page.number < 0)
            problems.push('bad paging');
          if (page.content?.some((row: { organizationName: string }) => row.organizationName !== org.name))
            problems.push("another organization's audit row");
          return problems;
        },
      );
    });
  });

  // Regression: Fastify refuses these while routing (FST_ERR_BAD_URL, FST_ERR_MAX_PARAM_LENGTH);
  // `frameworkErrors` in create-app.ts must answer them in the envelope.
  it('router-level refusals (malformed %-escape, over-long id) use the envelope and carry X-Request-Id', async () => {
    for (const path of [
      '/credentials/%zz',
      '/resources/%C0%AE/verify',
      `/credentials/${'a'.repeat(101)}`,
      `/resources/${'%E2%80%AE'.repeat(40)}`,
    ]) {
      const response = await admin.request(path.endsWith('verify') ? 'POST' : 'GET', path);
      expect({
        path,
        status: response.status,
        problems: envelopeProblems(response),
        requestId: Boolean(response.headers.get('x-request-id')),
      }).toEqual({
        path,
        status: 400,
        problems: [],
        requestId: true,
      });
      expect(response.body.error).toBe('VALIDATION_ERROR');
    }
  });

  // Regression: @IsOptional() let null through to the database (a 500); PATCH fields are @IsOmittable().
  it('PATCH /credentials/{id} with name: null or credentialData: null is a 400 naming the field', async () => {
    for (const field of ['name', 'credentialData']) {
      const response = await admin.patch(`/credentials/${credentialB}`, { [field]: null });
      expect({ field, status: response.status, error: response.body?.error }).toEqual({ field, status: 400, error: 'VALIDATION_ERROR' });
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  // Regression: class-transformer recursed until the stack overflowed (a 500); the JSON parser
  // now refuses bodies nested more than MAX_JSON_DEPTH levels.
  it('a deeply nested body is refused with 400, not a 500', async () => {
    const deep = '['.repeat(3000) + ']'.repeat(3000);
    for (const [path, text] of [
      ['/auth/login', `{"email":${deep}}`],
      ['/credentials', `{"name":${deep},"provider":"AWS","credentialType":"ACCESS_KEY","credentialData":{}}`],
    ]) {
      const response = await (path === '/auth/login' ? anonymous : admin).post(path, text);
      expect({ path, status: response.status, problems: envelopeProblems(response) }).toEqual({ path, status: 400, problems: [] });
    }
  });

  it('the seeded objects survived the fuzzing (refusals changed nothing that matters)', async () => {
    expect((await outsider.admin.get(`/resources/${outsiderResource}`)).status).toBe(200);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM resources r JOIN credentials c ON c.id = r.credential_id WHERE r.organization_id <> c.organization_id`,
    );
    expect(rows[0].n).toBe(0);
  });
});
