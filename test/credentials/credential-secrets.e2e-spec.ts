import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/database/src';
import { CredentialCipher, parseKeyring } from '../../apps/api/src/credentials/credential-cipher';
import { ENTITIES } from '../../apps/api/src/entities';
import { rewrapCredentials } from '../../apps/api/src/credentials/rewrap/credential-rewrap';
import { ApiClient, receivedBodies } from '../harness/api-client';
import { CREDENTIAL_KEYS } from '../harness/contract';
import { awsCredentialBody, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TEST_KEY_V1, TEST_KEY_V2, TestApp, testDatabaseUrl } from '../harness/test-app';

/** Encryption at rest, key rotation, and the canary: a secret never comes back out. */
describe('credential secrets', () => {
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t);
  });
  afterAll(async () => t.close());

  it('stores only ciphertext, and a ciphertext copied onto another row does not decrypt', async () => {
    const canary = `canary-${randomUUID()}`;
    const a = (
      await org.admin.post(
        '/credentials',
        awsCredentialBody({ credentialData: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: canary } }),
      )
    ).body;
    const b = (await org.admin.post('/credentials', awsCredentialBody())).body;

    const { rows } = await t.db.query('SELECT * FROM credentials WHERE id = $1', [a.id]);
    const stored = JSON.stringify(rows[0]) + rows[0].ciphertext.toString('latin1');
    expect(stored).not.toContain(canary);
    expect(rows[0].key_version).toBe(1);
    expect(rows[0].iv).toHaveLength(12);

    // Copy A's sealed secret onto B: B's binding (its id) no longer matches, so it cannot be opened.
    await t.db.query(
      `UPDATE credentials SET ciphertext = src.ciphertext, iv = src.iv, auth_tag = src.auth_tag FROM credentials src WHERE src.id = $1 AND credentials.id = $2`,
      [a.id, b.id],
    );
    const cipher = new CredentialCipher(parseKeyring(`1:${TEST_KEY_V1}`));
    const sealed = (
      await t.db.query('SELECT organization_id, ciphertext, iv, auth_tag, key_version FROM credentials WHERE id = $1', [b.id])
    ).rows[0];
    const secret = { ciphertext: sealed.ciphertext, iv: sealed.iv, authTag: sealed.auth_tag, keyVersion: sealed.key_version };
    expect(() => cipher.decrypt(secret, { organizationId: sealed.organization_id, credentialId: b.id })).toThrow();
    expect(cipher.decrypt(secret, { organizationId: sealed.organization_id, credentialId: a.id })).toMatchObject({
      secretAccessKey: canary,
    });

    // Through the API, the swapped row fails verification honestly instead of using A's keys.
    const verified = await org.admin.post(`/credentials/${b.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      isValid: false,
      verificationError: 'The stored credential could not be decrypted with the configured keys',
    });
  });

  it('keeps old rows readable after a key is added, and keys:rewrap moves them to the active key', async () => {
    const rotated = await startTestApp({ CREDENTIAL_ENCRYPTION_KEYS: `1:${TEST_KEY_V1},2:${TEST_KEY_V2}` });
    const dataSource = new DataSource(
      buildDataSourceOptions({ entities: ENTITIES, databaseUrl: testDatabaseUrl(), dataDir: '/tmp', migrationsRun: false, poolSize: 2 }),
    );
    try {
      const own = await registerOrganization(t, 'Rotation');
      const old = (await own.admin.post('/credentials', awsCredentialBody())).body; // written by the v1-only app
      const broken = (await own.admin.post('/credentials', awsCredentialBody())).body;
      await t.db.query(`UPDATE credentials SET iv = $2 WHERE id = $1`, [broken.id, Buffer.alloc(12)]);
      const onRotated = new ApiClient(rotated.baseUrl, own.admin.token);
      const fresh = (await onRotated.post('/credentials', awsCredentialBody())).body;
      const versions = async () =>
        Object.fromEntries(
          (await t.db.query('SELECT id, key_version FROM credentials WHERE id = ANY($1)', [[old.id, fresh.id]])).rows.map((r) => [
            r.id,
            r.key_version,
          ]),
        );
      expect(await versions()).toEqual({ [old.id]: 1, [fresh.id]: 2 });

      // The v1 row still opens on the rotated service (a verify decrypts it).
      const verifyOld = await onRotated.post(`/credentials/${old.id}/verify`);
      expect(verifyOld.body.verificationError).not.toBe('The stored credential could not be decrypted with the configured keys');

      await dataSource.initialize();
      // Scoped to this organization: the other specs share the database and only know key v1.
      const keyring = parseKeyring(`1:${TEST_KEY_V1},2:${TEST_KEY_V2}`);
      const report = await rewrapCredentials(dataSource, new CredentialCipher(keyring), { batchSize: 1, organizationId: own.id });
      expect(report).toEqual({ rewrapped: 1, remaining: 1, undecryptable: [broken.id] });
      expect((await versions())[old.id]).toBe(2);
      const v2only = new CredentialCipher(parseKeyring(`2:${TEST_KEY_V2}`));
      const row = (
        await t.db.query('SELECT organization_id, ciphertext, iv, auth_tag, key_version FROM credentials WHERE id = $1', [old.id])
      ).rows[0];
      expect(
        v2only.decrypt(
          { ciphertext: row.ciphertext, iv: row.iv, authTag: row.auth_tag, keyVersion: row.key_version },
          { organizationId: row.organization_id, credentialId: old.id },
        ),
      ).toHaveProperty('secretAccessKey');
    } finally {
      await rotated.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  });

  it('never returns, logs or audits a canary secret, on success or on error paths', async () => {
    const canary = `canary-${randomUUID()}`;
    const created = await org.admin.post(
      '/credentials',
      awsCredentialBody({ credentialData: { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', secretAccessKey: canary } }),
    );
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(CREDENTIAL_KEYS);
    await org.admin.get(`/credentials/${created.body.id}`);
    await org.admin.get('/credentials');
    await org.admin.patch(`/credentials/${created.body.id}`, {
      credentialData: { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', secretAccessKey: `${canary}-2` },
    });
    // Error paths that carry the secret in the request: unknown field, bad type, taken name.
    await org.admin.post('/credentials', awsCredentialBody({ credentialData: { secretAccessKey: canary, extra: canary } }));
    await org.admin.post('/credentials', awsCredentialBody({ provider: 'GCP', credentialData: { secretAccessKey: canary } }));
    await org.admin.post(
      '/credentials',
      awsCredentialBody({ name: created.body.name, credentialData: { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', secretAccessKey: canary } }),
    );
    await org.admin.post(`/credentials/${created.body.id}/verify`);

    expect(receivedBodies.filter((body) => body.includes(canary))).toEqual([]);
    expect(t.logs.filter((line) => line.includes(canary))).toEqual([]);
    const audit = await t.db.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE organization_id = $1 AND (audit_logs.*)::text LIKE $2`,
      [org.id, `%${canary}%`],
    );
    expect(audit.rows[0].n).toBe(0);
  });

  it('validates credentialData per provider and names each bad field', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [
        { provider: 'AWS', credentialType: 'ACCESS_KEY', credentialData: {} },
        ['credentialData.accessKeyId', 'credentialData.secretAccessKey'],
      ],
      [
        {
          provider: 'AWS',
          credentialType: 'ACCESS_KEY',
          credentialData: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x', extra: 1 },
        },
        ['credentialData.extra'],
      ],
      [
        {
          provider: 'AWS',
          credentialType: 'SERVICE_ACCOUNT',
          credentialData: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' },
        },
        ['credentialType'],
      ],
      [
        {
          provider: 'GCP',
          credentialType: 'SERVICE_ACCOUNT',
          credentialData: { type: 'user', project_id: 'p', private_key: 'x', client_email: 'no' },
        },
        ['credentialData.client_email', 'credentialData.private_key', 'credentialData.type'],
      ],
      [
        {
          provider: 'AZURE',
          credentialType: 'SERVICE_PRINCIPAL',
          credentialData: { tenantId: 'x', clientId: randomUUID(), clientSecret: 's', subscriptionId: randomUUID() },
        },
        ['credentialData.tenantId'],
      ],
      [
        { provider: 'APISIX', credentialType: 'ADMIN_KEY', credentialData: { adminUrl: 'ftp://gw', adminKey: 'k' } },
        ['credentialData.adminUrl'],
      ],
      [{ provider: 'VERCEL', credentialType: 'ACCESS_KEY', credentialData: {} }, ['provider']],
      [{ provider: 'AWS', credentialType: 'ACCESS_KEY', credentialData: 'not-an-object' }, ['credentialData']],
    ];
    for (const [body, fields] of cases) {
      const response = await org.admin.post('/credentials', { name: `x ${randomUUID()}`, ...body });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('VALIDATION_ERROR');
      expect([...new Set(response.body.details.map((d: { field: string }) => d.field))].sort()).toEqual(fields);
    }
    const gcp = await org.admin.post('/credentials', {
      name: `gcp ${randomUUID()}`,
      provider: 'GCP',
      credentialType: 'SERVICE_ACCOUNT',
      credentialData: {
        type: 'service_account',
        project_id: 'p-1',
        private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
        client_email: 'sa@p-1.iam.gserviceaccount.com',
        client_id: '123',
      },
    });
    expect(gcp.status).toBe(201);
    const verified = await org.admin.post(`/credentials/${gcp.body.id}/verify`);
    expect(verified.body).toMatchObject({ isValid: null, verificationError: 'Verification for GCP is not supported yet' });
  });
});
