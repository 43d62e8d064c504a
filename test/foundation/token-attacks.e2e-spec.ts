import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TEST_JWT_SECRET, TestApp } from '../harness/test-app';

const ISSUER = 'entryguard';
const AUDIENCE = 'entryguard-api';

type Claims = Record<string, unknown>;

const b64url = (value: object | string | Buffer) =>
  Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString('base64url');

/** Assembles a JWT by hand, so the header can say anything an attacker wants. */
function craft(header: object, payload: Claims, sign: (input: string) => string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${sign(input)}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** Every claim the service issues, valid for five minutes; overrides may drop a claim with `undefined`. */
function claimsFor(sub: string, org: string, overrides: Claims = {}): Claims {
  const claims: Claims = {
    sub,
    org,
    role: 'ORG_ADMIN',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 300,
    jti: randomUUID(),
    ...overrides,
  };
  for (const [key, value] of Object.entries(claims)) {
    if (value === undefined) {
      delete claims[key];
    }
  }
  return claims;
}

/** HS256 with the right secret: only the claims differ from a real token. */
function hs256(claims: Claims, secret: string | Buffer = TEST_JWT_SECRET): string {
  return craft({ alg: 'HS256', typ: 'JWT' }, claims, (input) => createHmac('sha256', secret).update(input).digest('base64url'));
}

describe('access-token attacks: every forged, stale or misdirected token is 401 UNAUTHORIZED', () => {
  let t: TestApp;
  let org: TestOrganization;
  let other: TestOrganization;
  let userId: string;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t, 'Token Target');
    other = await registerOrganization(t, 'Token Other');
    userId = org.auth.user.id;
  });
  afterAll(async () => t.close());

  async function expectRefusedEverywhere(token: string): Promise<void> {
    const client = new ApiClient(t.baseUrl, token);
    const responses: Array<[string, ApiResponse]> = [
      ['/auth/me', await client.get('/auth/me')],
      ['/credentials', await client.get('/credentials')],
    ];
    for (const [path, response] of responses) {
      try {
        expectError(response, 401, 'UNAUTHORIZED');
      } catch (error) {
        throw new Error(`GET ${path}: expected 401 UNAUTHORIZED, got ${response.status} ${response.text}\n${String(error)}`);
      }
    }
  }

  it('accepts a well-formed token (control): a token built by these helpers works on both routes', async () => {
    const token = hs256(claimsFor(userId, org.id));
    const client = new ApiClient(t.baseUrl, token);
    const me = await client.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: userId, organizationId: org.id, isOrgAdmin: true });
    const list = await client.get('/credentials');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);

    // The same claims through jsonwebtoken itself.
    const signed = jwt.sign({ sub: userId, org: org.id, role: 'ORG_ADMIN' }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: 300,
      jwtid: randomUUID(),
    });
    expect((await new ApiClient(t.baseUrl, signed).get('/auth/me')).status).toBe(200);
  });

  const attacks: Array<[string, () => string]> = [
    ['alg "none" with an empty signature', () => craft({ alg: 'none', typ: 'JWT' }, claimsFor(userId, org.id), () => '')],
    ['alg "NONE" with an empty signature', () => craft({ alg: 'NONE', typ: 'JWT' }, claimsFor(userId, org.id), () => '')],
    ['HS/RS confusion: HS256 keyed with an RSA public key PEM', () => hs256(claimsFor(userId, org.id), publicPem)],
    ['RS256 signed with a generated RSA key', () => jwt.sign(claimsFor(userId, org.id), privatePem, { algorithm: 'RS256' })],
    [
      'HS512 with the right secret (only HS256 is configured)',
      () => jwt.sign(claimsFor(userId, org.id), TEST_JWT_SECRET, { algorithm: 'HS512' }),
    ],
    ['a signature made with another secret', () => hs256(claimsFor(userId, org.id), 'another-secret-that-is-also-long-enough-0000')],
    [
      'a tampered payload under the original signature',
      () => {
        const [header, , signature] = hs256(claimsFor(randomUUID(), org.id)).split('.');
        return `${header}.${b64url(claimsFor(userId, org.id))}.${signature}`;
      },
    ],
    ['an expired token', () => hs256(claimsFor(userId, org.id, { iat: now() - 3600, exp: now() - 120 }))],
    ['a token not yet valid (nbf in the future)', () => hs256(claimsFor(userId, org.id, { nbf: now() + 3600 }))],
    ['a wrong issuer', () => hs256(claimsFor(userId, org.id, { iss: 'someone-else' }))],
    ['no issuer', () => hs256(claimsFor(userId, org.id, { iss: undefined }))],
    ['a wrong audience', () => hs256(claimsFor(userId, org.id, { aud: 'another-api' }))],
    ['no audience', () => hs256(claimsFor(userId, org.id, { aud: undefined }))],
    ['no exp', () => hs256(claimsFor(userId, org.id, { exp: undefined }))],
    ['a string exp', () => hs256(claimsFor(userId, org.id, { exp: String(now() + 300) }))],
    ['no sub', () => hs256(claimsFor(userId, org.id, { sub: undefined }))],
    ['no org', () => hs256(claimsFor(userId, org.id, { org: undefined }))],
    ['a sub that is not a UUID', () => hs256(claimsFor('1 OR 1=1', org.id))],
    ['an org that is not a UUID', () => hs256(claimsFor(userId, "x' OR '1'='1"))],
    ['a sub that is a number', () => hs256(claimsFor(userId, org.id, { sub: 1 }))],
    ['a sub for a user that does not exist', () => hs256(claimsFor(randomUUID(), org.id))],
    ["an org claim naming another organization than the user's", () => hs256(claimsFor(userId, other.id))],
    ["the other organization's admin with this organization's id", () => hs256(claimsFor(other.auth.user.id, org.id))],
    ['a token that is not a JWT at all', () => 'not-a-jwt'],
    ['a JWT with only two segments', () => hs256(claimsFor(userId, org.id)).split('.').slice(0, 2).join('.')],
  ];

  it.each(attacks)('refuses %s on /auth/me and on an ORG_ADMIN route', async (_name, build) => {
    await expectRefusedEverywhere(build());
  });

  it('refuses a real token presented with another scheme or without one', async () => {
    const token = org.auth.accessToken;
    for (const authorization of [`Basic ${token}`, token, `Bearer`, `Bearer  `]) {
      const response = await new ApiClient(t.baseUrl).get('/auth/me', { authorization });
      expectError(response, 401, 'UNAUTHORIZED');
    }
  });

  it('gives every refusal the same message, so a caller cannot tell the causes apart', async () => {
    const messages = new Set<string>();
    for (const [, build] of attacks) {
      const response = await new ApiClient(t.baseUrl, build()).get('/auth/me');
      messages.add(response.body?.message);
    }
    messages.add((await new ApiClient(t.baseUrl).get('/auth/me')).body?.message);
    expect([...messages]).toHaveLength(1);
  });

  it('stops a token at once when its organization is deleted (users and refresh tokens cascade)', async () => {
    const doomed = await registerOrganization(t, 'Doomed');
    const token = hs256(claimsFor(doomed.auth.user.id, doomed.id));
    expect((await doomed.admin.get('/auth/me')).status).toBe(200);
    expect((await new ApiClient(t.baseUrl, token).get('/credentials')).status).toBe(200);

    await t.db.query('DELETE FROM organizations WHERE id = $1', [doomed.id]);
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*)::int FROM users WHERE organization_id = $1) AS users,
              (SELECT count(*)::int FROM refresh_tokens WHERE organization_id = $1) AS tokens`,
      [doomed.id],
    );
    expect(rows[0]).toEqual({ users: 0, tokens: 0 });

    await expectRefusedEverywhere(doomed.auth.accessToken);
    await expectRefusedEverywhere(token);
    expectError(await doomed.anonymous.post('/auth/refresh', { refreshToken: doomed.auth.refreshToken }), 401, 'UNAUTHORIZED');
  });

  it('stops a token at once when its user is deactivated', async () => {
    const target = await registerOrganization(t, 'Deactivated');
    expect((await target.admin.get('/auth/me')).status).toBe(200);
    await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [target.auth.user.id]);
    await expectRefusedEverywhere(target.auth.accessToken);
  });

  it('answers 403 FORBIDDEN to an authenticated USER on an ORG_ADMIN route, while /auth/me works for them', async () => {
    const member = await createMember(t, org);
    const me = await member.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ isOrgAdmin: false, organizationId: org.id });
    expectError(await member.get('/credentials'), 403, 'FORBIDDEN');
    expectError(await member.get(`/credentials/${randomUUID()}`), 403, 'FORBIDDEN');
  });

  it('takes the role from the user record, not from the claim: a USER token claiming ORG_ADMIN is still 403', async () => {
    const member = await createMember(t, org);
    const memberId = (await member.get('/auth/me')).body.id as string;
    const promoted = hs256(claimsFor(memberId, org.id, { role: 'ORG_ADMIN' }));
    expectError(await new ApiClient(t.baseUrl, promoted).get('/credentials'), 403, 'FORBIDDEN');
  });
});
