import { expectError } from '../harness/api-client';
import { auditRows, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

jest.setTimeout(60_000);

const DEFAULTS = {
  mfaRequired: false,
  passwordMinLength: 8,
  passwordRequireUppercase: true,
  passwordRequireLowercase: true,
  passwordRequireDigit: true,
  passwordRequireSpecialChar: false,
  passwordExpirationDays: null,
};

/** §10: GET and PATCH /organization/settings. */
describe('organization settings', () => {
  let t: TestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    t = await startTestApp();
  });
  beforeEach(async () => {
    org = await registerOrganization(t, 'Settings');
  });
  afterAll(async () => t?.close());

  const settingsRow = async (organizationId: string) =>
    (await t.db.query('SELECT * FROM organization_settings WHERE organization_id = $1', [organizationId])).rows[0];
  /** §11: once MFA is required, an admin without it reaches only MFA setup; this one has MFA on. */
  const withMfaOn = async (admin: TestOrganization) =>
    t.db.query('UPDATE users SET mfa_enabled_at = now() WHERE id = $1', [admin.auth.user.id]);
  const settingsAudit = async (organizationId: string) =>
    (await auditRows(t, organizationId)).filter((row) => row.event_type === 'ORGANIZATION_SETTINGS_UPDATE');

  it('a new organization has the defaults of §10, exactly these seven fields', async () => {
    const response = await org.admin.get('/organization/settings');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(DEFAULTS);
  });

  it('PATCH changes only the fields sent, answers all seven, and persists', async () => {
    const first = await org.admin.patch('/organization/settings', { passwordMinLength: 12, passwordRequireSpecialChar: true });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...DEFAULTS, passwordMinLength: 12, passwordRequireSpecialChar: true });

    await withMfaOn(org);
    const second = await org.admin.patch('/organization/settings', { passwordExpirationDays: 90, mfaRequired: true });
    expect(second.body).toEqual({
      ...DEFAULTS,
      passwordMinLength: 12,
      passwordRequireSpecialChar: true,
      passwordExpirationDays: 90,
      mfaRequired: true,
    });
    expect((await org.admin.get('/organization/settings')).body).toEqual(second.body);
    expect(await settingsRow(org.id)).toMatchObject({ password_min_length: 12, password_expiration_days: 90, mfa_required: true });

    // null turns expiry off again; the other fields stay.
    const cleared = await org.admin.patch('/organization/settings', { passwordExpirationDays: null });
    expect(cleared.body).toEqual({ ...second.body, passwordExpirationDays: null });
  });

  it('accepts the bounds of each range', async () => {
    for (const body of [
      { passwordMinLength: 8 },
      { passwordMinLength: 128 },
      { passwordExpirationDays: 1 },
      { passwordExpirationDays: 365 },
    ]) {
      const response = await org.admin.patch('/organization/settings', body);
      expect({ body, status: response.status }).toEqual({ body, status: 200 });
      expect(response.body).toMatchObject(body);
    }
  });

  it.each([
    ['passwordMinLength', 7],
    ['passwordMinLength', 129],
    ['passwordMinLength', 12.5],
    ['passwordMinLength', '12'],
    ['passwordMinLength', null],
    ['passwordExpirationDays', 0],
    ['passwordExpirationDays', 366],
    ['passwordExpirationDays', 30.5],
    ['passwordExpirationDays', '30'],
    ['mfaRequired', 'true'],
    ['mfaRequired', 1],
    ['mfaRequired', null],
    ['passwordRequireUppercase', 'false'],
    ['passwordRequireLowercase', 0],
    ['passwordRequireDigit', null],
    ['passwordRequireSpecialChar', 'yes'],
  ])('refuses %s = %j with 400 naming the field, and changes nothing', async (field, value) => {
    const response = await org.admin.patch('/organization/settings', { [field]: value });
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining([field]));
    expect(new Set(response.body.details.map((d: { field: string }) => d.field))).toEqual(new Set([field]));
    expect((await org.admin.get('/organization/settings')).body).toEqual(DEFAULTS);
    expect(await settingsRow(org.id)).toBeUndefined();
  });

  it('refuses an empty body, unknown fields and a valid field beside an invalid one (nothing stored)', async () => {
    const empty = await org.admin.patch('/organization/settings', {});
    expectError(empty, 400, 'VALIDATION_ERROR');
    expect(empty.body.details).toEqual([expect.objectContaining({ field: 'body' })]);

    const none = await org.admin.request('PATCH', '/organization/settings');
    expectError(none, 400, 'VALIDATION_ERROR');

    const unknown = await org.admin.patch('/organization/settings', { passwordMinLength: 10, organizationId: org.id });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(unknown.body.details.map((d: { field: string }) => d.field)).toEqual(['organizationId']);

    const mixed = await org.admin.patch('/organization/settings', { passwordMinLength: 10, passwordExpirationDays: 0 });
    expectError(mixed, 400, 'VALIDATION_ERROR');
    expect((await org.admin.get('/organization/settings')).body).toEqual(DEFAULTS);
  });

  it('audits ORGANIZATION_SETTINGS_UPDATE with the changed fields; a refusal is a FAILURE row', async () => {
    await org.admin.patch('/organization/settings', { passwordMinLength: 10, passwordRequireDigit: true });
    await org.admin.patch('/organization/settings', { passwordMinLength: 3 });
    const rows = await settingsAudit(org.id);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      result: 'SUCCESS',
      actor_email: org.email,
      resource_type: 'ORGANIZATION',
      resource_id: org.id,
      // passwordRequireDigit was sent with its current value: not a change.
      details: { changedFields: ['passwordMinLength'] },
    });
    expect(rows[1]).toMatchObject({ result: 'FAILURE', error_code: 'VALIDATION_ERROR' });
  });

  it('changing the policy never re-checks stored passwords: the admin still signs in with a password the new policy refuses', async () => {
    // 'correct horse battery' has no upper case and no digit, and is 21 characters long.
    const stricter = await org.admin.patch('/organization/settings', { passwordMinLength: 64, passwordRequireSpecialChar: true });
    expect(stricter.status).toBe(200);
    const login = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: org.password });
    expect(login.status).toBe(200);
    expect(login.body.accessToken).toEqual(expect.any(String));
    expect((await org.admin.get('/auth/me')).status).toBe(200);
  });

  it("each organization has its own settings: another organization's change is invisible", async () => {
    const other = await registerOrganization(t, 'Other settings');
    await withMfaOn(other);
    await other.admin.patch('/organization/settings', { passwordMinLength: 20, mfaRequired: true });
    expect((await org.admin.get('/organization/settings')).body).toEqual(DEFAULTS);
    expect((await other.admin.get('/organization/settings')).body).toMatchObject({ passwordMinLength: 20, mfaRequired: true });
  });

  it('a member (USER role) gets 403 on both routes, and nothing changes', async () => {
    const member = await createMember(t, org);
    expectError(await member.get('/organization/settings'), 403, 'FORBIDDEN');
    expectError(await member.patch('/organization/settings', { passwordMinLength: 20 }), 403, 'FORBIDDEN');
    expect(await settingsRow(org.id)).toBeUndefined();
    expectError(await org.anonymous.get('/organization/settings'), 401, 'UNAUTHORIZED');
  });
});
