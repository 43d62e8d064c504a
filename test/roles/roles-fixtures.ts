import { randomUUID } from 'node:crypto';
import { awsCredentialBody, awsResourceBody, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';

/** The public shape of a role (§12). */
export const ROLE_KEYS = ['createdAt', 'description', 'id', 'maxSessionDurationHours', 'name', 'resourceIds', 'updatedAt', 'userIds'];

/** A user row of the organization (no sign-in needed: roles only refer to it). */
export async function insertUser(t: TestApp, organizationId: string): Promise<{ id: string; email: string }> {
  const email = `role-user-${randomUUID().slice(0, 8)}@example.test`;
  const { rows } = await t.db.query(
    `INSERT INTO users (organization_id, email, name, role) VALUES ($1, $2, 'Rita Role', 'USER') RETURNING id`,
    [organizationId, email],
  );
  return { id: rows[0].id as string, email };
}

/** A resource of the organization, through the API (its credential too). */
export async function createResource(org: TestOrganization): Promise<{ id: string; name: string }> {
  const credential = await org.admin.post('/credentials', awsCredentialBody());
  if (credential.status !== 201) throw new Error(`credential: ${credential.status} ${credential.text}`);
  const resource = await org.admin.post('/resources', awsResourceBody(credential.body.id));
  if (resource.status !== 201) throw new Error(`resource: ${resource.status} ${resource.text}`);
  return { id: resource.body.id, name: resource.body.name };
}

export async function createRole(org: TestOrganization, body: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await org.admin.post('/roles', { name: uniqueName('Role'), ...body });
  if (response.status !== 201) throw new Error(`role: ${response.status} ${response.text}`);
  return response.body;
}

/** Every role-related row of an organization, to assert that a refused request changed nothing. */
export async function roleTables(t: TestApp, organizationId: string): Promise<Record<string, unknown[]>> {
  const query = async (sql: string) => (await t.db.query(sql, [organizationId])).rows;
  return {
    roles: await query('SELECT * FROM roles WHERE organization_id = $1 ORDER BY id'),
    roleUsers: await query('SELECT * FROM role_users WHERE organization_id = $1 ORDER BY role_id, user_id'),
    roleResources: await query('SELECT * FROM role_resources WHERE organization_id = $1 ORDER BY role_id, resource_id'),
    users: await query('SELECT id FROM users WHERE organization_id = $1 ORDER BY id'),
    resources: await query('SELECT id FROM resources WHERE organization_id = $1 ORDER BY id'),
    successAudit: await query(`SELECT id FROM audit_logs WHERE organization_id = $1 AND result = 'SUCCESS' ORDER BY id`),
  };
}

export async function roleAudit(t: TestApp, organizationId: string, roleId?: string): Promise<Array<Record<string, any>>> {
  const { rows } = await t.db.query(
    `SELECT * FROM audit_logs WHERE organization_id = $1 AND event_type LIKE 'ROLE_%' AND ($2::uuid IS NULL OR resource_id = $2)
     ORDER BY created_at, id`,
    [organizationId, roleId ?? null],
  );
  return rows;
}
