import { randomUUID } from 'node:crypto';
import { expectError } from '../harness/api-client';
import { auditRows, awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

/** The Delete Credential page, run as written: status codes, codes, messages and behaviour. */
describe('DELETE /credentials/{id}: the seed contract', () => {
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    t = await startTestApp();
    org = await registerOrganization(t);
  });
  afterAll(async () => t.close());

  async function credentialWithResources(count: number): Promise<string> {
    const credential = await org.admin.post('/credentials', awsCredentialBody());
    expect(credential.status).toBe(201);
    for (let i = 0; i < count; i++) {
      expect((await org.admin.post('/resources', awsResourceBody(credential.body.id))).status).toBe(201);
    }
    return credential.body.id;
  }

  it('refuses with 400 CREDENTIAL_IN_USE and the exact message with the real count', async () => {
    const id = await credentialWithResources(3);
    const response = await org.admin.delete(`/credentials/${id}`);
    expectError(response, 400, 'CREDENTIAL_IN_USE');
    expect(response.body.message).toBe('Cannot delete credential linked to 3 active resources. Delete or reassign resources first.');
    expect((await org.admin.get(`/credentials/${id}`)).status).toBe(200);
  });

  it('says "1 active resource" in the singular, and counts disabled resources too', async () => {
    const id = await credentialWithResources(1);
    const [resource] = (await org.admin.get(`/resources?credentialId=${id}`)).body;
    expect((await org.admin.patch(`/resources/${resource.id}`, { isActive: false })).status).toBe(200);
    const response = await org.admin.delete(`/credentials/${id}`);
    expect(response.body.message).toBe('Cannot delete credential linked to 1 active resource. Delete or reassign resources first.');
  });

  it('answers 204 with no body, and the ciphertext is gone with the row', async () => {
    const id = await credentialWithResources(0);
    const response = await org.admin.delete(`/credentials/${id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM credentials WHERE id = $1', [id]);
    expect(rows[0].n).toBe(0);
    expectError(await org.admin.get(`/credentials/${id}`), 404, 'CREDENTIAL_NOT_FOUND');
  });

  it("answers 404 CREDENTIAL_NOT_FOUND with the exact message, the same for a random id and another organization's id", async () => {
    const other = await registerOrganization(t, 'Other');
    const foreign = (await other.admin.post('/credentials', awsCredentialBody())).body.id as string;
    const random = randomUUID();
    const a = await org.admin.delete(`/credentials/${foreign}`);
    const b = await org.admin.delete(`/credentials/${random}`);
    expectError(a, 404, 'CREDENTIAL_NOT_FOUND');
    expectError(b, 404, 'CREDENTIAL_NOT_FOUND');
    expect(a.body.message).toBe(`Credential with ID ${foreign} not found`);
    expect(b.body.message).toBe(`Credential with ID ${random} not found`);
    expect(a.text.replace(foreign, 'ID').replace(/"timestamp":"[^"]+"/, '')).toBe(
      b.text.replace(random, 'ID').replace(/"timestamp":"[^"]+"/, ''),
    );
    expect((await other.admin.get(`/credentials/${foreign}`)).status).toBe(200);
  });

  it('answers 401 without a token and 403 FORBIDDEN for a USER', async () => {
    const id = await credentialWithResources(0);
    expectError(await org.anonymous.delete(`/credentials/${id}`), 401, 'UNAUTHORIZED');
    const member = await createMember(t, org);
    expectError(await member.delete(`/credentials/${id}`), 403, 'FORBIDDEN');
    expectError(await member.delete(`/credentials/${randomUUID()}`), 403, 'FORBIDDEN');
    expect((await org.admin.get(`/credentials/${id}`)).status).toBe(200);
  });

  it("accepts the page's curl as written (Content-Type: application/json with no body)", async () => {
    const example = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const notFound = await org.admin.delete(`/credentials/${example}`, { 'content-type': 'application/json' });
    expectError(notFound, 404, 'CREDENTIAL_NOT_FOUND');
    expect(notFound.body.message).toBe('Credential with ID 7c9e6679-7425-40de-944b-e07fc1f90ae7 not found');
    const id = await credentialWithResources(0);
    const deleted = await org.admin.delete(`/credentials/${id}`, { 'content-type': 'application/json' });
    expect(deleted.status).toBe(204);
  });

  it('answers 400 VALIDATION_ERROR for an id that is not a UUID', async () => {
    const response = await org.admin.delete('/credentials/not-a-uuid');
    expectError(response, 400, 'VALIDATION_ERROR');
    expect(response.body.details).toEqual([{ field: 'id', message: 'must be a UUID' }]);
  });

  it('logs the deletion in the audit trail, keeps earlier rows, and records refusals as failures', async () => {
    const fresh = await registerOrganization(t);
    const credential = (await fresh.admin.post('/credentials', awsCredentialBody())).body;
    await fresh.admin.post('/resources', awsResourceBody(credential.id));
    const refused = await fresh.admin.delete(`/credentials/${credential.id}`);
    expect(refused.status).toBe(400);
    const [resource] = (await fresh.admin.get(`/resources?credentialId=${credential.id}`)).body;
    expect((await fresh.admin.delete(`/resources/${resource.id}`)).status).toBe(204);
    expect((await fresh.admin.delete(`/credentials/${credential.id}`)).status).toBe(204);

    const rows = (await auditRows(t, fresh.id)).filter((row) => row.resource_id === credential.id);
    expect(rows.map((row) => [row.event_type, row.result, row.error_code])).toEqual([
      ['CREDENTIAL_CREATE', 'SUCCESS', null],
      ['CREDENTIAL_DELETE', 'FAILURE', 'CREDENTIAL_IN_USE'],
      ['CREDENTIAL_DELETE', 'SUCCESS', null],
    ]);
    // The refusal's row still names the credential, though its transaction rolled back.
    expect(rows.map((row) => row.resource_name)).toEqual([credential.name, credential.name, credential.name]);
    const listed = await fresh.admin.get(`/audit-logs?resourceId=${credential.id}`);
    expect(listed.body.content.map((entry: { eventType: string }) => entry.eventType)).toEqual([
      'CREDENTIAL_DELETE',
      'CREDENTIAL_DELETE',
      'CREDENTIAL_CREATE',
    ]);
  });
});
