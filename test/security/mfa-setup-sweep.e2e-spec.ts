import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { codeAt, createUser, enableMfa, login, MfaUser, PinnedClock, setMfaRequired, signIn } from '../mfa/mfa-harness';
import { BODIES, Ctx, IDS_BY_FAMILY, IDS_BY_OPERATION, SECONDARY } from './mfa-setup-sweep.fixture';
import { envelopeProblems, orgRows, originOf, randomId, startPrivateApp } from './security-harness';

jest.setTimeout(60_000);

/**
 * §11's MFA-setup-only token, swept over every operation the served OpenAPI document lists: in an
 * organization with `mfaRequired: true`, a user who has not set MFA up signs in with
 * `mfaSetupRequired: true`, and that token is refused 403 FORBIDDEN everywhere but the four routes
 * of §11 (and the public ones), with nothing changed; once MFA is confirmed, the same token works.
 * Each refused call names the caller's own objects and carries a valid body, so only the MFA gate
 * stands between it and a change. A route added later is swept without touching this file.
 */
interface Operation {
  method: string;
  path: string;
  operationId: string;
  authenticated: boolean;
  hasBody: boolean;
}

/** The routes a restricted token reaches (§11), by operationId. */
const ALLOWED = ['setupMfa', 'confirmMfaSetup', 'getCurrentUser', 'logout'];

describe('security: the MFA-setup-only token (§11) over every documented operation', () => {
  let t: TestApp;
  let clock: PinnedClock;
  let org: TestOrganization;
  let operations: Operation[];
  let restrictedKey: string;
  const restricted: Record<'admin' | 'member', { user: MfaUser; client: ApiClient; refreshToken: string; ctx: Ctx }> = {} as never;

  beforeAll(async () => {
    t = await startPrivateApp();
    clock = new PinnedClock(t);
    const doc = (await (await fetch(`${originOf(t)}/api/docs-json`)).json()) as { paths: Record<string, Record<string, any>> };
    operations = Object.entries(doc.paths).flatMap(([fullPath, item]) =>
      Object.entries<any>(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path: fullPath.replace(/^\/api\/v1/, ''),
          operationId: op.operationId as string,
          authenticated: Boolean(op.security?.length),
          hasBody: Boolean(op.requestBody),
        })),
    );

    org = await registerOrganization(t, 'Mfa sweep');
    const create = async (path: string, body: unknown, client = org.admin) => {
      const response = await client.post(path, body);
      if (response.status !== 201) throw new Error(`seeding ${path} failed: ${response.status} ${response.text}`);
      return response.body.id as string;
    };
    const credential = await create('/credentials', awsCredentialBody());
    const freeCredential = await create('/credentials', awsCredentialBody());
    const resource = await create('/resources', awsResourceBody(credential));
    const held = await create('/resources', awsResourceBody(credential));
    await t.db.query(`UPDATE resources SET is_active = true WHERE id = $1`, [held]);
    const invitee = await create('/users', { email: `invitee-${randomId().slice(0, 8)}@example.test` });
    const role = await create('/roles', { name: uniqueName('Role') });
    const apiKey = await create('/api-keys', { name: uniqueName('Key'), scopes: ['resources:read'] });
    const rule = await create('/static-ip-rules', { label: 'Office', ipAddress: '198.51.100.0/24', resourceIds: [held] });

    // Two users who have not set MFA up, each with a live session of their own (started before MFA was required).
    const admin = await createUser(t, org, 'ORG_ADMIN');
    const member = await createUser(t, org, 'USER');
    expect((await org.admin.post(`/roles/${role}/users/${member.id}`)).status).toBe(200);
    expect((await org.admin.post(`/roles/${role}/resources/${held}`)).status).toBe(200);
    const sessionOf = async (user: MfaUser, address: string) => {
      const id = await create('/sessions', { ipv4Address: address, resourceIds: [held] }, (await signIn(org, user)).client);
      await t.db.query(`UPDATE sessions SET status = 'ACTIVE' WHERE id = $1`, [id]);
      return id;
    };
    const adminSession = await sessionOf(admin, '203.0.113.11');
    // A key of the restricted admin, made before MFA was required: it acts as its creator (§15).
    const keyed = await (
      await signIn(org, admin)
    ).client.post('/api-keys', {
      name: uniqueName('Restricted key'),
      scopes: ['sessions:read', 'sessions:write', 'resources:read', 'audit:read'],
    });
    expect(keyed.status).toBe(201);
    restrictedKey = keyed.body.plainTextKey;
    // Used once now: its once-a-minute lastUsedAt write is behind us before any snapshot.
    expect((await new ApiClient(t.baseUrl, undefined, { 'x-api-key': restrictedKey }).get('/sessions')).status).toBe(200);
    const memberSession = await sessionOf(member, '203.0.113.12');

    // The first admin turns MFA on, then requires it.
    await enableMfa(org.admin, clock);
    await setMfaRequired(org, true);
    const base = { credential, freeCredential, resource, held, invitee, mfaAdmin: org.auth.user.id, role, apiKey, rule, memberSession };
    for (const [name, user, ownSession] of [
      ['admin', admin, adminSession],
      ['member', member, memberSession],
    ] as const) {
      const signedIn = await login(org, user);
      expect(signedIn.status).toBe(200);
      expect(signedIn.body).toMatchObject({ mfaSetupRequired: true, tokenType: 'Bearer', user: { id: user.id } });
      restricted[name] = {
        user,
        client: org.anonymous.as(signedIn.body.accessToken),
        refreshToken: signedIn.body.refreshToken,
        ctx: { ...base, ownSession },
      };
    }
  });
  afterAll(async () => {
    clock?.restore();
    await t?.close();
  });

  const label = (op: Operation) => `${op.method} ${op.path} (${op.operationId})`;

  function pathFor(op: Operation, ctx: Ctx): string {
    const family = op.path.split('/')[1];
    return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      const pick = name === 'id' ? (IDS_BY_OPERATION[op.operationId] ?? IDS_BY_FAMILY[family]) : SECONDARY[name];
      if (!pick) throw new Error(`${label(op)}: no object for {${name}}; teach this spec how to seed it`);
      return pick(ctx);
    });
  }

  function bodyFor(op: Operation, ctx: Ctx): unknown {
    if (!op.hasBody) return undefined;
    const make = BODIES[op.operationId];
    if (!make) throw new Error(`${label(op)}: takes a body, but this spec knows no valid body for it (add one to BODIES)`);
    return make(ctx);
  }

  it('the document lists the four operations §11 leaves open, and 50 or more others to sweep', () => {
    const ids = operations.map((op) => op.operationId);
    expect(ids).toEqual(expect.arrayContaining(ALLOWED));
    expect(operations.filter((op) => op.authenticated && !ALLOWED.includes(op.operationId)).length).toBeGreaterThanOrEqual(50);
  });

  it('refuses the restricted token of an admin and of a member with 403 FORBIDDEN on every other authenticated operation, and nothing changes', async () => {
    const swept = operations.filter((op) => op.authenticated && !ALLOWED.includes(op.operationId));
    const failures: string[] = [];
    let requests = 0;
    for (const name of ['admin', 'member'] as const) {
      const { client, ctx } = restricted[name];
      for (const op of swept) {
        let response: ApiResponse;
        const before = await orgRows(t, org.id);
        try {
          response = await client.request(op.method, pathFor(op, ctx), bodyFor(op, ctx));
        } catch (error) {
          failures.push(String(error));
          continue;
        }
        requests++;
        const after = await orgRows(t, org.id);
        const problems = envelopeProblems(response);
        if (response.status !== 403 || response.body?.error !== 'FORBIDDEN' || problems.length) {
          failures.push(`${name} ${label(op)}: expected 403 FORBIDDEN, got ${response.status} ${response.text} ${problems.join('; ')}`);
        } else if (!/requires MFA/.test(response.body.message)) {
          failures.push(`${name} ${label(op)}: the 403 does not say MFA must be set up: ${response.body.message}`);
        }
        for (const table of Object.keys(before)) {
          if (JSON.stringify(before[table]) !== JSON.stringify(after[table])) failures.push(`${name} ${label(op)}: table ${table} changed`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The refusals are on record as FAILURE rows of the organization, with the code.
    const { rows } = await t.db.query(
      `SELECT DISTINCT error_code FROM audit_logs WHERE actor_id = ANY($1) AND result = 'FAILURE' AND event_type <> 'USER_LOGIN'`,
      [[restricted.admin.user.id, restricted.member.user.id]],
    );
    expect(rows).toEqual([{ error_code: 'FORBIDDEN' }]);
    const open = operations.filter((op) => op.authenticated && ALLOWED.includes(op.operationId)).map((op) => op.operationId);
    console.log(
      `MFA-setup sweep: ${swept.length} authenticated operations refused 403 FORBIDDEN for each of 2 restricted tokens (admin, member), ` +
        `${requests} requests, nothing changed; left open: ${open.join(', ')} and the ${operations.filter((op) => !op.authenticated).length} public operations (logout among them)`,
    );
  });

  it('refuses malformed requests with the same 403 first: the gate comes before validation (§1: 401, 403, 400)', async () => {
    const { client } = restricted.admin;
    const failures: string[] = [];
    const before = await orgRows(t, org.id);
    for (const op of operations.filter((o) => o.authenticated && !ALLOWED.includes(o.operationId))) {
      const path = op.path.replace(/\{[^}]+\}/g, 'not-a-uuid');
      const response = await client.request(op.method, path, op.hasBody ? { bogus: '\u0000', constructor: 1 } : undefined);
      if (response.status !== 403 || response.body?.error !== 'FORBIDDEN')
        failures.push(`${label(op)}: ${response.status} ${response.text}`);
    }
    expect(failures).toEqual([]);
    expect(await orgRows(t, org.id)).toEqual(before);
  });

  it("refuses the restricted admin's API key on every route of its scopes, and nothing changes", async () => {
    const key = new ApiClient(restricted.admin.client.baseUrl, undefined, { 'x-api-key': restrictedKey });
    const before = await orgRows(t, org.id);
    const { ctx } = restricted.admin;
    for (const [method, path, body] of [
      ['GET', '/resources', undefined],
      ['GET', `/resources/${ctx.held}`, undefined],
      ['GET', '/audit-logs', undefined],
      ['GET', '/sessions', undefined],
      ['POST', '/sessions', BODIES.startSession(ctx)],
      ['POST', `/sessions/${ctx.ownSession}/extend`, { additionalHours: 1 }],
      ['POST', `/sessions/${ctx.ownSession}/stop`, undefined],
    ] as const) {
      const response = await key.request(method, path, body);
      expect({ method, path, status: response.status, error: response.body?.error }).toEqual({
        method,
        path,
        status: 403,
        error: 'FORBIDDEN',
      });
    }
    expect(await orgRows(t, org.id)).toEqual(before);
  });

  it('lets the restricted token reach the public operations as if it were not there', async () => {
    const { client } = restricted.member;
    const failures: string[] = [];
    for (const op of operations.filter((o) => !o.authenticated && !ALLOWED.includes(o.operationId))) {
      // No body: each answers 2xx or its own 400/401, never the MFA gate's 403.
      const response = await client.request(op.method, op.path);
      if (response.status === 403 || response.status >= 500) failures.push(`${label(op)}: ${response.status} ${response.text}`);
    }
    expect(failures).toEqual([]);
  });

  it('reaches /auth/me, /auth/logout and /mfa/setup with the restricted token', async () => {
    for (const name of ['admin', 'member'] as const) {
      const { client, user } = restricted[name];
      expect((await client.get('/auth/me')).body).toMatchObject({ id: user.id });
      expect((await client.post('/mfa/setup')).status).toBe(200);
      expect((await client.post('/auth/logout', {})).status).toBe(200);
    }
  });

  it('accepts the same token on a sample of operations once MFA is confirmed with it', async () => {
    for (const name of ['admin', 'member'] as const) {
      const { client } = restricted[name];
      const setup = await client.post('/mfa/setup');
      expect(setup.status).toBe(200);
      const confirmed = await client.post('/mfa/setup/confirm', {
        secret: setup.body.secret,
        code: codeAt(setup.body.secret, clock.tick()),
      });
      expect(confirmed.status).toBe(200);
      expect(
        (await t.db.query(`SELECT mfa_enabled_at IS NOT NULL AS on FROM users WHERE id = $1`, [restricted[name].user.id])).rows[0].on,
      ).toBe(true);
      expect((await client.get('/sessions')).status).toBe(200);
      expect((await client.post('/mfa/recovery-codes/regenerate', { code: codeAt(setup.body.secret, clock.tick()) })).status).toBe(200);
    }
    const admin = restricted.admin.client;
    for (const path of ['/credentials', '/users', '/roles', '/organization/settings', '/sessions/admin', '/api-keys']) {
      expect({ path, status: (await admin.get(path)).status }).toEqual({ path, status: 200 });
    }
    expect((await admin.post('/roles', { name: uniqueName('After MFA') })).status).toBe(201);
    // Its key too: the creator has MFA on now.
    expect((await new ApiClient(admin.baseUrl, undefined, { 'x-api-key': restrictedKey }).get('/sessions')).status).toBe(200);
    // A member stays a member: MFA lifts the gate, never the role check behind it.
    expectError(await restricted.member.client.get('/credentials'), 403, 'FORBIDDEN');
    expect((await restricted.member.client.get('/credentials')).body.message).not.toMatch(/requires MFA/);
  });
});
