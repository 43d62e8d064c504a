import { randomUUID } from 'node:crypto';
import { startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';
export { ISO_UTC, RESOURCE_KEYS } from '../harness/contract';

/**
 * The app on a database of its own. Other spec files start apps with JOBS_ENABLED=true on the
 * shared run database; their verification jobs would claim our rows (and write SYSTEM audit rows
 * into our organizations), so every spec here gets a private database, dropped afterwards.
 */
export function startIsolatedApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  return startTestAppOnOwnDatabase(env, 'entryguard_iso');
}

/** A valid AWS access key id that no other test uses (16-128 upper-case letters and digits). */
export function uniqueAccessKeyId(): string {
  return `AKIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
}

/** A security group id the validation accepts: sg- plus 17 hex digits. */
export function uniqueGroupId(): string {
  return `sg-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
}

export function gcpCredentialBody(name = `GCP ${randomUUID().slice(0, 8)}`) {
  return {
    name,
    provider: 'GCP',
    credentialType: 'SERVICE_ACCOUNT',
    credentialData: {
      type: 'service_account',
      project_id: 'entryguard-test',
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n',
      client_email: 'svc@entryguard-test.iam.gserviceaccount.com',
    },
  };
}

/** Polls until `check` returns a value (not undefined), or the deadline passes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, stepMs = 200): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined || Date.now() > deadline) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** Audit rows of one organization (DB columns), optionally for one target. */
export async function auditRowsFor(t: TestApp, organizationId: string, resourceId?: string): Promise<Array<Record<string, any>>> {
  const params: unknown[] = [organizationId];
  let where = 'organization_id = $1';
  if (resourceId) {
    params.push(resourceId);
    where += ' AND resource_id = $2';
  }
  const { rows } = await t.db.query(`SELECT * FROM audit_logs WHERE ${where} ORDER BY created_at, id`, params);
  return rows;
}

export function summary(rows: Array<Record<string, any>>): Array<[string, string, string | null]> {
  return rows.map((row) => [row.event_type, row.result, row.error_code]);
}

/** Runs `action` and returns it with exactly the audit rows of the organization it added. */
export async function withAuditDelta<T>(
  t: TestApp,
  organizationId: string,
  action: () => Promise<T>,
): Promise<{ result: T; added: Array<Record<string, any>> }> {
  const before = new Set((await auditRowsFor(t, organizationId)).map((row) => row.id as string));
  const result = await action();
  const added = (await auditRowsFor(t, organizationId)).filter((row) => !before.has(row.id));
  return { result, added };
}

/** The one audit row a mutation must leave, checked column by column. */
export function expectSingleAuditRow(
  added: Array<Record<string, any>>,
  expected: {
    eventType: string;
    actorEmail: string | null;
    resourceId: string | null;
    result: 'SUCCESS' | 'FAILURE';
    errorCode?: string | null;
    resourceType?: string;
  },
): Record<string, any> {
  expect(added.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
    [expected.eventType, expected.result, expected.errorCode ?? null],
  ]);
  const [row] = added;
  expect(row.actor_email).toBe(expected.actorEmail);
  expect(row.resource_id).toBe(expected.resourceId);
  if (expected.resourceType) {
    expect(row.resource_type).toBe(expected.resourceType);
  }
  return row;
}
