import { randomUUID } from 'node:crypto';
import { ApiClient, ApiResponse } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { envelopeProblems, orgRows, originOf, startPrivateApp } from '../security/security-harness';
import { ALL_SCOPES, createKey, keyClient, Scope } from './api-keys-harness';

jest.setTimeout(120_000);

/**
 * The scope matrix of §15, generated from the served OpenAPI document: every operation that needs
 * authentication, tried with no credential, with a key of each scope, and with a key of all
 * scopes. 2xx only where the contract lets that scope in; 403 FORBIDDEN everywhere else. Routes
 * added later (sessions) are swept without touching this file; an allowed one this spec cannot
 * seed fails loudly until it is taught how.
 */
interface Operation {
  method: string;
  /** Relative to /api/v1, e.g. /resources/{id} */
  path: string;
  operationId: string;
  security: Array<Record<string, string[]>>;
  requiredScope?: string;
}

/** §15 and §13, as the contract words them (not read from the document, which this checks). */
function contractScope(method: string, path: string): Scope | undefined {
  if (method === 'GET' && (path === '/resources' || path === '/resources/{id}')) return 'resources:read';
  if (method === 'GET' && path === '/audit-logs') return 'audit:read';
  // "The routes of §13 for its sessions": the caller's own sessions, never /sessions/admin.
  if (path === '/sessions' || (path.startsWith('/sessions/') && !path.startsWith('/sessions/admin'))) {
    return method === 'GET' ? 'sessions:read' : 'sessions:write';
  }
  return undefined;
}

/** Allowed calls that need a body to succeed, by "METHOD path". */
const BODIES: Record<string, (ctx: Ctx) => unknown> = {
  'POST /sessions': (ctx) => ({ resourceIds: [ctx.resourceId], ipv4Address: '198.51.100.23', durationHours: 1 }),
  'POST /sessions/{id}/extend': () => ({ additionalHours: 1 }),
};

/**
 * States an allowed call needs that this app does not reach by itself (its background jobs are
 * off, so no rule is ever applied), put straight into the row the call acts on.
 */
const PRECONDITIONS: Record<string, (t: TestApp, id: string) => Promise<unknown>> = {
  // Extending needs an ACTIVE session (§13).
  'POST /sessions/{id}/extend': (t, id) => t.db.query(`UPDATE sessions SET status = 'ACTIVE' WHERE id = $1`, [id]),
};

interface Ctx {
  resourceId: string;
}

describe('API keys: the scope matrix, from the OpenAPI document', () => {
  let t: TestApp;
  let org: TestOrganization;
  let operations: Operation[];
  let publicOperations: string[];
  let ctx: Ctx;
  const keys = new Map<string, ApiClient>();
  const prefixes: string[] = [];

  beforeAll(async () => {
    t = await startPrivateApp();
    const served = await fetch(`${originOf(t)}/api/docs-json`);
    expect(served.status).toBe(200);
    const doc = (await served.json()) as { paths: Record<string, Record<string, any>> };
    operations = [];
    publicOperations = [];
    for (const [fullPath, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const path = fullPath.replace(/^\/api\/v1/, '');
        if (!op.security?.length) {
          publicOperations.push(`${method.toUpperCase()} ${path}`);
          continue;
        }
        operations.push({
          method: method.toUpperCase(),
          path,
          operationId: op.operationId,
          security: op.security,
          requiredScope: op['x-required-scope'],
        });
      }
    }
    org = await registerOrganization(t, 'Scope matrix');
    const credential = await org.admin.post('/credentials', awsCredentialBody());
    expect(credential.status).toBe(201);
    const resource = await org.admin.post('/resources', awsResourceBody(credential.body.id));
    expect(resource.status).toBe(201);
    // Verified in effect (no provider here): sessions reach only active resources (§13).
    await t.db.query('UPDATE resources SET is_active = true WHERE id = $1', [resource.body.id]);
    ctx = { resourceId: resource.body.id };
    for (const scope of ALL_SCOPES) {
      const created = await createKey(org, [scope]);
      keys.set(scope, keyClient(org, created.key));
      prefixes.push(created.prefix);
    }
    const all = await createKey(org, ALL_SCOPES);
    keys.set('all', keyClient(org, all.key, 'ApiKey'));
    prefixes.push(all.prefix);
    // Each key used once, so its once-a-minute lastUsed write is behind us before any snapshot.
    for (const client of keys.values()) await client.get('/auth/me');
  });
  afterAll(async () => t?.close());

  const label = (op: Operation) => `${op.method} ${op.path}`;

  /** A fresh object for an {id} that an allowed call acts on, or a loud reason why there is none. */
  async function idFor(op: Operation): Promise<string> {
    const family = op.path.split('/')[1];
    if (family === 'resources') return ctx.resourceId;
    if (family === 'sessions') {
      // A live session of the keys' creator, started with its own access token.
      const started = await org.admin.post('/sessions', BODIES['POST /sessions'](ctx));
      if (started.status !== 201) throw new Error(`seeding a session for ${label(op)} failed: ${started.status} ${started.text}`);
      await PRECONDITIONS[label(op)]?.(t, started.body.id);
      return started.body.id;
    }
    throw new Error(`${label(op)}: allowed to a key, but this spec cannot seed its {id}; teach idFor how`);
  }

  async function allowedCall(client: ApiClient, op: Operation): Promise<ApiResponse> {
    const params = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    if (params.some((p) => p !== 'id')) throw new Error(`${label(op)}: unknown path parameter; teach this spec how to seed it`);
    const path = params.length ? op.path.replace('{id}', await idFor(op)) : op.path;
    const body = BODIES[label(op)]?.(ctx);
    return client.request(op.method, path, body);
  }

  /** Any id (the gate refuses before any lookup) and no body (before validation, §1's order). */
  const forbiddenCall = (client: ApiClient, op: Operation) =>
    client.request(
      op.method,
      op.path.replace(/\{[^}]+\}/g, () => randomUUID()),
    );

  it("documents each operation's scope as the contract sets it, and the API-key scheme exactly on those", () => {
    const problems: string[] = [];
    for (const op of operations) {
      const expected = contractScope(op.method, op.path);
      if (op.requiredScope !== expected) problems.push(`${label(op)}: x-required-scope ${op.requiredScope}, contract ${expected}`);
      const schemes = op.security.flatMap((requirement) => Object.keys(requirement)).sort();
      const wanted = expected ? ['apiKey', 'bearer'] : ['bearer'];
      if (JSON.stringify(schemes) !== JSON.stringify(wanted)) problems.push(`${label(op)}: security ${schemes}, expected ${wanted}`);
    }
    expect(problems).toEqual([]);
    expect(operations.filter((op) => op.requiredScope).map(label)).toEqual(
      expect.arrayContaining(['GET /resources', 'GET /resources/{id}', 'GET /audit-logs']),
    );
  });

  it('without any credential, every operation answers 401', async () => {
    const anonymous = new ApiClient(t.baseUrl);
    const failures: string[] = [];
    for (const op of operations) {
      const response = await forbiddenCall(anonymous, op);
      if (response.status !== 401 || response.body?.error !== 'UNAUTHORIZED')
        failures.push(`${label(op)}: ${response.status} ${response.text}`);
    }
    expect(failures).toEqual([]);
  });

  it('a key of each scope, and a key of all of them, gets 403 FORBIDDEN wherever its scope is not the one needed, and nothing changes', async () => {
    const before = await orgRows(t, org.id);
    const failures: string[] = [];
    let requests = 0;
    for (const [scope, client] of keys) {
      for (const op of operations) {
        const needed = contractScope(op.method, op.path);
        if (needed && (scope === needed || scope === 'all')) continue;
        const response = await forbiddenCall(client, op);
        requests++;
        const problems = envelopeProblems(response);
        if (response.status !== 403 || response.body?.error !== 'FORBIDDEN' || problems.length) {
          failures.push(
            `${label(op)} with ${scope}: expected 403 FORBIDDEN, got ${response.status} ${response.text} ${problems.join('; ')}`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await orgRows(t, org.id)).toEqual(before);
    // Every refusal the audit trail recorded under a key names that key.
    const { rows } = await t.db.query(`SELECT details FROM audit_logs WHERE organization_id = $1 AND actor_type = 'API_KEY'`, [org.id]);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(prefixes).toContain(row.details.apiKeyPrefix);
    console.log(`scope matrix: ${requests} refused requests over ${operations.length} operations and ${keys.size} keys`);
  });

  it('a key with the needed scope (alone, or among all) gets 2xx on exactly the operations of that scope', async () => {
    const failures: string[] = [];
    let allowed = 0;
    for (const op of operations) {
      const needed = contractScope(op.method, op.path);
      if (!needed) continue;
      for (const name of [needed, 'all']) {
        let response: ApiResponse;
        try {
          response = await allowedCall(keys.get(name)!, op);
        } catch (error) {
          failures.push(String(error));
          continue;
        }
        allowed++;
        if (response.status < 200 || response.status > 299)
          failures.push(`${label(op)} with ${name}: expected 2xx, got ${response.status} ${response.text}`);
      }
    }
    expect(failures).toEqual([]);
    expect(allowed).toBeGreaterThanOrEqual(6);
    const scoped = operations.filter((op) => contractScope(op.method, op.path));
    console.log(
      [
        `scope matrix: ${operations.length} authenticated operations swept (${scoped.length} reachable by keys: ${scoped.map(label).join(', ')});`,
        `${allowed} allowed calls, each 2xx;`,
        `${publicOperations.length} public operations not swept (no key needed): ${publicOperations.join(', ')}`,
      ].join('\n'),
    );
  });
});
