import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, HTTP_STATUS_BY_CODE, OTHER_STATUSES_BY_CODE, type ErrorCode } from '../../libs/common/src/errors/error-code';

const ROOT = join(__dirname, '..', '..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
const ENVELOPE_REF = '#/components/schemas/ErrorEnvelopeDto';

interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: { allOf?: Array<{ $ref?: string; properties?: { error?: { enum?: string[] } } }> } }>;
}
interface OperationObject {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  requestBody?: unknown;
  responses: Record<string, ResponseObject>;
}
interface Operation {
  label: string;
  path: string;
  method: string;
  spec: OperationObject;
}

/** The committed document; openapi-document.e2e-spec.ts keeps it equal to the served one. */
const document = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as {
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, OperationObject>>;
};
const operations: Operation[] = Object.entries(document.paths).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method]).map((method) => ({
    label: `${method.toUpperCase()} ${path}`,
    path,
    method,
    spec: item[method],
  })),
);
const isPublic = (op: Operation) => (op.spec.security ?? document.security ?? []).length === 0;
const byId = (operationId: string) => {
  const op = operations.find((o) => o.spec.operationId === operationId);
  if (!op) throw new Error(`no operation ${operationId} in openapi.json`);
  return op;
};

/** status -> documented codes, read from allOf[{$ref ErrorEnvelopeDto}, {properties:{error:{enum}}}]. */
function documentedErrors(op: Operation): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [status, response] of Object.entries(op.spec.responses)) {
    if (!/^[45]\d\d$/.test(status)) continue;
    const allOf = response.content?.['application/json']?.schema?.allOf ?? [];
    const codes = allOf.flatMap((part) => part.properties?.error?.enum ?? []);
    out.set(Number(status), codes);
  }
  return out;
}

function spectral(): Promise<{ exitCode: number; output: string }> {
  const args = ['spectral', 'lint', 'openapi.json', '--fail-severity=warn', '--ruleset', '.spectral.yaml'];
  return new Promise((resolve) => {
    execFile(
      'npx',
      args,
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ exitCode, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

describe('openapi.json: Spectral lint and documented error codes', () => {
  it('lints clean: npx spectral lint openapi.json --fail-severity=warn --ruleset .spectral.yaml', async () => {
    const result = await spectral();
    // On failure the diff shows Spectral's own report, rule by rule.
    expect(result).toEqual({ exitCode: 0, output: expect.stringContaining("No results with a severity of 'warn' or higher found!") });
  });

  it('documents each error response as the envelope narrowed to known codes, each under its own HTTP status', () => {
    const problems: string[] = [];
    for (const op of operations) {
      for (const [status, response] of Object.entries(op.spec.responses)) {
        if (!/^[45]/.test(status)) continue;
        const allOf = response.content?.['application/json']?.schema?.allOf;
        if (!allOf || allOf[0]?.$ref !== ENVELOPE_REF) {
          problems.push(`${op.label} ${status}: schema is not allOf[{$ref ${ENVELOPE_REF}}, {properties.error.enum}]`);
          continue;
        }
        const codes = documentedErrors(op).get(Number(status)) ?? [];
        if (codes.length === 0) problems.push(`${op.label} ${status}: no error codes (error enum) documented`);
        for (const code of codes) {
          if (!(ERROR_CODES as readonly string[]).includes(code)) {
            problems.push(`${op.label} ${status}: unknown code ${code}`);
          } else if (
            HTTP_STATUS_BY_CODE[code as ErrorCode] !== Number(status) &&
            !(OTHER_STATUSES_BY_CODE[code as ErrorCode] ?? []).includes(Number(status))
          ) {
            problems.push(`${op.label} ${status}: ${code} is answered with ${HTTP_STATUS_BY_CODE[code as ErrorCode]}, not ${status}`);
          }
          // Swagger UI shows the description, not the schema's enum: it must name the codes too.
          if (!response.description?.includes(code)) {
            problems.push(`${op.label} ${status}: description ${JSON.stringify(response.description)} does not name ${code}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents 404 and 400 on every operation with an {id} path, and 401, 429, 500 on every non-public one', () => {
    const problems: string[] = [];
    for (const op of operations) {
      const statuses = [...documentedErrors(op).keys()];
      const need = [500];
      if (op.path.includes('{id}')) need.push(400, 404);
      if (!isPublic(op)) need.push(401, 429);
      for (const status of need) {
        if (!statuses.includes(status)) problems.push(`${op.label} (${op.spec.operationId}) does not document ${status}`);
      }
    }
    expect(problems).toEqual([]);
    expect(operations.filter((op) => op.path.includes('{id}')).length).toBeGreaterThanOrEqual(9);
    expect(operations.filter((op) => !isPublic(op)).length).toBeGreaterThanOrEqual(15);
  });

  it('documents, for each operation, every error code the contract says it can answer', () => {
    // decisions.md §1-§8 and the seed (Delete Credential page), operation by operation.
    const expected: Record<string, Partial<Record<number, ErrorCode[]>>> = {
      // The seed's error table, verbatim.
      deleteCredential: {
        400: ['CREDENTIAL_IN_USE', 'VALIDATION_ERROR'],
        401: ['UNAUTHORIZED'],
        403: ['FORBIDDEN'],
        404: ['CREDENTIAL_NOT_FOUND'],
        429: ['RATE_LIMIT_EXCEEDED'],
        500: ['INTERNAL_ERROR'],
      },
      register: { 409: ['ORGANIZATION_ALREADY_EXISTS'], 429: ['RATE_LIMIT_EXCEEDED'] },
      login: { 401: ['UNAUTHORIZED'], 429: ['RATE_LIMIT_EXCEEDED'] },
      refreshToken: { 401: ['UNAUTHORIZED'] },
      createCredential: { 409: ['CREDENTIAL_NAME_TAKEN'] },
      getCredential: { 404: ['CREDENTIAL_NOT_FOUND'] },
      updateCredential: { 404: ['CREDENTIAL_NOT_FOUND'], 409: ['CREDENTIAL_NAME_TAKEN'] },
      verifyCredential: { 404: ['CREDENTIAL_NOT_FOUND'] },
      migrateCredentialResources: { 404: ['CREDENTIAL_NOT_FOUND'] },
      createResource: { 404: ['CREDENTIAL_NOT_FOUND'], 409: ['RESOURCE_ALREADY_EXISTS'] },
      getResource: { 404: ['RESOURCE_NOT_FOUND'] },
      updateResource: { 404: ['RESOURCE_NOT_FOUND', 'CREDENTIAL_NOT_FOUND'], 409: ['RESOURCE_ALREADY_EXISTS'] },
      deleteResource: { 404: ['RESOURCE_NOT_FOUND'] },
      verifyResource: { 400: ['VERIFICATION_FAILED'], 404: ['RESOURCE_NOT_FOUND'] },
      listResources: { 400: ['VALIDATION_ERROR'] },
      listAuditLogs: { 400: ['VALIDATION_ERROR'] },
      healthReady: { 503: ['SERVICE_UNAVAILABLE'] },
    };
    const missing: string[] = [];
    const need = (op: Operation, status: number, code: ErrorCode) => {
      if (!(documentedErrors(op).get(status) ?? []).includes(code)) missing.push(`${op.spec.operationId} ${status} ${code}`);
    };
    for (const [operationId, table] of Object.entries(expected)) {
      const op = byId(operationId);
      for (const [status, codes] of Object.entries(table)) codes?.forEach((code) => need(op, Number(status), code));
    }
    for (const op of operations) {
      // Every operation reached the database (all but liveness) can meet an outage.
      if (op.spec.operationId !== 'healthLive') need(op, 503, 'SERVICE_UNAVAILABLE');
      need(op, 500, 'INTERNAL_ERROR');
      // Bodies: validated, size-limited, JSON only.
      if (op.spec.requestBody) {
        need(op, 400, 'VALIDATION_ERROR');
        need(op, 413, 'PAYLOAD_TOO_LARGE');
        need(op, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      // A path id that is not a UUID is 400 VALIDATION_ERROR.
      if (op.path.includes('{id}')) need(op, 400, 'VALIDATION_ERROR');
      if (!isPublic(op)) need(op, 401, 'UNAUTHORIZED');
      // Credentials, resources and audit logs are ORG_ADMIN only.
      if (/\/api\/v1\/(credentials|resources|audit-logs)/.test(op.path)) need(op, 403, 'FORBIDDEN');
    }
    expect(missing).toEqual([]);
  });
});
