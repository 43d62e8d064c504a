import { expectError } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { NEW_PASSWORD, PasswordsTestApp, requestReset, startPasswordsApp } from '../passwords/passwords-harness';
import { codeAt, memberWithMfa, PinnedClock, verify } from './mfa-harness';

/** A reset link proves one factor only (decisions §10 and §11): a user with MFA on still meets the challenge. */
describe('MFA and the password reset mail', () => {
  let app: PasswordsTestApp;
  let org: TestOrganization;
  let clock: PinnedClock;

  beforeAll(async () => {
    app = await startPasswordsApp();
    clock = new PinnedClock(app.t);
    org = await registerOrganization(app.t, 'Mfa reset');
  });
  afterAll(async () => {
    clock?.restore();
    await app?.close();
  });

  it('sets the new password, then answers the MFA challenge instead of tokens; verify-mfa signs in', async () => {
    const user = await memberWithMfa(app.t, org, clock);
    const token = await requestReset(app, org, user.email);
    const reset = await org.anonymous.post('/auth/reset-password', { token, password: NEW_PASSWORD });
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({
      mfaRequired: true,
      mfaChallengeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      mfaChallengeExpiresIn: 300,
      accessToken: null,
      refreshToken: null,
      user: null,
    });
    // The password did change: the old one fails, the new one leads to the challenge.
    expectError(
      await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: user.email, password: user.password }),
      401,
      'UNAUTHORIZED',
    );
    const login = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: user.email, password: NEW_PASSWORD });
    expect(login.body.mfaRequired).toBe(true);
    const signedIn = await verify(org, reset.body.mfaChallengeToken, codeAt(user.secret, clock.tick()));
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toMatchObject({ id: user.id });
    expect(Object.keys(signedIn.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user']);
  });
});
