import { randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { ApiClient } from './api-client';
import { TestApp } from './test-app';

export interface TestOrganization {
  id: string;
  slug: string;
  name: string;
  email: string;
  password: string;
  admin: ApiClient;
  anonymous: ApiClient;
  auth: { accessToken: string; refreshToken: string; user: { id: string } };
}

export function uniqueName(prefix: string): string {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}

/** A new organization with its first ORG_ADMIN, signed in. */
export async function registerOrganization(t: TestApp, prefix = 'Org'): Promise<TestOrganization> {
  const anonymous = new ApiClient(t.baseUrl);
  const name = uniqueName(prefix);
  const email = `admin-${randomUUID().slice(0, 8)}@example.test`;
  // Meets the default password policy (§10), which register applies.
  const password = 'Correct horse battery 1';
  const response = await anonymous.post('/auth/register', { organizationName: name, email, password, name: 'Ada Admin' });
  if (response.status !== 201) {
    throw new Error(`register failed: ${response.status} ${response.text}`);
  }
  const auth = response.body;
  return {
    id: auth.user.organizationId,
    slug: auth.user.organizationSlug,
    name,
    email,
    password,
    admin: anonymous.as(auth.accessToken),
    anonymous,
    auth,
  };
}

/** A USER-role member of the organization (there is no invite endpoint yet), signed in. */
export async function createMember(t: TestApp, org: TestOrganization): Promise<ApiClient> {
  const email = `member-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'member password 1';
  const hash = await argon2.hash(password, { type: argon2.argon2id });
  await t.db.query(`INSERT INTO users (organization_id, email, name, password_hash, role) VALUES ($1, $2, 'Max Member', $3, 'USER')`, [
    org.id,
    email,
    hash,
  ]);
  const login = await org.anonymous.post('/auth/login', { organizationSlug: org.slug, email, password });
  if (login.status !== 200) {
    throw new Error(`member login failed: ${login.status} ${login.text}`);
  }
  return org.anonymous.as(login.body.accessToken);
}

export function awsCredentialBody(overrides: Record<string, unknown> = {}) {
  return {
    name: uniqueName('AWS'),
    provider: 'AWS',
    credentialType: 'ACCESS_KEY',
    credentialData: { accessKeyId: 'AKIAEXAMPLE0000001', secretAccessKey: `secret-${randomUUID()}` },
    ...overrides,
  };
}

export function awsResourceBody(credentialId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: uniqueName('SG'),
    credentialId,
    provider: 'AWS',
    resourceType: 'SECURITY_GROUP',
    resourceIdentifier: `sg-${randomUUID().replace(/-/g, '').slice(0, 17)}`,
    region: 'eu-west-1',
    config: { protocol: 'tcp', port: 22 },
    ...overrides,
  };
}

export async function auditRows(t: TestApp, organizationId: string): Promise<Array<Record<string, any>>> {
  const { rows } = await t.db.query(`SELECT * FROM audit_logs WHERE organization_id = $1 ORDER BY created_at, id`, [organizationId]);
  return rows;
}
