import { auditRows, awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

const ROUNDS = 25;

/** Check-then-delete under concurrency: the row lock and the foreign key keep it honest. */
describe('credential delete races', () => {
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_SIZE: '20' });
    org = await registerOrganization(t);
  });
  afterAll(async () => t.close());

  it(`"create a resource on C" against "delete C", ${ROUNDS} rounds: no orphan, no 500, outcomes consistent`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const credential = (await org.admin.post('/credentials', awsCredentialBody())).body;
      const creates = Array.from({ length: 4 }, () => org.admin.post('/resources', awsResourceBody(credential.id)));
      const deletes = Array.from({ length: 2 }, () => org.admin.delete(`/credentials/${credential.id}`));
      const [created, deleted] = await Promise.all([Promise.all(creates), Promise.all(deletes)]);

      for (const response of created) {
        expect([201, 404]).toContain(response.status);
        if (response.status === 404) expect(response.body.error).toBe('CREDENTIAL_NOT_FOUND');
      }
      for (const response of deleted) {
        expect([204, 400, 404]).toContain(response.status);
        if (response.status === 400) expect(response.body.error).toBe('CREDENTIAL_IN_USE');
        if (response.status === 404) expect(response.body.error).toBe('CREDENTIAL_NOT_FOUND');
      }
      const successes = deleted.filter((r) => r.status === 204).length;
      const createdCount = created.filter((r) => r.status === 201).length;
      expect(successes).toBeLessThanOrEqual(1);
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM resources WHERE credential_id = $1', [credential.id]);
      if (successes === 1) {
        // Deleted first: every create after it was refused, and nothing points at the gone row.
        expect(createdCount).toBe(0);
        expect(rows[0].n).toBe(0);
      } else {
        expect(rows[0].n).toBe(createdCount);
        for (const refusal of deleted.filter((r) => r.status === 400)) {
          expect(refusal.body.message).toMatch(
            /^Cannot delete credential linked to \d+ active resources?\. Delete or reassign resources first\.$/,
          );
        }
      }
    }
    const orphans = await t.db.query(
      `SELECT count(*)::int AS n FROM resources r LEFT JOIN credentials c ON c.id = r.credential_id AND c.organization_id = r.organization_id WHERE c.id IS NULL`,
    );
    expect(orphans.rows[0].n).toBe(0);
  });

  it(`concurrent deletes of one unused credential, ${ROUNDS} rounds: exactly one 204 and one audit row`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const credential = (await org.admin.post('/credentials', awsCredentialBody())).body;
      const responses = await Promise.all(Array.from({ length: 5 }, () => org.admin.delete(`/credentials/${credential.id}`)));
      expect(responses.filter((r) => r.status === 204)).toHaveLength(1);
      expect(responses.filter((r) => r.status !== 204).every((r) => r.status === 404 && r.body.error === 'CREDENTIAL_NOT_FOUND')).toBe(
        true,
      );
      const rows = (await auditRows(t, org.id)).filter(
        (row) => row.resource_id === credential.id && row.event_type === 'CREDENTIAL_DELETE',
      );
      expect(rows.filter((row) => row.result === 'SUCCESS')).toHaveLength(1);
      expect(rows.filter((row) => row.result === 'FAILURE')).toHaveLength(4);
    }
  });

  it(`"move a resource onto C" against "delete C": the move or the delete wins, never both`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const home = (await org.admin.post('/credentials', awsCredentialBody())).body;
      const target = (await org.admin.post('/credentials', awsCredentialBody())).body;
      const resource = (await org.admin.post('/resources', awsResourceBody(home.id))).body;
      const [moved, deleted] = await Promise.all([
        org.admin.patch(`/resources/${resource.id}`, { credentialId: target.id }),
        org.admin.delete(`/credentials/${target.id}`),
      ]);
      expect([200, 404]).toContain(moved.status);
      expect([204, 400]).toContain(deleted.status);
      expect(moved.status === 200 && deleted.status === 204).toBe(false);
      const { rows } = await t.db.query('SELECT credential_id FROM resources WHERE id = $1', [resource.id]);
      expect(rows[0].credential_id).toBe(moved.status === 200 ? target.id : home.id);
    }
  });
});
