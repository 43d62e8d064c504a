import { ModulesContainer } from '@nestjs/core';
import { ROLES_KEY } from '@app/auth';
import { ApiClient, ApiResponse, expectError } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { masked, orgRows, originOf, randomId, startPrivateApp } from './security-harness';

jest.setTimeout(60_000);

/**
 * Tenant isolation and roles, for every operation the served OpenAPI document lists: a route
 * added later is covered without touching this file (or fails loudly until it can be seeded).
 */
interface Operation {
  method: string;
  /** Relative to the base path, e.g. /credentials/{id}/verify */
  path: string;
  operationId: string;
  /** The document's prose; "Requires ORG_ADMIN" marks the operations only admins may call. */
  description: string;
  bodySchema?: Record<string, any>;
}

/** The marker every ORG_ADMIN operation's description carries (checked against the routes' @Roles below). */
const ADMIN_MARKER = /\bRequires ORG_ADMIN\b/;

/** Which objects an `{id}` refers to, by the first path segment, and the 404 that hides them. */
const KINDS: Record<string, { code: string; message: (id: string) => string }> = {
  credentials: { code: 'CREDENTIAL_NOT_FOUND', message: (id) => `Credential with ID ${id} not found` },
  resources: { code: 'RESOURCE_NOT_FOUND', message: (id) => `Resource with ID ${id} not found` },
  users: { code: 'USER_NOT_FOUND', message: (id) => `User with ID ${id} not found` },
  roles: { code: 'ROLE_NOT_FOUND', message: (id) => `Role with ID ${id} not found` },
  'api-keys': { code: 'API_KEY_NOT_FOUND', message: (id) => `API key with ID ${id} not found` },
  sessions: { code: 'SESSION_NOT_FOUND', message: (id) => `Session with ID ${id} not found` },
  'static-ip-rules': { code: 'STATIC_IP_RULE_NOT_FOUND', message: (id) => `Static IP rule with ID ${id} not found` },
};

/** Path parameters besides {id}: always org A's own object, so the {id} alone decides the answer. */
const SECONDARY: Record<string, (ctx: Ctx) => string> = {
  userId: (ctx) => ctx.aUser,
  resourceId: (ctx) => ctx.aResource,
};

interface Ctx {
  aCredential: string;
  aTarget: string;
  aUser: string;
  aResource: string;
}

/** A VALID body per operation (validation runs before existence, so an invalid one would hide a leak). */
const VALID_BODIES: Record<string, (ctx: Ctx) => Record<string, unknown>> = {
  createCredential: () => awsCredentialBody(),
  updateCredential: () => ({
    name: uniqueName('Renamed'),
    credentialData: { accessKeyId: 'AKIAROTATED000000001', secretAccessKey: `rotated-${randomId()}` },
  }),
  migrateCredentialResources: (ctx) => ({ targetCredentialId: ctx.aTarget }),
  createResource: (ctx) => awsResourceBody(ctx.aCredential),
  updateResource: (ctx) => ({
    name: uniqueName('Renamed SG'),
    resourceIdentifier: `sg-${randomId().replace(/-/g, '').slice(0, 17)}`,
    credentialId: ctx.aTarget,
    region: 'eu-central-1',
    isActive: true,
    config: { protocol: 'tcp', port: 443 },
  }),
  createUser: () => ({ email: `invitee-${randomId().slice(0, 8)}@example.test`, name: 'Ivy Invitee', isOrgAdmin: false }),
  updateUser: () => ({ name: uniqueName('Renamed'), isOrgAdmin: true, isActive: true }),
  createRole: () => ({ name: uniqueName('Role'), description: 'Developers', maxSessionDurationHours: 8 }),
  updateRole: () => ({ name: uniqueName('Renamed role'), description: null, maxSessionDurationHours: 4 }),
  updateOrganizationSettings: () => ({ passwordMinLength: 10, passwordExpirationDays: 90 }),
  startSession: (ctx) => ({ ipv4Address: '203.0.113.1', resourceIds: [ctx.aResource], durationHours: 1 }),
  extendSession: () => ({ additionalHours: 1 }),
  createStaticIpRule: (ctx) => ({ label: uniqueName('Office'), ipAddress: '198.51.100.0/24', resourceIds: [ctx.aResource] }),
  createApiKey: () => ({
    name: uniqueName('Key'),
    description: 'CI',
    scopes: ['sessions:read', 'audit:read'],
    expiresAt: '2999-01-01T00:00:00Z',
  }),
};

function segment(path: string): string {
  return path.split('/')[1];
}

describe('security: tenant isolation and roles over every documented operation', () => {
  let t: TestApp;
  let a: TestOrganization;
  let b: TestOrganization;
  let member: ApiClient;
  let operations: Operation[];
  let schemas: Record<string, any>;
  const aIds: Record<string, string[]> = {};
  const bIds: Record<string, string[]> = {};
  let ctx: Ctx;

  beforeAll(async () => {
    t = await startPrivateApp();
    const served = await fetch(`${originOf(t)}/api/docs-json`);
    expect(served.status).toBe(200);
    const doc = (await served.json()) as { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, any> } };
    schemas = doc.components?.schemas ?? {};
    operations = [];
    for (const [fullPath, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const ref: string | undefined = op.requestBody?.content?.['application/json']?.schema?.$ref;
        operations.push({
          method: method.toUpperCase(),
          path: fullPath.replace(/^\/api\/v1/, ''),
          operationId: op.operationId,
          description: op.description ?? '',
          bodySchema: op.requestBody
            ? ref
              ? schemas[ref.split('/').pop()!]
              : (op.requestBody.content?.['application/json']?.schema ?? {})
            : undefined,
        });
      }
    }

    [a, b] = [await registerOrganization(t, 'Alpha'), await registerOrganization(t, 'Beta')];
    const create = async (org: TestOrganization, path: string, body: unknown) => {
      const response = await org.admin.post(path, body);
      if (response.status !== 201) throw new Error(`seeding ${path} failed: ${response.status} ${response.text}`);
      return response.body.id as string;
    };
    const aCredential = await create(a, '/credentials', awsCredentialBody());
    const aTarget = await create(a, '/credentials', awsCredentialBody());
    const aResource = await create(a, '/resources', awsResourceBody(aCredential));
    const bInUse = await create(b, '/credentials', awsCredentialBody());
    const bFree = await create(b, '/credentials', awsCredentialBody());
    const bResource = await create(b, '/resources', awsResourceBody(bInUse));
    // A's user is an invited admin (A's member stays its only USER); B's are an invitee and B's only admin.
    const aUser = await create(a, '/users', { email: `a-admin-${randomId().slice(0, 8)}@example.test`, isOrgAdmin: true });
    const bUser = await create(b, '/users', { email: `b-user-${randomId().slice(0, 8)}@example.test` });
    const aRole = await create(a, '/roles', { name: uniqueName('Role') });
    const bRole = await create(b, '/roles', { name: uniqueName('Role') });
    const aKey = await create(a, '/api-keys', { name: uniqueName('Key'), scopes: ['resources:read'] });
    const bKey = await create(b, '/api-keys', { name: uniqueName('Key'), scopes: ['resources:read'] });
    // Sessions on active resources (no provider call: jobs are off), A's marked applied so it can be extended.
    // A's are on a resource of their own: a held resource cannot be retargeted (RESOURCE_IN_USE).
    const aHeld = await create(a, '/resources', awsResourceBody(aCredential));
    await t.db.query(`UPDATE resources SET is_active = true WHERE id = ANY($1)`, [[aHeld, bResource]]);
    const aSession = await create(a, '/sessions', { ipv4Address: '203.0.113.2', resourceIds: [aHeld] });
    const bSession = await create(b, '/sessions', { ipv4Address: '203.0.113.3', resourceIds: [bResource] });
    await t.db.query(`UPDATE sessions SET status = 'ACTIVE' WHERE id = $1`, [aSession]);
    const aRule = await create(a, '/static-ip-rules', { label: 'A office', ipAddress: '198.51.100.0/24', resourceIds: [aHeld] });
    const bRule = await create(b, '/static-ip-rules', { label: 'B office', ipAddress: '198.51.100.0/24', resourceIds: [bResource] });
    // B's role holds B's user and resource: a foreign unassign must not reach them.
    expect((await b.admin.post(`/roles/${bRole}/users/${bUser}`)).status).toBe(200);
    expect((await b.admin.post(`/roles/${bRole}/resources/${bResource}`)).status).toBe(200);
    Object.assign(aIds, {
      credentials: [aCredential],
      resources: [aResource],
      users: [aUser],
      roles: [aRole],
      'api-keys': [aKey],
      sessions: [aSession],
      'static-ip-rules': [aRule],
    });
    // An in-use credential too: CREDENTIAL_IN_USE for a foreign id would reveal that it exists;
    // and B's last admin: LAST_ADMIN for a foreign id would too.
    Object.assign(bIds, {
      credentials: [bInUse, bFree],
      resources: [bResource],
      users: [bUser, b.auth.user.id],
      roles: [bRole],
      'api-keys': [bKey],
      sessions: [bSession],
      'static-ip-rules': [bRule],
    });
    ctx = { aCredential, aTarget, aUser, aResource };
    member = await createMember(t, a);
  });
  afterAll(async () => t?.close());

  /** The body for an operation, or a loud reason why there is none. */
  function bodyFor(op: Operation): { body?: unknown; problem?: string } {
    if (!op.bodySchema) return {};
    const make = VALID_BODIES[op.operationId];
    if (!make) return { problem: `${op.operationId}: takes a body, but this spec knows no valid body for it (add one to VALID_BODIES)` };
    const body = make(ctx);
    const properties = Object.keys(op.bodySchema.properties ?? {});
    const unknown = Object.keys(body).filter((key) => !properties.includes(key));
    const missing = (op.bodySchema.required ?? []).filter((key: string) => !(key in body));
    if (unknown.length || missing.length) {
      return { problem: `${op.operationId}: the hand-written body no longer fits the schema (unknown ${unknown}, missing ${missing})` };
    }
    return { body };
  }

  /** The path with `id` for {id} and org A's own objects for the other parameters. */
  function pathFor(op: Operation, id: string): string {
    return op.path.replace(/\{([^}]+)\}/g, (_match, name: string) => (name === 'id' ? id : SECONDARY[name](ctx)));
  }

  function pathParams(op: Operation): string[] {
    return [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  }

  it('the document lists the operations this spec is expected to cover', () => {
    const ids = operations.map((op) => op.operationId);
    expect(ids).toEqual(
      expect.arrayContaining([
        'getCredential',
        'updateCredential',
        'deleteCredential',
        'verifyCredential',
        'migrateCredentialResources',
        'getResource',
        'updateResource',
        'deleteResource',
        'verifyResource',
        'listAuditLogs',
        'getCurrentUser',
        'getUser',
        'updateUser',
        'deleteUser',
        'resendInvitation',
      ]),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('marks exactly the @Roles(ORG_ADMIN) routes with "Requires ORG_ADMIN", so the member sweep can trust the document', () => {
    // The routes' own metadata, read from the running app: no list to keep by hand.
    const fromRoutes = new Set<string>();
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
        if (!controller?.prototype) continue;
        for (const name of Object.getOwnPropertyNames(controller.prototype)) {
          const handler = (controller.prototype as Record<string, unknown>)[name];
          if (name === 'constructor' || typeof handler !== 'function') continue;
          const roles: string[] | undefined = Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, controller);
          const operationId: string | undefined = Reflect.getMetadata('swagger/apiOperation', handler)?.operationId;
          if (operationId && roles?.includes('ORG_ADMIN')) fromRoutes.add(operationId);
        }
      }
    }
    const marked = operations.filter((op) => ADMIN_MARKER.test(op.description)).map((op) => op.operationId);
    expect(fromRoutes.size).toBeGreaterThanOrEqual(19);
    expect(marked.sort()).toEqual([...fromRoutes].sort());
  });

  it("as org A's admin, every {id} operation answers org B's ids exactly like random ids, and B's data stays untouched", async () => {
    const withId = operations.filter((op) => op.path.includes('{id}'));
    expect(withId.length).toBeGreaterThanOrEqual(9);
    const failures: string[] = [];
    const bAuditCount = async () =>
      (await t.db.query('SELECT count(*)::int AS n FROM audit_logs WHERE organization_id = $1', [b.id])).rows[0].n;
    const bAuditBefore = await bAuditCount();
    for (const op of withId) {
      const label = `${op.method} ${op.path} (${op.operationId})`;
      const others = pathParams(op).filter((p) => p !== 'id' && !SECONDARY[p]);
      const kind = KINDS[segment(op.path)];
      if (others.length || !kind || !bIds[segment(op.path)]) {
        failures.push(
          `${label}: unknown path prefix or parameter (${others.join(',') || segment(op.path)}); teach this spec how to seed it`,
        );
        continue;
      }
      const { body, problem } = bodyFor(op);
      if (problem) {
        failures.push(problem);
        continue;
      }
      for (const foreignId of bIds[segment(op.path)]) {
        const randomUuid = randomId();
        const before = await orgRows(t, b.id);
        const foreign = await a.admin.request(op.method, pathFor(op, foreignId), body);
        const random = await a.admin.request(op.method, pathFor(op, randomUuid), body);
        const after = await orgRows(t, b.id);
        if (foreign.status !== 404 || foreign.body?.error !== kind.code || foreign.body?.message !== kind.message(foreignId)) {
          failures.push(`${label} with B's id: expected 404 ${kind.code}, got ${foreign.status} ${foreign.text}`);
        }
        if (foreign.status !== random.status || masked(foreign, [foreignId]) !== masked(random, [randomUuid])) {
          failures.push(
            `${label}: B's id and a random id differ:\n  ${foreign.status} ${masked(foreign, [foreignId])}\n  ${random.status} ${masked(random, [randomUuid])}`,
          );
        }
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          failures.push(`${label}: org B's rows changed after a request with its id ${foreignId}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await bAuditCount()).toBe(bAuditBefore);
    // B still sees all of its objects.
    for (const id of bIds.credentials) expect((await b.admin.get(`/credentials/${id}`)).status).toBe(200);
    for (const id of bIds.resources) expect((await b.admin.get(`/resources/${id}`)).status).toBe(200);
    for (const id of bIds.users) expect((await b.admin.get(`/users/${id}`)).status).toBe(200);
    for (const id of bIds.roles) {
      expect((await b.admin.get(`/roles/${id}`)).body).toMatchObject({ userIds: [bIds.users[0]], resourceIds: bIds.resources });
    }
  });

  it("the hand-written bodies are valid: on org A's own objects they succeed", async () => {
    const controls = operations.filter((op) => op.bodySchema && op.path.includes('{id}'));
    for (const op of controls) {
      const { body, problem } = bodyFor(op);
      expect(problem).toBeUndefined();
      const response = await a.admin.request(op.method, pathFor(op, aIds[segment(op.path)][0]), body);
      expect({ op: op.operationId, status: response.status }).toEqual({ op: op.operationId, status: 200 });
    }
  });

  it("a member (USER role) gets 403 FORBIDDEN on every ORG_ADMIN operation, for B's, A's and random ids alike, and nothing changes", async () => {
    const me = await member.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.isOrgAdmin).toBe(false);

    const adminOnly = operations.filter((op) => ADMIN_MARKER.test(op.description));
    expect(adminOnly.length).toBeGreaterThanOrEqual(19);
    const failures: string[] = [];
    for (const op of adminOnly) {
      const label = `${op.method} ${op.path} (${op.operationId})`;
      const { body, problem } = bodyFor(op);
      if (problem) {
        failures.push(problem);
        continue;
      }
      const params = pathParams(op);
      const family = segment(op.path);
      if (params.some((p) => p !== 'id' && !SECONDARY[p]) || (params.includes('id') && (!aIds[family] || !bIds[family]))) {
        failures.push(`${label}: unknown path prefix or parameter; teach this spec how to seed it`);
        continue;
      }
      const ids = params.includes('id') ? [...bIds[family], ...aIds[family], randomId()] : [''];
      const shapes = new Set<string>();
      for (const id of ids) {
        const before = [await orgRows(t, a.id), await orgRows(t, b.id)];
        const response: ApiResponse = await member.request(op.method, pathFor(op, id), body);
        const after = [await orgRows(t, a.id), await orgRows(t, b.id)];
        try {
          expectError(response, 403, 'FORBIDDEN');
        } catch {
          failures.push(`${label} with id ${id || '-'}: expected 403 FORBIDDEN, got ${response.status} ${response.text}`);
        }
        if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${label} with id ${id || '-'}: the database changed`);
        shapes.add(masked(response, [id].filter(Boolean)));
      }
      if (shapes.size > 1) failures.push(`${label}: the 403 differs between foreign, own and random ids: ${[...shapes].join(' | ')}`);
    }
    expect(failures).toEqual([]);
    // Refusals are audited as FAILURE rows of the member's organization, never of B's.
    const { rows } = await t.db.query(
      `SELECT DISTINCT result, error_code FROM audit_logs WHERE event_type <> 'USER_LOGIN' AND actor_email = (SELECT email FROM users WHERE organization_id = $1 AND role = 'USER')`,
      [a.id],
    );
    expect(rows).toEqual([{ result: 'FAILURE', error_code: 'FORBIDDEN' }]);
  });

  it("org A's audit trail, which A can read, names none of B's objects, users or organization", async () => {
    const names = (
      await t.db.query(
        `SELECT name FROM credentials WHERE organization_id = $1 UNION ALL SELECT name FROM resources WHERE organization_id = $1`,
        [b.id],
      )
    ).rows.map((r) => r.name);
    const secrets = [...names, b.name, b.email, b.slug];
    const aRows = await t.db.query(`SELECT (audit_logs.*)::text AS row FROM audit_logs WHERE organization_id = $1`, [a.id]);
    const page = await a.admin.get('/audit-logs?size=100');
    expect(page.status).toBe(200);
    for (const secret of secrets) {
      expect(aRows.rows.filter((r) => r.row.includes(secret))).toEqual([]);
      expect(page.text.includes(secret)).toBe(false);
    }
  });
});
