import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { awsCredentialBody, awsResourceBody, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';
import { startIsolatedApp, uniqueAccessKeyId, uniqueGroupId, waitFor } from './isolated-app';

jest.setTimeout(60_000);

const REGION = 'eu-west-1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Review findings 3 (stale verdicts) and 4 (one organization starving the others), each named after it. */
describe('verification: review findings 3 and 4', () => {
  let aws: AwsFakeServer;

  beforeAll(async () => {
    aws = await startAwsFakeServer();
  });
  afterAll(async () => aws.close());

  function knownKeys() {
    const keys = { accessKeyId: uniqueAccessKeyId(), secretAccessKey: `rf-secret-${randomUUID()}` };
    aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '210987654321' });
    return keys;
  }
  const unknownKeys = () => ({ accessKeyId: uniqueAccessKeyId(), secretAccessKey: `rf-unknown-${randomUUID()}` });

  describe('finding 3: a verdict is saved only if what it checked is unchanged', () => {
    let t: TestApp;
    let org: TestOrganization;
    beforeAll(async () => {
      t = await startTestApp({ AWS_ENDPOINT_URL: aws.url });
      org = await registerOrganization(t, 'Stale Verdict');
    });
    afterAll(async () => t.close());
    afterEach(() => {
      aws.state.delayMs = 0;
    });

    it('keys rotated during POST /credentials/{id}/verify: the old keys\u2019 "valid" is not saved over the reset', async () => {
      const credential = (
        await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('Rotating'), credentialData: knownKeys() }))
      ).body;
      aws.state.delayMs = 600;
      const verifying = org.admin.post(`/credentials/${credential.id}/verify`);
      await sleep(150);
      const rotated = await org.admin.patch(`/credentials/${credential.id}`, { credentialData: unknownKeys() });
      expect(rotated.status).toBe(200);
      const answer = await verifying;
      expect(answer.status).toBe(200);
      // The answer and the row speak of the keys now stored (unknown to AWS), never of the old valid ones.
      expect(answer.body.isValid).toBe(false);
      const row = (await t.db.query('SELECT is_valid, verification_error FROM credentials WHERE id = $1', [credential.id])).rows[0];
      expect(row.is_valid).toBe(false);
      expect(row.verification_error).toMatch(/AWS refused the keys/);
    });

    it('resource moved to another credential during POST /resources/{id}/verify: the old credential\u2019s verdict is not saved', async () => {
      const good = (await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('Good'), credentialData: knownKeys() })))
        .body;
      const dead = (await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('Dead'), credentialData: unknownKeys() })))
        .body;
      const body = awsResourceBody(good.id, { region: REGION, resourceIdentifier: uniqueGroupId() });
      aws.state.addSecurityGroup(REGION, { groupId: body.resourceIdentifier });
      const resource = (await org.admin.post('/resources', body)).body;
      aws.state.delayMs = 600;
      const verifying = org.admin.post(`/resources/${resource.id}/verify`);
      await sleep(150);
      expect((await org.admin.patch(`/resources/${resource.id}`, { credentialId: dead.id })).status).toBe(200);
      const answer = await verifying;
      expect(answer.status).toBe(400); // checked again with the credential it now uses, whose keys AWS refuses
      const row = (await t.db.query('SELECT is_active, credential_id FROM resources WHERE id = $1', [resource.id])).rows[0];
      expect(row).toEqual({ is_active: false, credential_id: dead.id });
    });

    it('migrate-resources resets the moved resources\u2019 verification, as PATCH does', async () => {
      const from = (await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('From'), credentialData: knownKeys() })))
        .body;
      const to = (await org.admin.post('/credentials', awsCredentialBody({ name: uniqueName('To'), credentialData: knownKeys() }))).body;
      const body = awsResourceBody(from.id, { region: REGION, resourceIdentifier: uniqueGroupId() });
      aws.state.addSecurityGroup(REGION, { groupId: body.resourceIdentifier });
      const resource = (await org.admin.post('/resources', body)).body;
      expect((await org.admin.post(`/resources/${resource.id}/verify`)).status).toBe(200);
      await t.db.query(`UPDATE resources SET verify_due_at = now() + interval '1 hour' WHERE id = $1`, [resource.id]);
      expect((await org.admin.post(`/credentials/${from.id}/migrate-resources`, { targetCredentialId: to.id })).status).toBe(200);
      const row = (await t.db.query('SELECT last_verified_at, verify_due_at <= now() AS due FROM resources WHERE id = $1', [resource.id]))
        .rows[0];
      expect(row).toEqual({ last_verified_at: null, due: true });
    });
  });

  describe("finding 4: one organization's dead endpoints delay another's verification by at most one round", () => {
    let hanging: Server;
    const sockets: Socket[] = [];
    let connections = 0;

    beforeAll(async () => {
      // An APISIX "gateway" on loopback that accepts connections and never answers.
      hanging = createServer((socket) => {
        connections++;
        sockets.push(socket);
      });
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => hanging.close(resolve));
    });

    it('12 credentials of one organization that never answer do not hold up another organization\u2019s', async () => {
      const env = { AWS_ENDPOINT_URL: aws.url, PROVIDER_TIMEOUT_MS: '3000' };
      const setup = await startIsolatedApp(env);
      const databaseUrl = setup.config.databaseUrl!;
      const slow = await registerOrganization(setup, 'Dead Endpoints');
      const quick = await registerOrganization(setup, 'Healthy');
      const { port } = hanging.address() as { port: number };
      for (let i = 0; i < 12; i++) {
        const created = await slow.admin.post('/credentials', {
          name: uniqueName('Dead gateway'),
          provider: 'APISIX',
          credentialType: 'ADMIN_KEY',
          credentialData: { adminUrl: `http://127.0.0.1:${port}`, adminKey: `dead-gateway-admin-key-${i}-000000` },
        });
        expect(created.status).toBe(201);
      }
      const healthy = (
        await quick.admin.post('/credentials', awsCredentialBody({ name: uniqueName('Healthy'), credentialData: knownKeys() }))
      ).body;
      // Every dead one falls due before the healthy one, which is also written last (claims return rows in table order).
      await setup.db.query(`UPDATE credentials SET verify_due_at = now() - interval '1 hour' WHERE organization_id = $1`, [slow.id]);
      await setup.db.query(`UPDATE credentials SET verify_due_at = now() - interval '30 minutes' WHERE id = $1`, [healthy.id]);

      // The same database, now with the background job running.
      const worker = await startTestApp({ ...env, DATABASE_URL: databaseUrl, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1' });
      try {
        const verified = await waitFor(async () => {
          const row = (await worker.db.query('SELECT is_valid FROM credentials WHERE id = $1', [healthy.id])).rows[0];
          return row.is_valid === null ? undefined : { row, connectionsSoFar: connections };
        }, 20_000);
        expect(verified?.row.is_valid).toBe(true);
        // Verified in the first round, beside at most 5 of the dead organization's calls; with the
        // old sequential batch of 20 it waited behind all 12 (12 timeouts).
        expect(verified?.connectionsSoFar).toBeLessThanOrEqual(5);
      } finally {
        await worker.close();
        await setup.close();
      }
    });
  });
});
