import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';
import { startTestApp, type TestApp } from '../harness/test-app';
import type { components, operations, paths } from './generated/entryguard-api';
import { ISO_UTC } from '../harness/contract';

/**
 * The seed (Delete Credential page) run end to end through a client generated from the committed
 * openapi.json: openapi-typescript's `paths` types and openapi-fetch. Every path, parameter, body
 * and response below is checked by the compiler against the document, and every call is checked
 * at run time against the real app, so the document and the app cannot say different things.
 */

type Schemas = components['schemas'];
/** The body of one documented response: `Body<'deleteCredential', 400>`. */
type Body<Op extends keyof operations, Status extends keyof operations[Op]['responses']> = operations[Op]['responses'][Status] extends {
  content: { 'application/json': infer B };
}
  ? B
  : never;

const REGION = 'eu-west-1';
const ACCOUNT_ID = '123456789012';
const SEED_IN_USE_MESSAGE = 'Cannot delete credential linked to 3 active resources. Delete or reassign resources first.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function awsKeys() {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  return { accessKeyId: `AKIA${suffix}`, secretAccessKey: `secret-${randomUUID()}` };
}

function securityGroupId(): string {
  return `sg-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
}

/** Asserts the one error envelope (decisions §1); typed by the document's envelope schema. */
function expectEnvelope(body: Schemas['ErrorEnvelopeDto'] | undefined, code: Schemas['ErrorEnvelopeDto']['error']): void {
  expect(body?.error).toBe(code);
  expect(typeof body?.message).toBe('string');
  expect(body?.timestamp).toMatch(ISO_UTC);
  expect(Object.keys(body ?? {}).sort()).toEqual(['error', 'message', 'timestamp']);
}

describe('generated client (openapi-typescript + openapi-fetch): the seed workflow, typed by openapi.json', () => {
  let t: TestApp;
  let aws: AwsFakeServer;
  let origin: string;
  let anonymous: Client<paths>;
  let admin: Client<paths>;

  const oldKeys = awsKeys();
  const newKeys = awsKeys();
  const groups = [securityGroupId(), securityGroupId(), securityGroupId()];

  beforeAll(async () => {
    aws = await startAwsFakeServer({
      accounts: {
        [oldKeys.accessKeyId]: { secretAccessKey: oldKeys.secretAccessKey, accountId: ACCOUNT_ID },
        [newKeys.accessKeyId]: { secretAccessKey: newKeys.secretAccessKey, accountId: ACCOUNT_ID },
      },
      securityGroups: { [REGION]: groups.map((groupId) => ({ groupId })) },
    });
    t = await startTestApp({ AWS_ENDPOINT_URL: aws.url });
    // The document's paths already carry /api/v1, so the client's base is the server origin.
    origin = new URL(t.baseUrl).origin;
    anonymous = createClient<paths>({ baseUrl: origin });

    const suffix = randomUUID().slice(0, 8);
    const registerBody: Schemas['RegisterDto'] = {
      organizationName: `Generated Client ${suffix}`,
      email: `admin-${suffix}@example.test`,
      password: 'Correct horse battery 1',
      name: 'Ada Admin',
    };
    const registered = await anonymous.POST('/api/v1/auth/register', { body: registerBody });
    if (registered.response.status !== 201 || !registered.data) {
      throw new Error(`register failed: ${registered.response.status} ${JSON.stringify(registered.error)}`);
    }
    const auth: Schemas['AuthResponseDto'] = registered.data;
    expect(auth).toMatchObject({ tokenType: 'Bearer', user: { email: registerBody.email, isOrgAdmin: true } });
    admin = createClient<paths>({ baseUrl: origin, headers: { Authorization: `Bearer ${auth.accessToken}` } });
  });

  afterAll(async () => {
    await t?.close();
    await aws?.close();
  });

  it('creates, lists by credential, refuses the delete, moves, verifies, deletes and audits', async () => {
    // 1. The credential in use, with three security groups on it.
    const oldBody: Schemas['CreateCredentialDto'] = {
      name: `AWS Production ${randomUUID().slice(0, 8)}`,
      provider: 'AWS',
      credentialType: 'ACCESS_KEY',
      credentialData: oldKeys,
    };
    const created = await admin.POST('/api/v1/credentials', { body: oldBody });
    expect(created.response.status).toBe(201);
    const old: Schemas['CredentialDto'] = created.data!;
    expect(old).toMatchObject({ name: oldBody.name, provider: 'AWS', credentialType: 'ACCESS_KEY', resourceCount: 0 });
    expect(old.id).toMatch(UUID);
    expect(created.response.headers.get('location')).toBe(`/api/v1/credentials/${old.id}`);
    expect(JSON.stringify(created.data)).not.toContain(oldKeys.secretAccessKey);

    const resources: Array<Schemas['ResourceDto']> = [];
    for (const groupId of groups) {
      const body: Schemas['CreateResourceDto'] = {
        name: `SG ${groupId}`,
        credentialId: old.id,
        provider: 'AWS',
        resourceType: 'SECURITY_GROUP',
        resourceIdentifier: groupId,
        region: REGION,
        config: { protocol: 'tcp', port: 22 },
      };
      const resource = await admin.POST('/api/v1/resources', { body });
      expect(resource.response.status).toBe(201);
      expect(resource.data).toMatchObject({ credentialId: old.id, credentialName: old.name, resourceIdentifier: groupId, region: REGION });
      resources.push(resource.data!);
    }

    // 2. "Before Deleting": which resources use it (the server-side filter replaces the seed's jq).
    const linked = await admin.GET('/api/v1/resources', { params: { query: { credentialId: old.id } } });
    expect(linked.response.status).toBe(200);
    const linkedResources: Array<Schemas['ResourceDto']> = linked.data!;
    expect(linkedResources.map((r) => r.id).sort()).toEqual(resources.map((r) => r.id).sort());
    expect(linkedResources.every((r) => r.credentialId === old.id)).toBe(true);

    // 3. "Or attempt deletion": 400 CREDENTIAL_IN_USE with the seed's exact message.
    const refused = await admin.DELETE('/api/v1/credentials/{id}', { params: { path: { id: old.id } } });
    expect(refused.response.status).toBe(400);
    expect(refused.data).toBeUndefined();
    // No cast: openapi-fetch types `error` as the union of the operation's documented error bodies.
    const inUse: Schemas['ErrorEnvelopeDto'] | undefined = refused.error;
    expectEnvelope(inUse, 'CREDENTIAL_IN_USE');
    expect(inUse?.message).toBe(SEED_IN_USE_MESSAGE);

    // 4. "Migrating Resources to New Credentials": create the new credential...
    const freshBody: Schemas['CreateCredentialDto'] = {
      name: `AWS Production (New Keys) ${randomUUID().slice(0, 8)}`,
      provider: 'AWS',
      credentialType: 'ACCESS_KEY',
      credentialData: newKeys,
    };
    const freshCreated = await admin.POST('/api/v1/credentials', { body: freshBody });
    expect(freshCreated.response.status).toBe(201);
    const fresh: Schemas['CredentialDto'] = freshCreated.data!;
    expect(fresh.id).not.toBe(old.id);

    // ...update each resource to use it, and verify it still works (through the new keys).
    for (const resource of linkedResources) {
      const moveBody: Schemas['UpdateResourceDto'] = { credentialId: fresh.id };
      const moved = await admin.PATCH('/api/v1/resources/{id}', { params: { path: { id: resource.id } }, body: moveBody });
      expect(moved.response.status).toBe(200);
      expect(moved.data).toMatchObject({ id: resource.id, credentialId: fresh.id, credentialName: fresh.name });

      const verified = await admin.POST('/api/v1/resources/{id}/verify', { params: { path: { id: resource.id } } });
      expect(verified.response.status).toBe(200);
      const verifiedResource: Schemas['ResourceDto'] = verified.data!;
      expect(verifiedResource).toMatchObject({ id: resource.id, isActive: true, verificationError: null });
      expect(verifiedResource.lastVerifiedAt).toMatch(ISO_UTC);
    }
    const describes = aws.state.requests.filter((r) => r.action === 'DescribeSecurityGroups' && r.accessKeyId === newKeys.accessKeyId);
    expect(describes.filter((r) => r.status === 200)).toHaveLength(3);

    const emptied = await admin.GET('/api/v1/resources', { params: { query: { credentialId: old.id } } });
    expect(emptied.data).toEqual([]);
    const oldNow = await admin.GET('/api/v1/credentials/{id}', { params: { path: { id: old.id } } });
    expect(oldNow.data?.resourceCount).toBe(0);

    // 5. Delete the old credential: 204, no body.
    const deleted = await admin.DELETE('/api/v1/credentials/{id}', { params: { path: { id: old.id } } });
    expect(deleted.response.status).toBe(204);
    expect(deleted.error).toBeUndefined();

    const gone = await admin.GET('/api/v1/credentials/{id}', { params: { path: { id: old.id } } });
    expect(gone.response.status).toBe(404);
    const notFound: Schemas['ErrorEnvelopeDto'] | undefined = gone.error;
    expectEnvelope(notFound, 'CREDENTIAL_NOT_FOUND');
    expect(notFound?.message).toBe(`Credential with ID ${old.id} not found`);
    const freshNow = await admin.GET('/api/v1/credentials/{id}', { params: { path: { id: fresh.id } } });
    expect(freshNow.data?.resourceCount).toBe(3);

    // 6. "This operation is logged in the audit trail", and the trail outlives the credential.
    const audit = await admin.GET('/api/v1/audit-logs', { params: { query: { resourceId: old.id } } });
    expect(audit.response.status).toBe(200);
    const page: Schemas['AuditLogPageDto'] = audit.data!;
    const trail = page.content.map((row) => ({ eventType: row.eventType, result: row.result, resourceId: row.resourceId }));
    // Newest first (decisions §6).
    expect(trail).toEqual([
      { eventType: 'CREDENTIAL_DELETE', result: 'SUCCESS', resourceId: old.id },
      { eventType: 'CREDENTIAL_DELETE', result: 'FAILURE', resourceId: old.id },
      { eventType: 'CREDENTIAL_CREATE', result: 'SUCCESS', resourceId: old.id },
    ]);
    expect(page).toMatchObject({ totalElements: 3, number: 0 });
    const failure = page.content.find((row) => row.result === 'FAILURE');
    expect(failure).toMatchObject({ resourceType: 'CREDENTIAL', errorCode: 'CREDENTIAL_IN_USE', errorMessage: SEED_IN_USE_MESSAGE });
    for (const row of page.content) {
      expect(row.createdAt).toMatch(ISO_UTC);
      expect(JSON.stringify(row)).not.toContain(oldKeys.secretAccessKey);
    }
  });

  it('types error bodies with the envelope schema: 401 without a token, 400 for a non-UUID id', async () => {
    const unauthenticated = await anonymous.DELETE('/api/v1/credentials/{id}', { params: { path: { id: randomUUID() } } });
    expect(unauthenticated.response.status).toBe(401);
    expectEnvelope(unauthenticated.error, 'UNAUTHORIZED');

    const invalid = await admin.DELETE('/api/v1/credentials/{id}', { params: { path: { id: 'not-a-uuid' } } });
    expect(invalid.response.status).toBe(400);
    const validation: Schemas['ErrorEnvelopeDto'] | undefined = invalid.error;
    expect(validation?.error).toBe('VALIDATION_ERROR');
    expect(validation?.details?.length).toBeGreaterThan(0);
    expect(validation?.details?.[0]).toEqual({ field: expect.any(String), message: expect.any(String) });
  });
});

// Compile-time checks against the document (`npm run typecheck` fails if the contract moves).
type Assert<T extends true> = T;
type Extends<A, B> = [A] extends [B] ? true : false;
export type ContractChecks = [
  // The seed's error table for DELETE /credentials/{id}, status by status.
  Assert<Extends<'CREDENTIAL_IN_USE', Body<'deleteCredential', 400>['error']>>,
  Assert<Extends<'UNAUTHORIZED', Body<'deleteCredential', 401>['error']>>,
  Assert<Extends<'FORBIDDEN', Body<'deleteCredential', 403>['error']>>,
  Assert<Extends<'CREDENTIAL_NOT_FOUND', Body<'deleteCredential', 404>['error']>>,
  Assert<Extends<'RATE_LIMIT_EXCEEDED', Body<'deleteCredential', 429>['error']>>,
  Assert<Extends<'INTERNAL_ERROR', Body<'deleteCredential', 500>['error']>>,
  // 204: no body.
  Assert<Extends<operations['deleteCredential']['responses'][204]['content'], undefined>>,
  // Every error body is the envelope.
  Assert<Extends<Body<'deleteCredential', 400>, Schemas['ErrorEnvelopeDto']>>,
  Assert<Extends<Body<'verifyResource', 400>['error'], 'VALIDATION_ERROR' | 'VERIFICATION_FAILED'>>,
];
