import { ApiClient, ApiResponse } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { codeAt, createUser, enableMfa, memberWithMfa, MfaMember, PinnedClock, signIn } from '../mfa/mfa-harness';
import { BodyRoute, fuzzBodyRoute, fuzzChecker, FuzzChecker, keysAre, noBody } from './fuzz-checker';
import { randomId, startPrivateApp } from './security-harness';
import { mintToken } from './token-attacks-harness';

jest.setTimeout(120_000);

/**
 * Property-based fuzzing of the sign-in bodies of §10 and §11: change-password, forgot and reset,
 * change-expired-password, MFA setup confirmation, disable, recovery-code regeneration and
 * verify-mfa. Each run starts from a valid body with a live token and a current TOTP code spliced
 * in (the service's TOTP clock is pinned, and moves a step per run), which bodyArb then breaks.
 * Never a 5xx, always the envelope, and a refused request changes nothing in the database but
 * what §11 asks for (a wrong code counts against its challenge). Reproduce with FUZZ_SEED=<seed>.
 */
const signedIn = (r: ApiResponse) =>
  typeof r.body?.accessToken === 'string' && r.body.tokenType === 'Bearer' ? [] : [`not a sign-in: ${r.text.slice(0, 200)}`];
const recoveryCodes = (r: ApiResponse) => (r.body?.recoveryCodes?.length === 8 ? [] : ['not 8 recovery codes']);

describe('security: fuzzing the password and MFA bodies', () => {
  let t: TestApp;
  let fuzz: FuzzChecker;
  let clock: PinnedClock;
  let org: TestOrganization;
  let pwClient: ApiClient;
  const passwords = { current: 'Mfa password 1', next: 'Fuzzed password 2' };
  let resetUser: string;
  let changeUser: string;
  let setupUser: { id: string; client: ApiClient };
  let mfaUser: MfaMember;
  const live: Record<string, string> = {};

  beforeAll(async () => {
    t = await startPrivateApp();
    fuzz = fuzzChecker(t);
    clock = new PinnedClock(t);
    org = await registerOrganization(t, 'Fuzz sign-in');
    pwClient = (await signIn(org, await createUser(t, org))).client;
    resetUser = (await createUser(t, org)).id;
    changeUser = (await createUser(t, org)).id;
    const setup = await createUser(t, org);
    setupUser = { id: setup.id, client: (await signIn(org, setup)).client };
    mfaUser = await memberWithMfa(t, org, clock);
  });
  afterAll(async () => {
    console.log(`fuzzing (passwords, MFA): ${fuzz?.count} requests fuzzed (${fuzz?.statuses()})\n  ${fuzz?.statuses(true)}`);
    clock?.restore();
    await t?.close();
  });

  const owner = (userId: string) => ({ organizationId: org.id, userId });
  const mfaOn = async (userId: string) =>
    (await t.db.query(`SELECT mfa_enabled_at IS NOT NULL AS on FROM users WHERE id = $1`, [userId])).rows[0].on as boolean;

  const bodyRoutes: BodyRoute[] = [
    {
      label: 'POST /auth/change-password',
      method: 'POST',
      path: () => '/auth/change-password',
      client: () => pwClient,
      numRuns: 40,
      // The right current password, and a wrong one (401, audited as a FAILURE, nothing else written).
      valids: [
        { currentPassword: '$CURRENT$', newPassword: '$NEXT$' },
        { currentPassword: 'Wrong password 9', newPassword: '$NEXT$' },
      ],
      prepare: async () => ({ $CURRENT$: passwords.current, $NEXT$: passwords.next }),
      success: (r) => {
        [passwords.current, passwords.next] = [passwords.next, passwords.current];
        return keysAre([])(r);
      },
    },
    {
      label: 'POST /auth/forgot-password',
      method: 'POST',
      path: () => '/auth/forgot-password',
      client: () => org.anonymous,
      numRuns: 50,
      // Nobody of that address: the answer is the same, and no mail is written after it.
      valids: [{ organizationSlug: 'fuzz-people-nobody', email: 'nobody@example.test' }],
      success: noBody,
    },
    {
      label: 'POST /auth/reset-password',
      method: 'POST',
      path: () => '/auth/reset-password',
      client: () => org.anonymous,
      numRuns: 40,
      valids: [
        { token: '$RESET$', password: 'Reset password 3' },
        { token: '$RESET$', password: 'weak' },
      ],
      prepare: async () => ({ $RESET$: (live.reset ??= await mintToken(t, owner(resetUser), 'PASSWORD_RESET')) }),
      success: (r) => {
        delete live.reset;
        return signedIn(r);
      },
    },
    {
      label: 'POST /auth/change-expired-password',
      method: 'POST',
      path: () => '/auth/change-expired-password',
      client: () => org.anonymous,
      numRuns: 40,
      valids: [{ passwordChangeToken: '$CHANGE$', newPassword: '$NEXT$' }],
      prepare: async () => ({
        $CHANGE$: (live.change ??= await mintToken(t, owner(changeUser), 'PASSWORD_CHANGE')),
        $NEXT$: `Expired then new ${randomId().slice(0, 6)} 4`,
      }),
      success: (r) => {
        delete live.change;
        return signedIn(r);
      },
    },
    {
      label: 'POST /mfa/setup/confirm',
      method: 'POST',
      path: () => '/mfa/setup/confirm',
      client: () => setupUser.client,
      numRuns: 25,
      valids: [{ secret: '$SECRET$', code: '$CODE$' }],
      prepare: async () => {
        // A new setup (slow: it draws a QR code) only when the last one was confirmed.
        if (!live.secret) {
          if (await mfaOn(setupUser.id)) expect((await org.admin.post(`/users/${setupUser.id}/reset-mfa`)).status).toBe(200);
          live.secret = (await setupUser.client.post('/mfa/setup')).body.secret as string;
        }
        return { $SECRET$: live.secret, $CODE$: codeAt(live.secret, clock.tick()) };
      },
      success: (r) => {
        delete live.secret;
        return recoveryCodes(r);
      },
    },
    {
      label: 'POST /mfa/disable',
      method: 'POST',
      path: () => '/mfa/disable',
      client: () => mfaUser.client,
      numRuns: 20,
      valids: [{ code: '$CODE$' }],
      prepare: async () => {
        if (!(await mfaOn(mfaUser.id))) mfaUser = { ...mfaUser, ...(await enableMfa(mfaUser.client, clock)) };
        return { $CODE$: codeAt(mfaUser.secret, clock.tick()) };
      },
      success: keysAre([]),
    },
    {
      label: 'POST /mfa/recovery-codes/regenerate',
      method: 'POST',
      path: () => '/mfa/recovery-codes/regenerate',
      client: () => mfaUser.client,
      numRuns: 25,
      valids: [{ code: '$CODE$' }],
      prepare: async () => {
        if (!(await mfaOn(mfaUser.id))) mfaUser = { ...mfaUser, ...(await enableMfa(mfaUser.client, clock)) };
        return { $CODE$: codeAt(mfaUser.secret, clock.tick()) };
      },
      success: recoveryCodes,
    },
    {
      label: 'POST /auth/verify-mfa',
      method: 'POST',
      path: () => '/auth/verify-mfa',
      client: () => org.anonymous,
      numRuns: 50,
      // The right code, a wrong one (401, counted against the challenge), and a forged challenge (401).
      valids: [
        { mfaChallengeToken: '$CHALLENGE$', code: '$CODE$' },
        { mfaChallengeToken: '$CHALLENGE$', code: '000000' },
        { mfaChallengeToken: 'A'.repeat(43), code: '$CODE$' },
      ],
      prepare: async () => {
        if (!(await mfaOn(mfaUser.id))) mfaUser = { ...mfaUser, ...(await enableMfa(mfaUser.client, clock)) };
        return { $CHALLENGE$: await mintToken(t, owner(mfaUser.id), 'MFA_CHALLENGE'), $CODE$: codeAt(mfaUser.secret, clock.tick()) };
      },
      success: signedIn,
      // §11: a wrong code counts against its (live) challenge, in the database.
      mayChange: (r) => (r.status === 401 ? ['user_tokens'] : []),
    },
  ];

  it.each(bodyRoutes.map((route) => [route.label, route] as const))('%s: generated bodies', async (_label, route) => {
    await fuzzBodyRoute(fuzz, route);
  });

  it('the fuzzed users still work: the password user signs in with its current password, the MFA user with a code', async () => {
    expect((await pwClient.get('/auth/me')).status).toBe(200);
    if (!(await mfaOn(mfaUser.id))) mfaUser = { ...mfaUser, ...(await enableMfa(mfaUser.client, clock)) };
    const challenge = await org.anonymous.post('/auth/login', {
      organizationSlug: org.slug,
      email: mfaUser.email,
      password: mfaUser.password,
    });
    expect(challenge.body.mfaRequired).toBe(true);
    const done = await org.anonymous.post('/auth/verify-mfa', {
      mfaChallengeToken: challenge.body.mfaChallengeToken,
      code: codeAt(mfaUser.secret, clock.tick()),
    });
    expect(signedIn(done)).toEqual([]);
  });
});
