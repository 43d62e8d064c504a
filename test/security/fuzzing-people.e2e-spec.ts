import fc from 'fast-check';
import { ApiResponse } from '../harness/api-client';
import { createMember, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { enableMfa, PinnedClock } from '../mfa/mfa-harness';
import { USER_KEYS } from '../users/users-harness';
import { pathIdArb } from './fuzz-arbitraries';
import { BodyRoute, fuzzBodyRoute, fuzzChecker, FuzzChecker, isArray, keysAre, runs } from './fuzz-checker';
import { FINGERPRINT_TABLES, randomId, startPrivateApp } from './security-harness';
import { mintToken } from './token-attacks-harness';

jest.setTimeout(120_000);

/**
 * Property-based fuzzing of the people routes (§9, §10, §12, §15): users and invitations, roles,
 * organization settings and API keys, bodies and path ids. Each run starts from a valid body (live
 * tokens and unique names spliced in), which bodyArb drops fields from, breaks or extends. Never a
 * 5xx, always the envelope, and a refused request changes nothing in the database. The password
 * and MFA bodies are in fuzzing-sign-in.e2e-spec.ts. Reproduce with FUZZ_SEED=<seed>; FUZZ_RUNS
 * scales the run counts.
 */
const ROLE_KEYS = ['createdAt', 'description', 'id', 'maxSessionDurationHours', 'name', 'resourceIds', 'updatedAt', 'userIds'];
const SETTINGS_KEYS = [
  'mfaRequired',
  'passwordExpirationDays',
  'passwordMinLength',
  'passwordRequireDigit',
  'passwordRequireLowercase',
  'passwordRequireSpecialChar',
  'passwordRequireUppercase',
];
const CREATED_KEY_KEYS = ['createdAt', 'description', 'expiresAt', 'id', 'keyPrefix', 'name', 'plainTextKey', 'scopes'];
const signedIn = (r: ApiResponse) =>
  typeof r.body?.accessToken === 'string' && r.body.tokenType === 'Bearer' ? [] : [`not a sign-in: ${r.text.slice(0, 200)}`];

describe('security: fuzzing the people routes', () => {
  let t: TestApp;
  let fuzz: FuzzChecker;
  let clock: PinnedClock;
  let org: TestOrganization;
  let settingsOrg: TestOrganization;
  let patchTarget: string;
  let role: string;
  const live: Record<string, string> = {};

  beforeAll(async () => {
    t = await startPrivateApp();
    fuzz = fuzzChecker(t);
    clock = new PinnedClock(t);
    org = await registerOrganization(t, 'Fuzz people');
    // Settings are fuzzed in an organization of their own, whose admin has MFA on: `mfaRequired: true` locks nobody out.
    settingsOrg = await registerOrganization(t, 'Fuzz settings');
    await enableMfa(settingsOrg.admin, clock);
    const member = await createMember(t, org);
    patchTarget = (await member.get('/auth/me')).body.id;
    role = (await org.admin.post('/roles', { name: uniqueName('Fuzz role') })).body.id;
    expect([patchTarget, role].every(Boolean)).toBe(true);
  });
  afterAll(async () => {
    console.log(`fuzzing (people): ${fuzz?.count} requests fuzzed (${fuzz?.statuses()})\n  ${fuzz?.statuses(true)}`);
    clock?.restore();
    await t?.close();
  });

  /** A pending invitee (no password yet) and a live invitation token for it. */
  async function newInvitation(): Promise<string> {
    const { rows } = await t.db.query(
      `INSERT INTO users (organization_id, email, role, invitation_pending) VALUES ($1, $2, 'USER', true) RETURNING id`,
      [org.id, `pending-${randomId().slice(0, 8)}@example.test`],
    );
    return mintToken(t, { organizationId: org.id, userId: rows[0].id }, 'INVITATION');
  }

  it('the fingerprint that judges every refusal covers every table of the schema', async () => {
    const { rows } = await t.db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const tables = rows.map((row) => row.table_name as string).filter((name) => !['migrations', 'audit_logs'].includes(name));
    expect([...FINGERPRINT_TABLES].sort()).toEqual(tables);
  });

  const bodyRoutes: BodyRoute[] = [
    {
      label: 'POST /users',
      method: 'POST',
      path: () => '/users',
      client: () => org.admin,
      numRuns: 100,
      valids: [{ email: '$EMAIL$', name: 'Ivy Invitee', isOrgAdmin: false }, { email: '$EMAIL$' }],
      prepare: async () => ({ $EMAIL$: `fuzz-${randomId().slice(0, 8)}@example.test` }),
      success: (r) => [...keysAre(USER_KEYS)(r), ...(r.body.invitationPending === true ? [] : ['not pending'])],
    },
    {
      label: 'PATCH /users/{id}',
      method: 'PATCH',
      path: () => `/users/${patchTarget}`,
      client: () => org.admin,
      numRuns: 80,
      valids: [{ name: 'Renamed', isOrgAdmin: false, isActive: true }, { name: null }, { isActive: false }],
      success: keysAre(USER_KEYS),
    },
    {
      label: 'POST /auth/set-password',
      method: 'POST',
      path: () => '/auth/set-password',
      client: () => org.anonymous,
      numRuns: 80,
      // A good password, and one the policy refuses (400, the link stays usable).
      valids: [
        { inviteToken: '$INVITE$', password: 'Invited member 1' },
        { inviteToken: '$INVITE$', password: 'alllowercase' },
      ],
      prepare: async () => ({ $INVITE$: (live.invite ??= await newInvitation()) }),
      success: (r) => {
        delete live.invite;
        return signedIn(r);
      },
    },
    {
      label: 'POST /roles',
      method: 'POST',
      path: () => '/roles',
      client: () => org.admin,
      numRuns: 80,
      valids: [{ name: '$NAME$', description: 'Developers', maxSessionDurationHours: 8 }, { name: '$NAME$' }],
      prepare: async () => ({ $NAME$: uniqueName('Role') }),
      success: keysAre(ROLE_KEYS),
    },
    {
      label: 'PATCH /roles/{id}',
      method: 'PATCH',
      path: () => `/roles/${role}`,
      client: () => org.admin,
      numRuns: 60,
      valids: [{ name: '$NAME$', description: null, maxSessionDurationHours: 4 }, { maxSessionDurationHours: null }],
      prepare: async () => ({ $NAME$: uniqueName('Role') }),
      success: keysAre(ROLE_KEYS),
    },
    {
      label: 'PATCH /organization/settings',
      method: 'PATCH',
      path: () => '/organization/settings',
      client: () => settingsOrg.admin,
      numRuns: 100,
      valids: [
        {
          mfaRequired: false,
          passwordMinLength: 12,
          passwordRequireUppercase: true,
          passwordRequireLowercase: true,
          passwordRequireDigit: false,
          passwordRequireSpecialChar: true,
          passwordExpirationDays: 90,
        },
        { passwordExpirationDays: null },
        { mfaRequired: true },
      ],
      success: keysAre(SETTINGS_KEYS),
    },
    {
      label: 'POST /api-keys',
      method: 'POST',
      path: () => '/api-keys',
      client: () => org.admin,
      numRuns: 100,
      valids: [
        { name: 'CI', description: 'Pipeline', scopes: ['sessions:read', 'sessions:write'], expiresAt: '2999-01-01T00:00:00Z' },
        { name: 'Reader', scopes: ['resources:read', 'audit:read'], expiresAt: '2999-12-31' },
      ],
      success: (r) => [
        ...keysAre(CREATED_KEY_KEYS)(r),
        ...(/^egk_live_[0-9A-Za-z]{43}$/.test(r.body.plainTextKey) ? [] : ['a malformed key']),
      ],
    },
  ];

  it.each(bodyRoutes.map((route) => [route.label, route] as const))('%s: generated bodies', async (_label, route) => {
    await fuzzBodyRoute(fuzz, route);
  });

  const idRoutes: Array<[string, string, () => unknown]> = [
    ['GET', '/users/{id}', () => undefined],
    ['PATCH', '/users/{id}', () => ({ name: 'Fuzz by id' })],
    ['DELETE', '/users/{id}', () => undefined],
    ['POST', '/users/{id}/resend-invitation', () => undefined],
    ['POST', '/users/{id}/reset-mfa', () => undefined],
    ['GET', '/roles/{id}', () => undefined],
    ['PATCH', '/roles/{id}', () => ({ description: 'Fuzz by id' })],
    ['DELETE', '/roles/{id}', () => undefined],
    ['POST', '/roles/{id}/users/{user}', () => undefined],
    ['DELETE', '/roles/{role}/users/{id}', () => undefined],
    ['POST', '/roles/{role}/resources/{id}', () => undefined],
    ['DELETE', '/roles/{id}/resources/{resource}', () => undefined],
    ['DELETE', '/api-keys/{id}', () => undefined],
  ];

  it('path ids: hostile, malformed, long and unknown ids on every people route with an id', async () => {
    await fuzz.property(fc.tuple(fc.constantFrom(...idRoutes), pathIdArb), runs(250), async ([[method, template, body], id]) => {
      const path = template.replace('{id}', id).replace('{user}', patchTarget).replace('{role}', role).replace('{resource}', randomId());
      await fuzz.check(
        `${method} ${path.slice(0, 300)}`,
        () => org.admin.request(method, path, body()),
        (r) => (method === 'GET' && Array.isArray(r.body) ? [] : ['an unknown id succeeded']),
        undefined,
        'path ids',
      );
    });
  });

  it('the fuzzed organizations are still usable: their admins sign in, and list what they own', async () => {
    expect(isArray(await org.admin.get('/users'))).toEqual([]);
    expect((await settingsOrg.admin.get('/organization/settings')).status).toBe(200);
    expect((await org.admin.get(`/roles/${role}`)).status).toBe(200);
  });
});
