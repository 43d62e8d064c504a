import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/database/src';
import { CredentialCipher, parseKeyring } from '../../apps/api/src/credentials/credential-cipher';
import { rewrapMfaSecrets } from '../../apps/api/src/credentials/rewrap/mfa-secret-rewrap';
import { MfaSecretSealerAdapter } from '../../apps/api/src/mfa/mfa-secret-sealer.adapter';
import { ENTITIES } from '../../apps/api/src/entities';
import { ApiClient, expectError, receivedBodies } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, startTestAppOnOwnDatabase, TEST_KEY_V1, TEST_KEY_V2, TestApp } from '../harness/test-app';
import { base32Decode, challenge, codeAt, createUser, memberWithMfa, PinnedClock, signIn, verify } from './mfa-harness';

/**
 * Secret canaries for MFA (decisions §11, §4): the TOTP secret and the recovery codes never stored
 * in plain text, never in a log line, an audit row or another response; a sealed secret copied to
 * another user does not open; and keys:rewrap moves TOTP secrets to the active key.
 */
describe('MFA secrets', () => {
  let t: TestApp;
  let org: TestOrganization;
  let clock: PinnedClock;

  beforeAll(async () => {
    t = await startTestAppOnOwnDatabase({}, 'entryguard_mfa');
    clock = new PinnedClock(t);
    org = await registerOrganization(t, 'Mfa secrets');
  });
  afterAll(async () => {
    clock?.restore();
    await t?.close();
  });

  /** Every table's rows as text (bytea as hex), the whole database: what a leaked dump would show. */
  async function everyTableAsText(): Promise<string> {
    const tables = (
      await t.db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
    ).rows as Array<{ table_name: string }>;
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['user_mfa', 'mfa_recovery_codes', 'audit_logs', 'user_tokens']),
    );
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await t.db.query(`SELECT t::text AS row FROM "${table_name}" t`);
      parts.push(...rows.map((row) => row.row as string));
    }
    return parts.join('\n');
  }

  it('keeps the TOTP secret and the recovery codes out of every table, log line, audit row and other response', async () => {
    const user = await memberWithMfa(t, org, clock);
    const pendingOnly = await createUser(t, org);
    const pendingSecret: string = (await (await signIn(org, pendingOnly)).client.post('/mfa/setup')).body.secret;
    // Use the codes around: sign-ins (TOTP, recovery, wrong), refusals, a regeneration.
    expect((await verify(org, await challenge(org, user), codeAt(user.secret, clock.tick()))).status).toBe(200);
    expect((await verify(org, await challenge(org, user), user.recoveryCodes[0])).status).toBe(200);
    expectError(await verify(org, await challenge(org, user), user.recoveryCodes[0]), 401, 'UNAUTHORIZED');
    expectError(await verify(org, await challenge(org, user), codeAt(user.secret, clock.step)), 401, 'UNAUTHORIZED');
    expectError(await user.client.post('/mfa/disable', { code: user.recoveryCodes[0] }), 400, 'VALIDATION_ERROR');
    const regenerated: string[] = (await user.client.post('/mfa/recovery-codes/regenerate', { code: codeAt(user.secret, clock.tick()) }))
      .body.recoveryCodes;
    expect(regenerated).toHaveLength(8);
    expect((await org.admin.get('/users')).status).toBe(200);
    expect((await org.admin.get('/audit-logs?size=100')).status).toBe(200);

    const secrets = [user.secret, pendingSecret];
    const canaries = [
      ...secrets,
      ...secrets.map((secret) => base32Decode(secret).toString('hex')),
      ...secrets.map((secret) => base32Decode(secret).toString('base64')),
      ...user.recoveryCodes,
      ...regenerated,
    ];
    const database = await everyTableAsText();
    const audit = (await t.db.query(`SELECT a::text AS row FROM audit_logs a WHERE organization_id = $1`, [org.id])).rows.map((r) => r.row);
    expect(audit.some((row: string) => row.includes('MFA_ENABLE'))).toBe(true);
    const logs = t.logs.join('\n');
    expect(logs).toContain('/auth/verify-mfa');
    for (const canary of canaries) {
      expect({ canary, inDatabase: database.includes(canary), inLogs: logs.includes(canary) }).toEqual({
        canary,
        inDatabase: false,
        inLogs: false,
      });
      expect(audit.filter((row: string) => row.includes(canary))).toEqual([]);
    }
    // Responses: each secret in its setup answer only, each code set in the one answer that issued it.
    const bodiesWith = (text: string) => receivedBodies.filter((body) => body.includes(text));
    for (const secret of secrets) expect(bodiesWith(secret)).toHaveLength(1);
    expect(bodiesWith(user.recoveryCodes[1])).toHaveLength(1);
    expect(bodiesWith(regenerated[1])).toHaveLength(1);
  });

  it('a sealed secret copied onto another user does not open for them: their codes and the owner’s are refused', async () => {
    const owner = await memberWithMfa(t, org, clock);
    const victim = await memberWithMfa(t, org, clock);
    await t.db.query(
      `UPDATE user_mfa v SET secret_ciphertext = o.secret_ciphertext, secret_iv = o.secret_iv, secret_auth_tag = o.secret_auth_tag, secret_key_version = o.secret_key_version
       FROM user_mfa o WHERE v.user_id = $1 AND o.user_id = $2`,
      [victim.id, owner.id],
    );
    const step = clock.tick();
    expectError(await verify(org, await challenge(org, victim), codeAt(owner.secret, step)), 401, 'UNAUTHORIZED');
    expectError(await verify(org, await challenge(org, victim), codeAt(victim.secret, step)), 401, 'UNAUTHORIZED');
    expect((await verify(org, await challenge(org, owner), codeAt(owner.secret, step))).status).toBe(200);
    // The row is real ciphertext: with the owner's binding it opens, with the victim's it does not.
    const sealer = new MfaSecretSealerAdapter(new CredentialCipher(parseKeyring(`1:${TEST_KEY_V1}`)));
    const row = (await t.db.query(`SELECT * FROM user_mfa WHERE user_id = $1`, [victim.id])).rows[0];
    const sealed = {
      ciphertext: row.secret_ciphertext,
      iv: row.secret_iv,
      authTag: row.secret_auth_tag,
      keyVersion: row.secret_key_version,
    };
    expect(sealer.open(sealed, { organizationId: org.id, userId: owner.id, slot: 'active' })).toBe(owner.secret);
    expect(() => sealer.open(sealed, { organizationId: org.id, userId: victim.id, slot: 'active' })).toThrow();
    expect(() => sealer.open(sealed, { organizationId: org.id, userId: owner.id, slot: 'pending' })).toThrow();
    // A pending secret moved into the confirmed slot of its own user does not open either.
    const pendingUser = await createUser(t, org);
    const pending = (await (await signIn(org, pendingUser)).client.post('/mfa/setup')).body.secret;
    const pendingRow = (await t.db.query(`SELECT * FROM user_mfa WHERE user_id = $1`, [pendingUser.id])).rows[0];
    const sealedPending = {
      ciphertext: pendingRow.pending_ciphertext,
      iv: pendingRow.pending_iv,
      authTag: pendingRow.pending_auth_tag,
      keyVersion: 1,
    };
    expect(sealer.open(sealedPending, { organizationId: org.id, userId: pendingUser.id, slot: 'pending' })).toBe(pending);
    expect(() => sealer.open(sealedPending, { organizationId: org.id, userId: pendingUser.id, slot: 'active' })).toThrow();
    // The refusal is logged by user id, never with the secret.
    const warning = t.logs.find((line) => line.includes(`TOTP secret of user ${victim.id} could not be opened`));
    expect(warning).toBeDefined();
    expect(warning).not.toContain(owner.secret);
  });

  it('keys:rewrap moves TOTP secrets (confirmed and pending) to the active key; they keep working under it alone', async () => {
    // An organization of its own: the copied secret above is (rightly) undecryptable too.
    const org = await registerOrganization(t, 'Mfa rewrap');
    const confirmed = await memberWithMfa(t, org, clock);
    const broken = await memberWithMfa(t, org, clock);
    await t.db.query(`UPDATE user_mfa SET secret_iv = $2 WHERE user_id = $1`, [broken.id, Buffer.alloc(12)]);
    const pendingUser = await createUser(t, org);
    const pending = (await (await signIn(org, pendingUser)).client.post('/mfa/setup')).body.secret;
    const before = (await t.db.query(`SELECT secret_ciphertext FROM user_mfa WHERE user_id = $1`, [confirmed.id])).rows[0]
      .secret_ciphertext;

    const dataSource = new DataSource(
      buildDataSourceOptions({ entities: ENTITIES, databaseUrl: t.config.databaseUrl, dataDir: '/tmp', migrationsRun: false, poolSize: 2 }),
    );
    await dataSource.initialize();
    let rotated: TestApp | undefined;
    try {
      const cipher = new CredentialCipher(parseKeyring(`1:${TEST_KEY_V1},2:${TEST_KEY_V2}`));
      const report = await rewrapMfaSecrets(dataSource, cipher, { batchSize: 2, organizationId: org.id });
      expect(report).toEqual({ rewrapped: 2, remaining: 1, undecryptable: [broken.id] });
      const versions = await t.db.query(
        `SELECT user_id, secret_key_version, pending_key_version, secret_ciphertext FROM user_mfa WHERE organization_id = $1 AND user_id = ANY($2)`,
        [org.id, [confirmed.id, pendingUser.id, broken.id]],
      );
      const byUser = Object.fromEntries(versions.rows.map((row) => [row.user_id, row]));
      expect(byUser[confirmed.id].secret_key_version).toBe(2);
      expect(byUser[confirmed.id].secret_ciphertext).not.toEqual(before);
      expect(byUser[pendingUser.id].pending_key_version).toBe(2);
      expect(byUser[broken.id].secret_key_version).toBe(1);

      // A service that knows only key 2 signs the rewrapped user in with a TOTP code, and confirms the pending setup.
      rotated = await startTestApp({ DATABASE_URL: t.config.databaseUrl, CREDENTIAL_ENCRYPTION_KEYS: `2:${TEST_KEY_V2}` });
      const rotatedClock = new PinnedClock(rotated);
      rotatedClock.set(clock.tick());
      const api = new ApiClient(rotated.baseUrl);
      const login = await api.post('/auth/login', { organizationSlug: org.slug, email: confirmed.email, password: confirmed.password });
      const verified = await api.post('/auth/verify-mfa', {
        mfaChallengeToken: login.body.mfaChallengeToken,
        code: codeAt(confirmed.secret, rotatedClock.step),
      });
      expect(verified.status).toBe(200);
      const pendingLogin = await api.post('/auth/login', {
        organizationSlug: org.slug,
        email: pendingUser.email,
        password: pendingUser.password,
      });
      const confirmedPending = await api
        .as(pendingLogin.body.accessToken)
        .post('/mfa/setup/confirm', { secret: pending, code: codeAt(pending, rotatedClock.step) });
      expect(confirmedPending.status).toBe(200);
      rotatedClock.restore();
    } finally {
      await rotated?.close();
      await dataSource.destroy();
    }
  });
});
