import { createHash, randomUUID } from 'node:crypto';
import { ApiClient, expectError } from '../harness/api-client';
import { ISO_UTC } from '../harness/contract';
import { auditRows, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { ALL_SCOPES, createKey, keyClient } from './api-keys-harness';

const CREATED_KEYS = ['createdAt', 'description', 'expiresAt', 'id', 'keyPrefix', 'name', 'plainTextKey', 'scopes'];
const LISTED_KEYS = [
  'createdAt',
  'createdByEmail',
  'description',
  'expiresAt',
  'id',
  'isRevoked',
  'keyPrefix',
  'lastUsedAt',
  'lastUsedIp',
  'name',
  'revokedAt',
  'scopes',
];
const KEY = /^egk_live_[0-9A-Za-z]{43}$/;

/** §15: POST, GET and DELETE /api-keys, their refusals and their audit rows. */
describe('API keys: create, list, revoke', () => {
  let t: TestApp;
  let org: TestOrganization;
  let other: TestOrganization;
  let member: ApiClient;

  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t, 'Keys');
    other = await registerOrganization(t, 'Other keys');
    member = await createMember(t, org);
  });
  afterAll(async () => t?.close());

  it('creates a key: 201 with the key once, its prefix, scopes and expiry; only its SHA-256 is stored', async () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const response = await org.admin.post('/api-keys', {
      name: '  CI pipeline  ',
      description: 'Deploy jobs',
      scopes: ['sessions:write', 'sessions:read'],
      expiresAt,
    });
    expect(response.status).toBe(201);
    const body = response.body;
    expect(Object.keys(body).sort()).toEqual(CREATED_KEYS);
    expect(body).toMatchObject({ name: 'CI pipeline', description: 'Deploy jobs', scopes: ['sessions:write', 'sessions:read'], expiresAt });
    expect(body.plainTextKey).toMatch(KEY);
    expect(body.keyPrefix).toBe(body.plainTextKey.slice(0, 15));
    expect(body.createdAt).toMatch(ISO_UTC);
    expect(response.headers.get('location')).toBeNull();

    const { rows } = await t.db.query('SELECT * FROM api_keys WHERE id = $1', [body.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      organization_id: org.id,
      created_by: org.auth.user.id,
      key_prefix: body.keyPrefix,
      key_hash: createHash('sha256').update(body.plainTextKey).digest('hex'),
      scopes: ['sessions:write', 'sessions:read'],
      revoked_at: null,
      last_used_at: null,
    });
  });

  it('accepts a key without description or expiry, and a date-only expiry as midnight UTC', async () => {
    const plain = await org.admin.post('/api-keys', { name: 'Plain', scopes: ['audit:read'] });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ description: null, expiresAt: null });
    const year = new Date().getUTCFullYear() + 1;
    const dated = await org.admin.post('/api-keys', {
      name: 'Dated',
      scopes: ['audit:read'],
      expiresAt: `${year}-03-01`,
      description: null,
    });
    expect(dated.status).toBe(201);
    expect(dated.body.expiresAt).toBe(`${year}-03-01T00:00:00Z`);
  });

  it.each([
    ['no name', { scopes: ['audit:read'] }, 'name'],
    ['an empty name', { name: '   ', scopes: ['audit:read'] }, 'name'],
    ['a name over 255 characters', { name: 'n'.repeat(256), scopes: ['audit:read'] }, 'name'],
    ['no scopes', { name: 'x' }, 'scopes'],
    ['an empty scope list', { name: 'x', scopes: [] }, 'scopes'],
    ['an unknown scope', { name: 'x', scopes: ['sessions:read', 'admin'] }, 'scopes'],
    ['a scope twice', { name: 'x', scopes: ['audit:read', 'audit:read'] }, 'scopes'],
    ['scopes that are not a list', { name: 'x', scopes: 'audit:read' }, 'scopes'],
    ['an expiry in the past', { name: 'x', scopes: ['audit:read'], expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ['an expiry without an offset', { name: 'x', scopes: ['audit:read'], expiresAt: '2999-01-01T00:00:00' }, 'expiresAt'],
    ['an expiry that is not a date', { name: 'x', scopes: ['audit:read'], expiresAt: 'tomorrow' }, 'expiresAt'],
    ['an unknown field', { name: 'x', scopes: ['audit:read'], keyHash: 'abc' }, 'keyHash'],
    ['a chosen key', { name: 'x', scopes: ['audit:read'], plainTextKey: 'egk_live_mine' }, 'plainTextKey'],
  ])('refuses %s with 400 VALIDATION_ERROR naming the field, and stores nothing', async (_label, body, field) => {
    const before = (await t.db.query('SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1', [org.id])).rows[0].n;
    const response = await org.admin.post('/api-keys', body);
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    const after = (await t.db.query('SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1', [org.id])).rows[0].n;
    expect(after).toBe(before);
  });

  it('lists the keys newest first, never the key itself, with the creator and the revocation state', async () => {
    const first = await createKey(org, ['resources:read']);
    const second = await createKey(org, ['audit:read', 'sessions:read'], { description: 'second' });
    const response = await org.admin.get('/api-keys');
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
    for (const item of response.body) expect(Object.keys(item).sort()).toEqual(LISTED_KEYS);
    const ids = response.body.map((item: { id: string }) => item.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    expect(response.body.find((item: { id: string }) => item.id === second.id)).toEqual({
      id: second.id,
      name: second.body.name,
      description: 'second',
      keyPrefix: second.prefix,
      scopes: ['audit:read', 'sessions:read'],
      isRevoked: false,
      revokedAt: null,
      expiresAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
      createdByEmail: org.email,
      createdAt: second.body.createdAt,
    });
    expect(response.text).not.toContain(first.key);
    expect(response.text).not.toContain(second.key);
    // Another organization sees none of them.
    const foreign = await other.admin.get('/api-keys');
    expect(foreign.status).toBe(200);
    expect(foreign.body.map((item: { id: string }) => item.id)).not.toContain(first.id);
  });

  it('revokes a key: 204, still listed as revoked, and a second revocation changes nothing', async () => {
    const created = await createKey(org, ['resources:read']);
    const response = await org.admin.delete(`/api-keys/${created.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const listed = (await org.admin.get('/api-keys')).body.find((item: { id: string }) => item.id === created.id);
    expect(listed).toMatchObject({ isRevoked: true, revokedAt: expect.stringMatching(ISO_UTC) });

    expect((await org.admin.delete(`/api-keys/${created.id}`)).status).toBe(204);
    const again = (await org.admin.get('/api-keys')).body.find((item: { id: string }) => item.id === created.id);
    expect(again.revokedAt).toBe(listed.revokedAt);
    const revocations = (await auditRows(t, org.id)).filter((row) => row.event_type === 'API_KEY_REVOKE' && row.resource_id === created.id);
    expect(revocations).toHaveLength(1);
  });

  it("answers 404 API_KEY_NOT_FOUND for a missing id and for another organization's key, with the same body", async () => {
    const foreign = await createKey(other, ['resources:read']);
    const random = randomUUID();
    const missing = await org.admin.delete(`/api-keys/${random}`);
    expectError(missing, 404, 'API_KEY_NOT_FOUND');
    expect(missing.body.message).toBe(`API key with ID ${random} not found`);
    const theirs = await org.admin.delete(`/api-keys/${foreign.id}`);
    expectError(theirs, 404, 'API_KEY_NOT_FOUND');
    expect(theirs.body.message).toBe(`API key with ID ${foreign.id} not found`);
    // Untouched: the other organization's key still works.
    expect((await keyClient(other, foreign.key).get('/resources')).status).toBe(200);
    expectError(await org.admin.delete('/api-keys/not-a-uuid'), 400, 'VALIDATION_ERROR');
  });

  it('refuses a member (USER) on every route with 403, and an anonymous caller with 401', async () => {
    const created = await createKey(org, ['audit:read']);
    expectError(await member.post('/api-keys', { name: 'x', scopes: ['audit:read'] }), 403, 'FORBIDDEN');
    expectError(await member.get('/api-keys'), 403, 'FORBIDDEN');
    expectError(await member.delete(`/api-keys/${created.id}`), 403, 'FORBIDDEN');
    expectError(await org.anonymous.get('/api-keys'), 401, 'UNAUTHORIZED');
    expectError(await org.anonymous.post('/api-keys', { name: 'x', scopes: ['audit:read'] }), 401, 'UNAUTHORIZED');
  });

  it('a key cannot create, list or revoke keys, whatever its scopes and even when its creator is an admin (403)', async () => {
    const created = await createKey(org, ALL_SCOPES);
    const key = keyClient(org, created.key);
    const before = (await t.db.query('SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1', [org.id])).rows[0].n;
    expectError(await key.post('/api-keys', { name: 'minted', scopes: ['audit:read'] }), 403, 'FORBIDDEN');
    expectError(await key.get('/api-keys'), 403, 'FORBIDDEN');
    expectError(await key.delete(`/api-keys/${created.id}`), 403, 'FORBIDDEN');
    const after = (await t.db.query('SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1', [org.id])).rows[0].n;
    expect(after).toBe(before);
    expect((await key.get('/resources')).status).toBe(200);
  });

  it('audits creation and revocation (names and the prefix, never the key), and refused attempts as FAILURE', async () => {
    const created = await createKey(org, ['sessions:read'], { expiresAt: '2999-12-31T23:59:59Z' });
    expect((await org.admin.delete(`/api-keys/${created.id}`)).status).toBe(204);
    expectError(await org.admin.post('/api-keys', { name: 'bad', scopes: ['nope'] }), 400, 'VALIDATION_ERROR');
    expectError(
      await org.admin.post('/api-keys', { name: 'stale', scopes: ['audit:read'], expiresAt: '2001-01-01' }),
      400,
      'VALIDATION_ERROR',
    );
    const rows = await auditRows(t, org.id);
    const create = rows.find((row) => row.event_type === 'API_KEY_CREATE' && row.resource_id === created.id);
    expect(create).toMatchObject({
      actor_email: org.email,
      actor_type: 'USER',
      resource_type: 'API_KEY',
      resource_name: created.body.name,
      result: 'SUCCESS',
      details: { name: created.body.name, keyPrefix: created.prefix, scopes: ['sessions:read'], expiresAt: '2999-12-31T23:59:59.000Z' },
    });
    const revoke = rows.find((row) => row.event_type === 'API_KEY_REVOKE' && row.resource_id === created.id);
    expect(revoke).toMatchObject({
      result: 'SUCCESS',
      resource_name: created.body.name,
      details: { name: created.body.name, keyPrefix: created.prefix },
    });
    const refused = rows.filter((row) => row.event_type === 'API_KEY_CREATE' && row.result === 'FAILURE');
    // The pipe refuses the first before the service learns its name; the service refuses the second.
    expect(refused.slice(-2)).toMatchObject([
      { error_code: 'VALIDATION_ERROR', resource_name: null },
      { error_code: 'VALIDATION_ERROR', resource_name: 'stale' },
    ]);
    for (const row of rows) expect(JSON.stringify(row)).not.toContain(created.key);
  });
});
