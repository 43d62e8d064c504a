import { randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { ApiClient } from '../harness/api-client';
import { TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';

export const ALL_SCOPES = ['sessions:read', 'sessions:write', 'resources:read', 'audit:read'] as const;
export type Scope = (typeof ALL_SCOPES)[number];

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  body: Record<string, any>;
}

/** A key created by the organization's first admin through the API (201 or the test fails). */
export async function createKey(org: TestOrganization, scopes: readonly Scope[], extra: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await org.admin.post('/api-keys', { name: uniqueName('Key'), scopes, ...extra });
  if (response.status !== 201) {
    throw new Error(`creating a key failed: ${response.status} ${response.text}`);
  }
  return { id: response.body.id, key: response.body.plainTextKey, prefix: response.body.keyPrefix, body: response.body };
}

/** A client that sends the key, by default in X-API-Key; `scheme` sends `Authorization: <scheme> <key>` instead. */
export function keyClient(org: TestOrganization, key: string, scheme?: string): ApiClient {
  return new ApiClient(org.anonymous.baseUrl, undefined, scheme ? { authorization: `${scheme} ${key}` } : { 'x-api-key': key });
}

/** A second ORG_ADMIN of the organization, signed in: a key's creator that the first admin can remove. */
export async function createAdmin(
  t: TestApp,
  org: TestOrganization,
): Promise<{ id: string; email: string; admin: ApiClient; org: TestOrganization }> {
  const email = `second-admin-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'Second admin password 1';
  const hash = await argon2.hash(password, { type: argon2.argon2id });
  const { rows } = await t.db.query(
    `INSERT INTO users (organization_id, email, name, password_hash, role) VALUES ($1, $2, 'Sam Second', $3, 'ORG_ADMIN') RETURNING id`,
    [org.id, email, hash],
  );
  const login = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email, password });
  if (login.status !== 200) {
    throw new Error(`admin login failed: ${login.status} ${login.text}`);
  }
  const admin = org.anonymous.as(login.body.accessToken);
  return { id: rows[0].id, email, admin, org: { ...org, admin, email } };
}
