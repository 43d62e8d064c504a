import { randomUUID } from 'node:crypto';
import { ApiResponse } from '../harness/api-client';
import { startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';

/**
 * Shared pieces of the security specs. Each spec gets a database of its own, so that
 * "nothing changed" can be asserted on whole tables, and no other spec (or its background
 * verification jobs, JOBS_ENABLED=true elsewhere) can touch our rows in between.
 * AWS calls go to a closed local port unless a spec points them elsewhere: never the internet.
 */
export function startPrivateApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  return startTestAppOnOwnDatabase({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', PROVIDER_TIMEOUT_MS: '1000', ...env }, 'entryguard_sec');
}

/** http://127.0.0.1:<port> for a baseUrl of http://127.0.0.1:<port>/api/v1. */
export function originOf(t: TestApp): string {
  return new URL(t.baseUrl).origin;
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The body text with the given ids and the timestamp masked: two refusals must then be identical. */
export function masked(response: ApiResponse, ids: string[]): string {
  let text = response.text;
  for (const id of ids) {
    text = text.split(id).join('<ID>');
  }
  return text.replace(/"timestamp":"[^"]*"/g, '"timestamp":"<T>"');
}

/** Problems with the error envelope of a 4xx/5xx, as sentences (empty = fine). */
export function envelopeProblems(response: ApiResponse): string[] {
  const problems: string[] = [];
  const body = response.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return [`not a JSON object: ${response.text.slice(0, 200)}`];
  }
  if (typeof body.error !== 'string' || !/^[A-Z_]+$/.test(body.error)) problems.push(`bad error code ${JSON.stringify(body.error)}`);
  if (typeof body.message !== 'string' || body.message.length === 0) problems.push('no message');
  if (typeof body.timestamp !== 'string' || !ISO_UTC.test(body.timestamp)) problems.push(`bad timestamp ${JSON.stringify(body.timestamp)}`);
  const allowed = body.error === 'VALIDATION_ERROR' ? ['details', 'error', 'message', 'timestamp'] : ['error', 'message', 'timestamp'];
  if (JSON.stringify(Object.keys(body).sort()) !== JSON.stringify(allowed)) problems.push(`keys ${Object.keys(body).sort().join(',')}`);
  if (body.error === 'VALIDATION_ERROR') {
    const details = body.details;
    if (!Array.isArray(details) || details.some((d) => typeof d?.field !== 'string' || typeof d?.message !== 'string')) {
      problems.push(`bad details ${JSON.stringify(details)}`);
    }
  }
  if (!response.headers.get('content-type')?.startsWith('application/json'))
    problems.push(`content-type ${response.headers.get('content-type')}`);
  if (/\bat .+:\d+:\d+\)|node_modules|QueryFailedError|relation "|syntax error at/i.test(response.text)) problems.push('leaks internals');
  return problems;
}

/** Every row of one organization, table by table (bytea as hex), plus its non-FAILURE audit rows. */
export async function orgRows(t: TestApp, organizationId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const queries: Record<string, string> = {
    organizations: 'SELECT * FROM organizations WHERE id = $1',
    users: 'SELECT * FROM users WHERE organization_id = $1 ORDER BY id',
    refresh_tokens: 'SELECT * FROM refresh_tokens WHERE organization_id = $1 ORDER BY id',
    credentials: 'SELECT * FROM credentials WHERE organization_id = $1 ORDER BY id',
    resources: 'SELECT * FROM resources WHERE organization_id = $1 ORDER BY id',
    roles: 'SELECT * FROM roles WHERE organization_id = $1 ORDER BY id',
    role_users: 'SELECT * FROM role_users WHERE organization_id = $1 ORDER BY role_id, user_id',
    role_resources: 'SELECT * FROM role_resources WHERE organization_id = $1 ORDER BY role_id, resource_id',
    organization_settings: 'SELECT * FROM organization_settings WHERE organization_id = $1',
    api_keys: 'SELECT * FROM api_keys WHERE organization_id = $1 ORDER BY id',
    sessions: 'SELECT * FROM sessions WHERE organization_id = $1 ORDER BY id',
    session_rules: 'SELECT * FROM session_rules WHERE organization_id = $1 ORDER BY id',
    access_grants: 'SELECT * FROM access_grants WHERE organization_id = $1 ORDER BY id',
    static_ip_rules: 'SELECT * FROM static_ip_rules WHERE organization_id = $1 ORDER BY id',
    static_ip_rule_resources: 'SELECT * FROM static_ip_rule_resources WHERE organization_id = $1 ORDER BY id',
    resource_sync: 'SELECT * FROM resource_sync WHERE organization_id = $1 ORDER BY resource_id',
    idempotency_keys: 'SELECT * FROM idempotency_keys WHERE organization_id = $1 ORDER BY user_id, operation, key',
    user_tokens: 'SELECT * FROM user_tokens WHERE organization_id = $1 ORDER BY id',
    user_mfa: 'SELECT * FROM user_mfa WHERE organization_id = $1 ORDER BY user_id',
    mfa_recovery_codes: 'SELECT * FROM mfa_recovery_codes WHERE organization_id = $1 ORDER BY id',
    resource_health_events: 'SELECT * FROM resource_health_events WHERE organization_id = $1 ORDER BY id',
    audit_not_failure: `SELECT * FROM audit_logs WHERE organization_id = $1 AND result <> 'FAILURE' ORDER BY id`,
  };
  for (const [table, sql] of Object.entries(queries)) {
    const { rows } = await t.db.query(sql, [organizationId]);
    out[table] = rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])),
    );
  }
  return out;
}

/** Every table dbFingerprint covers (audit_logs apart): a new table belongs here. */
export const FINGERPRINT_TABLES = [
  'organizations',
  'users',
  'refresh_tokens',
  'credentials',
  'resources',
  'roles',
  'api_keys',
  'sessions',
  'static_ip_rules',
  'access_grants',
  'role_users',
  'role_resources',
  'organization_settings',
  'session_rules',
  'static_ip_rule_resources',
  'idempotency_keys',
  'resource_sync',
  'resource_health_events',
  'user_tokens',
  'user_mfa',
  'mfa_recovery_codes',
  'jobs',
];

/**
 * A fingerprint of the whole (private) database: row count and md5 of every row of every
 * table, except audit_logs, where only the rows that are not FAILURE count (refusals may add those).
 * Rows are ordered by their own text, so tables without an `id` column count too.
 */
export async function dbFingerprint(t: TestApp): Promise<Record<string, string>> {
  const part = (table: string, where = 'true') =>
    `(SELECT count(*) || ':' || coalesce(md5(string_agg(md5(x::text), ',' ORDER BY md5(x::text))), '-') FROM ${table} x WHERE ${where}) AS ${table}`;
  const { rows } = await t.db.query(
    `SELECT ${FINGERPRINT_TABLES.map((table) => part(table)).join(', ')}, ${part('audit_logs', `x.result <> 'FAILURE'`)}`,
  );
  return rows[0];
}

export function randomId(): string {
  return randomUUID();
}
