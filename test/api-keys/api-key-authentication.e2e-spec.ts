import { ApiKeysRepository } from '../../libs/api-keys/src/api-keys.repository';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { ISO_UTC } from '../harness/contract';
import { auditRows, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { createAdmin, createKey, keyClient } from './api-keys-harness';

/** A 429 in the envelope, with a whole number of seconds in Retry-After. */
function expectRateLimited(response: ApiResponse, maxSeconds: number): void {
  expectError(response, 429, 'RATE_LIMIT_EXCEEDED');
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(maxSeconds);
}

/** §15 and §7: how a key is presented, when it stops working, what it records, how it is limited. */
describe('API keys: authentication', () => {
  let t: TestApp;
  let org: TestOrganization;

  beforeAll(async () => {
    // X-Forwarded-For from loopback is believed, so a test can choose the client address.
    t = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
    org = await registerOrganization(t, 'Key auth');
  });
  afterAll(async () => t?.close());

  const row = async (id: string) => (await t.db.query('SELECT *, xmin::text AS version FROM api_keys WHERE id = $1', [id])).rows[0];

  it('accepts X-API-Key and Authorization: ApiKey with the scheme in any letter case', async () => {
    const { key } = await createKey(org, ['resources:read']);
    expect((await keyClient(org, key).get('/resources')).status).toBe(200);
    for (const scheme of ['ApiKey', 'apikey', 'APIKEY', 'aPiKeY']) {
      expect({ scheme, status: (await keyClient(org, key, scheme).get('/resources')).status }).toEqual({ scheme, status: 200 });
    }
  });

  it('answers 401 in the envelope for unknown, malformed or ambiguous keys, and never says why', async () => {
    const { key } = await createKey(org, ['resources:read']);
    const other = await createKey(org, ['resources:read']);
    const unknown = `egk_live_${'A'.repeat(43)}`;
    const attempts: Array<Record<string, string>> = [
      { 'x-api-key': unknown },
      { authorization: `ApiKey ${unknown}` },
      { 'x-api-key': key.slice(0, -1) },
      { 'x-api-key': `${key}0` },
      { 'x-api-key': key.replace('egk_live_', 'egk_test_') },
      { authorization: `Bearer ${key}` },
      { authorization: `ApiKey${key}` },
      { 'x-api-key': key, authorization: `ApiKey ${other.key}` },
      { 'x-api-key': '' },
    ];
    for (const headers of attempts) {
      const response = await new ApiClient(t.baseUrl, undefined, headers).get('/resources');
      expectError(response, 401, 'UNAUTHORIZED');
      expect(response.body.message).toBe('Missing or invalid authentication token');
    }
  });

  it('§11: a key whose creator must still set up MFA is refused (403) until they do', async () => {
    const enforced = await registerOrganization(t, 'Key MFA');
    const { key } = await createKey(enforced, ['resources:read']);
    expect((await keyClient(enforced, key).get('/resources')).status).toBe(200);
    expect((await enforced.admin.patch('/organization/settings', { mfaRequired: true })).status).toBe(200);
    const refused = await keyClient(enforced, key).get('/resources');
    expectError(refused, 403, 'FORBIDDEN');
    expect(refused.body.message).toMatch(/requires MFA/);
    await t.db.query(`UPDATE users SET mfa_enabled_at = now() WHERE organization_id = $1`, [enforced.id]);
    expect((await keyClient(enforced, key).get('/resources')).status).toBe(200);
  });

  it('a revoked key answers 401 from the very next request', async () => {
    const created = await createKey(org, ['resources:read']);
    const client = keyClient(org, created.key);
    expect((await client.get('/resources')).status).toBe(200);
    expect((await org.admin.delete(`/api-keys/${created.id}`)).status).toBe(204);
    expectError(await client.get('/resources'), 401, 'UNAUTHORIZED');
    expectError(await keyClient(org, created.key, 'ApiKey').get('/resources'), 401, 'UNAUTHORIZED');
  });

  it('an expired key answers 401 from the very next request', async () => {
    const created = await createKey(org, ['resources:read'], { expiresAt: '2999-01-01T00:00:00Z' });
    const client = keyClient(org, created.key);
    expect((await client.get('/resources')).status).toBe(200);
    // Time passes: the expiry is now a second ago.
    await t.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [created.id]);
    expectError(await client.get('/resources'), 401, 'UNAUTHORIZED');
    const listed = (await org.admin.get('/api-keys')).body.find((item: { id: string }) => item.id === created.id);
    expect(listed).toMatchObject({ isRevoked: false, expiresAt: expect.stringMatching(ISO_UTC) });
  });

  it("a deleted creator's keys answer 401 from the very next request, and are gone", async () => {
    const second = await createAdmin(t, org);
    const created = await createKey(second.org, ['resources:read']);
    const client = keyClient(org, created.key);
    expect((await client.get('/resources')).status).toBe(200);
    expect((await org.admin.delete(`/users/${second.id}`)).status).toBe(204);
    expectError(await client.get('/resources'), 401, 'UNAUTHORIZED');
    expect(await row(created.id)).toBeUndefined();
  });

  it("a deactivated creator's keys answer 401 from the very next request, and stay revoked after reactivation", async () => {
    const second = await createAdmin(t, org);
    const created = await createKey(second.org, ['resources:read']);
    const client = keyClient(org, created.key);
    expect((await client.get('/resources')).status).toBe(200);
    expect((await org.admin.patch(`/users/${second.id}`, { isActive: false })).status).toBe(200);
    expectError(await client.get('/resources'), 401, 'UNAUTHORIZED');
    expect((await row(created.id)).revoked_at).toBeInstanceOf(Date);
    expect((await org.admin.patch(`/users/${second.id}`, { isActive: true })).status).toBe(200);
    expectError(await client.get('/resources'), 401, 'UNAUTHORIZED');
  });

  it("acts with its creator's current role: a demoted creator's key gets 403 on admin-only reads, from the next request", async () => {
    const second = await createAdmin(t, org);
    const created = await createKey(second.org, ['resources:read', 'audit:read']);
    const client = keyClient(org, created.key);
    expect((await client.get('/resources')).status).toBe(200);
    expect((await org.admin.patch(`/users/${second.id}`, { isOrgAdmin: false })).status).toBe(200);
    expectError(await client.get('/resources'), 403, 'FORBIDDEN');
    expectError(await client.get('/audit-logs'), 403, 'FORBIDDEN');
  });

  it('records lastUsedAt and lastUsedIp at most once a minute: many requests, one write', async () => {
    const created = await createKey(org, ['resources:read']);
    const fromFirst = keyClient(org, created.key).withHeaders({ 'x-forwarded-for': '198.51.100.7' });
    const fromSecond = keyClient(org, created.key).withHeaders({ 'x-forwarded-for': '2001:db8::42' });
    expect(await row(created.id)).toMatchObject({ last_used_at: null, last_used_ip: null });

    expect((await fromFirst.get('/resources')).status).toBe(200);
    const first = await row(created.id);
    expect(first.last_used_at).toBeInstanceOf(Date);
    expect(first.last_used_ip).toBe('198.51.100.7');

    // 40 more requests, sequential and parallel, from another address: no write at all (the row
    // version, xmin, changes with every UPDATE that touches it).
    for (let i = 0; i < 20; i++) expect((await fromSecond.get('/resources')).status).toBe(200);
    const parallel = await Promise.all(Array.from({ length: 20 }, () => fromSecond.get('/resources')));
    expect(parallel.map((r) => r.status)).toEqual(Array(20).fill(200));
    const after = await row(created.id);
    expect(after.version).toBe(first.version);
    expect(after.last_used_at.getTime()).toBe(first.last_used_at.getTime());
    expect(after.last_used_ip).toBe('198.51.100.7');

    // A minute later (the row's last use set back), the next request writes again.
    await t.db.query(`UPDATE api_keys SET last_used_at = last_used_at - interval '61 seconds' WHERE id = $1`, [created.id]);
    const setBack = await row(created.id);
    expect((await fromSecond.get('/resources')).status).toBe(200);
    const moved = await row(created.id);
    expect(moved.last_used_at.getTime()).toBeGreaterThan(setBack.last_used_at.getTime() + 60_000);
    expect(moved.last_used_ip).toBe('2001:db8::42');
    const listed = (await org.admin.get('/api-keys')).body.find((item: { id: string }) => item.id === created.id);
    expect(listed).toMatchObject({ lastUsedAt: expect.stringMatching(ISO_UTC), lastUsedIp: '2001:db8::42' });
  });

  it('of uses racing at the turn of the minute, exactly one writes', async () => {
    const created = await createKey(org, ['resources:read']);
    const repository = t.app.get(ApiKeysRepository, { strict: false });
    for (let round = 0; round < 3; round++) {
      await t.db.query(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [created.id]);
      const wrote = await Promise.all(Array.from({ length: 8 }, (_, i) => repository.recordUse(created.id, `192.0.2.${i + 1}`, 60)));
      expect(wrote.filter(Boolean)).toHaveLength(1);
    }
  });

  it('audit rows written under a key name its prefix, with the creator as actor', async () => {
    const created = await createKey(org, ['resources:read']);
    // A key on a mutation it may not make: the refusal is audited (FAILURE), under the key.
    const refused = await keyClient(org, created.key).post('/resources', { name: 'via key' });
    expectError(refused, 403, 'FORBIDDEN');
    const rows = (await auditRows(t, org.id)).filter((r) => r.event_type === 'RESOURCE_CREATE' && r.result === 'FAILURE');
    expect(rows.at(-1)).toMatchObject({
      actor_type: 'API_KEY',
      actor_email: org.email,
      actor_id: org.auth.user.id,
      error_code: 'FORBIDDEN',
      details: { apiKeyPrefix: created.prefix },
    });
    // Rows written with an access token name no key.
    const byToken = (await auditRows(t, org.id)).filter((r) => r.actor_type === 'USER');
    expect(byToken.length).toBeGreaterThan(0);
    for (const r of byToken) expect(r.details.apiKeyPrefix).toBeUndefined();
  });

  it('logs requests under a key with its creator and the key id, never the key', async () => {
    const created = await createKey(org, ['resources:read']);
    const response = await keyClient(org, created.key).get('/resources', { 'x-request-id': `key-log-${created.id}` });
    expect(response.status).toBe(200);
    const lines = t.logs.filter((line) => line.includes(`key-log-${created.id}`));
    expect(lines.length).toBeGreaterThan(0);
    const completed = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request completed');
    expect(completed).toMatchObject({ userId: org.auth.user.id, apiKeyId: created.id, organizationId: org.id });
    expect(t.logs.join('\n')).not.toContain(created.key);
  });
});

describe('API keys: rate limits count per key (§7)', () => {
  let seed: TestApp;
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    seed = await startTestApp();
    t = await startTestApp({ RATE_LIMIT_USER_PER_MINUTE: '3' });
    org = await registerOrganization(seed, 'Key limits');
  });
  afterAll(async () => {
    await t?.close();
    await seed?.close();
  });

  it("each key has its own budget, apart from its creator's and from other keys of the same creator", async () => {
    const first = await createKey(org, ['resources:read']);
    const second = await createKey(org, ['resources:read']);
    const onLimited = (key: string) => new ApiClient(t.baseUrl, undefined, { 'x-api-key': key });
    for (let i = 0; i < 3; i++) expect((await onLimited(first.key).get('/resources')).status).toBe(200);
    expectRateLimited(await onLimited(first.key).get('/resources'), 60);
    // The same key in the other header is the same key, and the same budget.
    expectRateLimited(await new ApiClient(t.baseUrl, undefined, { authorization: `ApiKey ${first.key}` }).get('/resources'), 60);
    for (let i = 0; i < 3; i++) expect((await onLimited(second.key).get('/resources')).status).toBe(200);
    expectRateLimited(await onLimited(second.key).get('/resources'), 60);
    // The creator's own token is counted apart.
    const creator = new ApiClient(t.baseUrl, org.auth.accessToken);
    for (let i = 0; i < 3; i++) expect((await creator.get('/resources')).status).toBe(200);
    expectRateLimited(await creator.get('/resources'), 60);
  });
});
