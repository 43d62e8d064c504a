import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../harness/api-client';
import { startTestApp, TestApp } from '../harness/test-app';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
const PUBLIC_PATHS = [
  /\/auth\/register$/,
  /\/auth\/login$/,
  /\/auth\/refresh$/,
  /\/auth\/logout$/,
  /\/auth\/verify-mfa$/,
  /\/auth\/(set-password|forgot-password|reset-password|change-expired-password)$/,
  /\/health\/[^/]+$/,
  /\/detect-ip$/,
];
const ENVELOPE_REF = '#/components/schemas/ErrorEnvelopeDto';
const COMMITTED = join(__dirname, '..', '..', 'openapi.json');

interface Operation {
  method: string;
  path: string;
  spec: {
    operationId?: string;
    security?: Array<Record<string, string[]>>;
    responses?: Record<string, { content?: Record<string, { schema?: unknown }>; $ref?: string }>;
    parameters?: Array<{ in: string; name: string }>;
    requestBody?: unknown;
  };
}

/** Every `$ref` anywhere under a schema (allOf, oneOf, items, ...). */
function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    node.forEach((item) => refsIn(item, out));
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        out.push(value);
      } else {
        refsIn(value, out);
      }
    }
  }
  return out;
}

/** The OpenAPI document the app serves, decisions §8. */
describe('OpenAPI document at /api/docs-json', () => {
  let t: TestApp;
  let origin: ApiClient;
  let document: any;
  let operations: Operation[];

  beforeAll(async () => {
    t = await startTestApp();
    origin = new ApiClient(t.baseUrl.replace(/\/api\/v1$/, ''));
    const response = await origin.get('/api/docs-json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    document = response.body;
    operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      METHODS.filter((method) => (item as Record<string, unknown>)[method]).map((method) => ({
        method,
        path,
        spec: (item as Record<string, Operation['spec']>)[method],
      })),
    );
  });
  afterAll(async () => t.close());

  const isPublic = (op: Operation) => PUBLIC_PATHS.some((pattern) => pattern.test(op.path));
  const label = (op: Operation) => `${op.method.toUpperCase()} ${op.path}`;

  it('is an OpenAPI 3 document that lists the service routes under /api/v1', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const labels = operations.map(label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/login',
        'GET /api/v1/auth/me',
        'GET /api/v1/credentials',
        'DELETE /api/v1/credentials/{id}',
        'GET /api/v1/resources',
        'GET /api/v1/audit-logs',
        'GET /api/v1/health/live',
        'GET /api/v1/health/ready',
      ]),
    );
    expect(document.components?.securitySchemes).toEqual(
      expect.objectContaining({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) }),
    );
  });

  it("gives every operation a unique operationId, including the contract's own names", () => {
    expect(operations.filter((op) => !op.spec.operationId).map(label)).toEqual([]);
    const ids = operations.map((op) => op.spec.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    // Stable, client-friendly names (camelCase, no controller prefix).
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id ?? ''))).toEqual([]);
    expect(ids).toEqual(
      expect.arrayContaining(['deleteCredential', 'createCredential', 'listCredentials', 'login', 'register', 'getCurrentUser']),
    );
  });

  it('requires bearer security on every non-public operation, and none on the public ones', () => {
    const bearer = (op: Operation) =>
      (op.spec.security ?? document.security ?? []).some((req: Record<string, string[]>) => 'bearer' in req);
    expect(operations.filter((op) => !isPublic(op) && !bearer(op)).map(label)).toEqual([]);
    expect(operations.filter((op) => isPublic(op) && bearer(op)).map(label)).toEqual([]);
  });

  it('documents error responses on every operation, each with the error envelope schema', () => {
    const missing: string[] = [];
    const withoutEnvelope: string[] = [];
    for (const op of operations) {
      const errors = Object.entries(op.spec.responses ?? {}).filter(([status]) => /^[45]\d\d$|^[45]XX$/.test(status));
      if (errors.length === 0) {
        missing.push(label(op));
      }
      for (const [status, response] of errors) {
        const schema = response.content?.['application/json']?.schema;
        if (!refsIn(schema).includes(ENVELOPE_REF)) {
          withoutEnvelope.push(`${label(op)} ${status}`);
        }
      }
    }
    expect({ missing, withoutEnvelope }).toEqual({ missing: [], withoutEnvelope: [] });
    expect(document.components.schemas.ErrorEnvelopeDto).toMatchObject({
      required: expect.arrayContaining(['error', 'message', 'timestamp']),
    });
  });

  it('documents 401 on every non-public operation, 403 on the ORG_ADMIN ones, and 400 wherever a path id or a body is validated', () => {
    const problems: string[] = [];
    for (const op of operations) {
      const statuses = Object.keys(op.spec.responses ?? {});
      if (!isPublic(op) && !statuses.includes('401')) {
        problems.push(`${label(op)} lacks 401`);
      }
      if (/\/(credentials|resources|audit-logs)/.test(op.path) && !statuses.includes('403')) {
        problems.push(`${label(op)} lacks 403`);
      }
      const validates = op.spec.requestBody || (op.spec.parameters ?? []).some((p) => p.in === 'path');
      if (validates && !statuses.includes('400')) {
        problems.push(`${label(op)} lacks 400`);
      }
      if (!statuses.includes('500')) {
        problems.push(`${label(op)} lacks 500`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('serves Swagger UI as HTML at /api/docs', async () => {
    const response = await origin.get('/api/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.text).toMatch(/swagger-ui/i);
  });

  it('matches the committed openapi.json at the repository root', () => {
    if (!existsSync(COMMITTED)) {
      throw new Error(`openapi.json is missing at ${COMMITTED}: run \`npm run openapi\` and commit the file`);
    }
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    try {
      expect(committed).toEqual(document);
    } catch (error) {
      throw new Error(`openapi.json differs from the served document: run \`npm run openapi\` and commit the result.\n${String(error)}`);
    }
  });
});
