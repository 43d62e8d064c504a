import { ApiClient, receivedBodies } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { startPrivateApp } from '../security/security-harness';
import { ALL_SCOPES, createKey, CreatedKey, keyClient } from './api-keys-harness';

jest.setTimeout(60_000);

/**
 * Key canaries (§15): a key appears once, in the answer that creates it. Never in a table (every
 * column of every row), a log line, an audit row, or any later response, whichever way it was
 * used or refused. The first 15 characters are its public prefix; the rest is the secret.
 */
describe('API keys: canaries', () => {
  let t: TestApp;
  let org: TestOrganization;
  const created: CreatedKey[] = [];
  let bodiesBefore = 0;

  /** Pieces of a key that must not appear anywhere: the key, its secret part, and windows of it. */
  const secretsOf = (key: string) => [key, key.slice(15), key.slice(15, 35), key.slice(32)];

  beforeAll(async () => {
    t = await startPrivateApp();
    bodiesBefore = receivedBodies.length;
    org = await registerOrganization(t, 'Key canary');
  });
  afterAll(async () => t?.close());

  it('keys go in through create, every header, refusals of all kinds, revocation and expiry', async () => {
    const credential = await org.admin.post('/credentials', awsCredentialBody());
    const resource = await org.admin.post('/resources', awsResourceBody(credential.body.id));
    expect(resource.status).toBe(201);
    for (const scopes of [['resources:read'], ['audit:read'], ['sessions:read', 'sessions:write'], [...ALL_SCOPES]] as const) {
      created.push(await createKey(org, scopes, { description: 'canary key' }));
    }
    const [reader, auditor, sessions, all] = created;
    const member = await createMember(t, org);
    const calls: Array<Promise<unknown>> = [];
    for (const key of created) {
      for (const client of [keyClient(org, key.key), keyClient(org, key.key, 'ApiKey'), keyClient(org, key.key, 'APIKEY')]) {
        calls.push(
          client.get('/resources'),
          client.get(`/resources/${resource.body.id}`),
          client.get('/audit-logs?size=100'),
          client.get('/auth/me'),
          client.post('/credentials', awsCredentialBody()),
          client.post('/api-keys', { name: 'minted by a key', scopes: ['audit:read'] }),
          client.delete(`/api-keys/${key.id}`),
          client.get('/no-such-route'),
          client.get('/resources/not-a-uuid'),
          client.post('/resources', '{"broken": ', { 'content-type': 'application/json' }),
        );
      }
      // Malformed and near-miss keys, in both headers.
      calls.push(
        keyClient(org, `${key.key}x`).get('/resources'),
        keyClient(org, key.key.slice(0, -1), 'ApiKey').get('/resources'),
        new ApiClient(t.baseUrl, key.key).get('/resources'),
        member.get('/resources', { 'x-api-key': key.key }),
      );
    }
    await Promise.all(calls);
    // A key's value where other secrets go: a password, a name, a refresh token.
    await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: reader.key });
    await org.anonymous.post('/auth/refresh', { refreshToken: auditor.key });
    await org.admin.post('/api-keys', { name: 'x', scopes: ['audit:read'], expiresAt: sessions.key });
    // Revoked and expired keys, used again.
    expect((await org.admin.delete(`/api-keys/${reader.id}`)).status).toBe(204);
    await t.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [auditor.id]);
    for (const key of [reader, auditor]) expect((await keyClient(org, key.key).get('/resources')).status).toBe(401);
    expect((await keyClient(org, all.key).get('/resources')).status).toBe(200);
    // Later reads by the admin.
    expect((await org.admin.get('/api-keys')).status).toBe(200);
    expect((await org.admin.get('/audit-logs?size=100')).status).toBe(200);
  });

  it('no table holds a key, in any column of any row (only its SHA-256 and its prefix)', async () => {
    const { rows: tables } = await t.db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(['api_keys', 'audit_logs', 'users']));
    const found: string[] = [];
    for (const { table_name: table } of tables) {
      const { rows } = await t.db.query(`SELECT x::text AS row FROM "${table}" x`);
      for (const key of created) {
        for (const secret of secretsOf(key.key)) {
          if (rows.some((row) => row.row.includes(secret))) found.push(`${table} holds ${secret.slice(0, 6)}...`);
        }
      }
    }
    expect(found).toEqual([]);
    const { rows: stored } = await t.db.query('SELECT key_prefix FROM api_keys WHERE organization_id = $1 ORDER BY created_at', [org.id]);
    expect(stored.map((row) => row.key_prefix)).toEqual(created.map((key) => key.prefix));
  });

  it('no log line holds a key', () => {
    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const key of created) for (const secret of secretsOf(key.key)) expect(logs.includes(secret)).toBe(false);
  });

  it('audit rows name keys by prefix only', async () => {
    const { rows } = await t.db.query(`SELECT (a.*)::text AS row, details FROM audit_logs a WHERE organization_id = $1`, [org.id]);
    const underKeys = rows.filter((row) => row.details.apiKeyPrefix);
    expect(underKeys.length).toBeGreaterThan(0);
    for (const row of underKeys) expect(created.map((key) => key.prefix)).toContain(row.details.apiKeyPrefix);
    for (const key of created) for (const secret of secretsOf(key.key)) expect(rows.filter((row) => row.row.includes(secret))).toEqual([]);
  });

  it('no response but the one that created it holds a key', () => {
    const bodies = receivedBodies.slice(bodiesBefore);
    for (const key of created) {
      const holding = bodies.filter((body) => secretsOf(key.key).some((secret) => body.includes(secret)));
      expect(holding).toHaveLength(1);
      expect(JSON.parse(holding[0])).toMatchObject({ id: key.id, plainTextKey: key.key });
    }
  });
});
