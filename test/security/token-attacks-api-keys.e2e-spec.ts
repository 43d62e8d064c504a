import { randomInt, randomUUID } from 'node:crypto';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { ALL_SCOPES, createAdmin, createKey, keyClient } from '../api-keys/api-keys-harness';
import { masked, startPrivateApp } from './security-harness';
import { changedTables, sha256, snapshot } from './token-attacks-harness';

jest.setTimeout(60_000);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const forgedKey = () => `egk_live_${Array.from({ length: 43 }, () => BASE62[randomInt(62)]).join('')}`;
const UNAUTHORIZED_MESSAGE = 'Missing or invalid authentication token';

/**
 * Attacks on API keys (§15): forged keys of the right shape, damaged copies of a real one, expired,
 * revoked ("spent") and orphaned keys: each 401 UNAUTHORIZED with one message, on a call that
 * would otherwise start a session, and nothing changes. A live key of another organization or of
 * another user reaches nothing of theirs: 404 with the same body as a random id, nothing changes.
 */
describe('token attacks: API keys', () => {
  let t: TestApp;
  let org: TestOrganization;
  let other: TestOrganization;
  let resource: string;
  let otherResource: string;
  let memberSession: string;
  let refused = 0;

  beforeAll(async () => {
    t = await startPrivateApp();
    org = await registerOrganization(t, 'Key attacks');
    other = await registerOrganization(t, 'Key attacks other');
    const seed = async (o: TestOrganization) => {
      const credential = await o.admin.post('/credentials', awsCredentialBody());
      const created = await o.admin.post('/resources', awsResourceBody(credential.body.id));
      expect(created.status).toBe(201);
      await t.db.query(`UPDATE resources SET is_active = true WHERE id = $1`, [created.body.id]);
      return created.body.id as string;
    };
    resource = await seed(org);
    otherResource = await seed(other);
    // A member with a live session of their own (ACTIVE, so it could be extended).
    const member = await createMember(t, org);
    const memberId = (await member.get('/auth/me')).body.id;
    const role = await org.admin.post('/roles', { name: uniqueName('Role') });
    expect((await org.admin.post(`/roles/${role.body.id}/users/${memberId}`)).status).toBe(200);
    expect((await org.admin.post(`/roles/${role.body.id}/resources/${resource}`)).status).toBe(200);
    memberSession = (await member.post('/sessions', { ipv4Address: '203.0.113.40', resourceIds: [resource] })).body.id;
    await t.db.query(`UPDATE sessions SET status = 'ACTIVE' WHERE id = $1`, [memberSession]);
  });
  afterAll(async () => {
    console.log(`API-key token attacks: ${refused} refused attempts`);
    await t?.close();
  });

  const startBody = () => ({ ipv4Address: '198.51.100.77', resourceIds: [resource], durationHours: 1 });

  /** Each call the key would make: 401 with the one message, and no row of either organization changed. */
  async function expectUnauthorized(headers: Record<string, string>, what: string): Promise<void> {
    const client = new ApiClient(t.baseUrl, undefined, headers);
    for (const [method, path, body] of [
      ['POST', '/sessions', startBody()],
      ['GET', '/sessions', undefined],
      ['POST', `/sessions/${memberSession}/stop`, undefined],
      ['GET', `/resources/${resource}`, undefined],
    ] as const) {
      const before = await snapshot(t, [org.id, other.id]);
      const response: ApiResponse = await client.request(method, path, body);
      refused++;
      try {
        expectError(response, 401, 'UNAUTHORIZED');
        expect(response.body.message).toBe(UNAUTHORIZED_MESSAGE);
      } catch (error) {
        throw new Error(`${method} ${path} with ${what}: ${response.status} ${response.text}\n${String(error)}`);
      }
      expect({ what, path, changed: changedTables(before, await snapshot(t, [org.id, other.id])) }).toEqual({ what, path, changed: [] });
    }
  }

  it('refuses forged keys and damaged copies of a live key, in both headers; the real key works after them all', async () => {
    const { key, prefix } = await createKey(org, ALL_SCOPES);
    const body = key.slice('egk_live_'.length);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const variants: Array<[string, string]> = [
      ['a forged key of the right shape', forgedKey()],
      ['another forged key', forgedKey()],
      ['truncated by one character', key.slice(0, -1)],
      ['only its prefix (keyPrefix, as listed)', prefix],
      ['extended by one character', `${key}A`],
      ['one character changed (first after the prefix)', `egk_live_${flip(body[0])}${body.slice(1)}`],
      ['one character changed (middle)', `egk_live_${body.slice(0, 21)}${flip(body[21])}${body.slice(22)}`],
      ['one character changed (last)', `${key.slice(0, -1)}${flip(key[key.length - 1])}`],
      ['letter case swapped', `egk_live_${[...body].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')}`],
      ['another environment prefix', key.replace('egk_live_', 'egk_test_')],
      ['its stored SHA-256', sha256(key)],
      ['the SHA-256 with the prefix', `egk_live_${sha256(key)}`],
    ];
    for (const [what, variant] of variants) {
      await expectUnauthorized({ 'x-api-key': variant }, `X-API-Key: ${what}`);
      await expectUnauthorized({ authorization: `ApiKey ${variant}` }, `Authorization: ApiKey ${what}`);
    }
    await expectUnauthorized({ authorization: `Bearer ${key}` }, 'the key as a bearer token');
    const real = keyClient(org, key);
    expect((await real.post('/sessions', startBody())).status).toBe(201);
  });

  it('refuses an expired key, a revoked ("spent") key and the key of a deleted creator', async () => {
    const expiring = await createKey(org, ALL_SCOPES, { expiresAt: '2999-01-01T00:00:00Z' });
    expect((await keyClient(org, expiring.key).get('/sessions')).status).toBe(200);
    await t.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.id]);
    await expectUnauthorized({ 'x-api-key': expiring.key }, 'an expired key');

    const revoked = await createKey(org, ALL_SCOPES);
    expect((await keyClient(org, revoked.key).get('/sessions')).status).toBe(200);
    expect((await org.admin.delete(`/api-keys/${revoked.id}`)).status).toBe(204);
    await expectUnauthorized({ 'x-api-key': revoked.key }, 'a revoked key');

    const second = await createAdmin(t, org);
    const orphan = await createKey(second.org, ALL_SCOPES);
    expect((await org.admin.delete(`/users/${second.id}`)).status).toBe(204);
    await expectUnauthorized({ 'x-api-key': orphan.key }, "a deleted creator's key");
  });

  /** The answer for `id` and for a random id are the same 404 (ids and timestamp masked), and nothing changed. */
  async function expectHidden(client: ApiClient, method: string, template: string, id: string, code: string, body?: unknown) {
    const before = await snapshot(t, [org.id, other.id]);
    const random = randomUUID();
    const real = await client.request(method, template.replace('{id}', id), body);
    const fake = await client.request(method, template.replace('{id}', random), body);
    refused += 2;
    expect({ template, status: real.status, error: real.body?.error }).toEqual({ template, status: 404, error: code });
    expect(masked(real, [id])).toBe(masked(fake, [random]));
    expect({ template, changed: changedTables(before, await snapshot(t, [org.id, other.id])) }).toEqual({ template, changed: [] });
  }

  it("another organization's live key (every scope) reaches nothing of this organization: the same 404 as a random id", async () => {
    const foreign = keyClient(other, (await createKey(other, ALL_SCOPES)).key);
    // Used once first: its once-a-minute lastUsedAt write is behind us before any snapshot.
    expect((await foreign.get('/sessions')).status).toBe(200);
    await expectHidden(foreign, 'GET', '/sessions/{id}', memberSession, 'SESSION_NOT_FOUND');
    await expectHidden(foreign, 'POST', '/sessions/{id}/stop', memberSession, 'SESSION_NOT_FOUND');
    await expectHidden(foreign, 'POST', '/sessions/{id}/extend', memberSession, 'SESSION_NOT_FOUND', { additionalHours: 1 });
    await expectHidden(foreign, 'GET', '/resources/{id}', resource, 'RESOURCE_NOT_FOUND');
    const before = await snapshot(t, [org.id, other.id]);
    const start = await foreign.post('/sessions', { ipv4Address: '198.51.100.78', resourceIds: [resource] });
    refused++;
    expectError(start, 404, 'RESOURCE_NOT_FOUND');
    expect(changedTables(before, await snapshot(t, [org.id, other.id]))).toEqual([]);
    // Its lists hold only its own organization's objects.
    expect((await foreign.get('/resources')).body.map((r: { id: string }) => r.id)).toEqual([otherResource]);
    expect((await foreign.get('/sessions')).body).toEqual([]);
  });

  it("an admin's key reaches only its creator's own sessions: another user's session is the same 404 as a random id", async () => {
    const adminKey = keyClient(org, (await createKey(org, ['sessions:read', 'sessions:write'])).key);
    expect((await adminKey.get('/sessions')).status).toBe(200);
    await expectHidden(adminKey, 'GET', '/sessions/{id}', memberSession, 'SESSION_NOT_FOUND');
    await expectHidden(adminKey, 'POST', '/sessions/{id}/stop', memberSession, 'SESSION_NOT_FOUND');
    await expectHidden(adminKey, 'POST', '/sessions/{id}/extend', memberSession, 'SESSION_NOT_FOUND', { additionalHours: 1 });
    expect((await adminKey.get('/sessions')).body.map((s: { id: string }) => s.id)).not.toContain(memberSession);
    // Admin routes stay closed to a key, whoever created it (§15).
    expectError(await adminKey.post(`/sessions/admin/${memberSession}/stop`), 403, 'FORBIDDEN');
    expect((await t.db.query(`SELECT status FROM sessions WHERE id = $1`, [memberSession])).rows[0].status).toBe('ACTIVE');
  });
});
