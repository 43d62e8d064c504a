import { PrivatePostgres, startPrivatePostgres } from '../harness/private-postgres';
import { startTestApp } from '../harness/test-app';
import { startApisixFakeServer } from '../fakes/apisix-fake-server';
import { startAwsFakeServer } from '../fakes/aws-fake-server';
import { engineOrg, EngineOrg, EngineTest, expectInvariant, securityGroup, sessionOf, startEngineTest } from './engine-harness';

jest.setTimeout(120_000);

async function eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Faults under the engine (issue 17, item 5), with the workers running on their own (JOBS_ENABLED,
 * 1-second polls): PostgreSQL stopped and started while sessions are applied and expired, and a
 * provider down for longer than SESSION_APPLY_TIMEOUT_SECONDS.
 */
describe('sessions engine: faults', () => {
  describe('PostgreSQL stopped and started while sessions are applied and expired', () => {
    let pg: PrivatePostgres;
    let e: EngineTest;
    let org: EngineOrg;

    beforeAll(async () => {
      pg = await startPrivatePostgres();
      const aws = await startAwsFakeServer({});
      const apisix = await startApisixFakeServer({});
      const t = await startTestApp({
        DATABASE_URL: pg.url,
        AWS_ENDPOINT_URL: aws.url,
        JOBS_ENABLED: 'true',
        JOBS_POLL_SECONDS: '1',
        ENGINE_LEASE_SECONDS: '3',
      });
      t.db.on('error', () => undefined);
      e = {
        t,
        aws,
        apisix,
        worker: undefined as never,
        expiry: undefined as never,
        baseline: new Map(),
        close: async () => {
          await t.close();
          await aws.close();
          await apisix.close();
        },
      };
      org = await engineOrg(e);
    });
    afterAll(async () => {
      await e?.close();
      await pg?.destroy();
    });

    it('finishes every apply and expiry once the database is back, and leaves no rule behind', async () => {
      const groups = await Promise.all(Array.from({ length: 3 }, () => securityGroup(e, org)));
      e.aws.state.delayMs = 400;
      const started: string[] = [];
      for (let i = 0; i < 6; i++) {
        const answer = await org.admin.post('/sessions', { ipv4Address: `198.51.100.${i + 1}`, resourceIds: groups.map((g) => g.id) });
        expect(answer.status).toBe(201);
        started.push(answer.body.id as string);
      }
      // Calls are in flight: the database goes away under them.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await pg.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await org.admin.get(`/sessions/${started[0]}`)).status).toBe(503);
      await pg.start();
      e.aws.state.delayMs = 0;
      await eventually(
        async () => (await Promise.all(started.map((id) => sessionOf(org.admin, id)))).every((s) => s.status === 'ACTIVE'),
        60_000,
        'every session ACTIVE',
      );
      // Now they expire, with nobody calling, and the database goes away once more meanwhile.
      await e.t.db.query(`UPDATE sessions SET expires_at = now() WHERE id = ANY($1)`, [started]);
      await pg.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await pg.start();
      await eventually(
        async () => (await Promise.all(started.map((id) => sessionOf(org.admin, id)))).every((s) => s.status === 'EXPIRED'),
        60_000,
        'every session EXPIRED',
      );
      const { rows } = await e.t.db.query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE event_type = 'SESSION_EXPIRE' AND resource_id = ANY($1)`,
        [started],
      );
      expect(rows[0].n).toBe(started.length);
      await expectSettled(e);
    });
  });

  describe('a provider down for longer than SESSION_APPLY_TIMEOUT_SECONDS', () => {
    let e: EngineTest;
    let org: EngineOrg;

    beforeAll(async () => {
      e = await startEngineTest({ JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1', SESSION_APPLY_TIMEOUT_SECONDS: '3' });
      org = await engineOrg(e);
    });
    afterAll(async () => {
      await e?.close();
    });

    it('ends new sessions FAILED, keeps retrying removals until the provider is back, and leaves nothing open', async () => {
      const sg = await securityGroup(e, org);
      const running = await org.admin.post('/sessions', { ipv4Address: '203.0.113.40', resourceIds: [sg.id] });
      await eventually(async () => (await sessionOf(org.admin, running.body.id)).status === 'ACTIVE', 20_000, 'ACTIVE');

      e.aws.state.down = 'refuse';
      const doomed = await org.admin.post('/sessions', { ipv4Address: '203.0.113.41', resourceIds: [sg.id] });
      expect((await org.admin.post(`/sessions/${running.body.id}/stop`)).status).toBe(200);
      await eventually(async () => (await sessionOf(org.admin, doomed.body.id)).status === 'FAILED', 30_000, 'FAILED');
      const failed = await sessionOf(org.admin, doomed.body.id);
      expect(failed.resourceIps[0].errorMessage).toBeTruthy();
      // The stopped session's rule is still on the firewall, and its removal keeps being retried.
      const stuck = await sessionOf(org.admin, running.body.id);
      expect(stuck.status).toBe('EXPIRING');
      expect(stuck.resourceIps[0]).toMatchObject({ status: 'REMOVING', errorMessage: expect.any(String) });
      expect(e.aws.state.group('eu-west-1', sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['203.0.113.40/32']);

      e.aws.state.down = false;
      // Backoff may have grown to several seconds: the retry comes within it.
      await eventually(async () => (await sessionOf(org.admin, running.body.id)).status === 'CANCELLED', 40_000, 'CANCELLED');
      await expectSettled(e);
      expect(e.aws.state.group('eu-west-1', sg.groupId)!.ingress).toEqual([]);
    });
  });
});

/** The workers run on their own here: wait for them to settle, then check the invariant without driving them. */
async function expectSettled(e: EngineTest): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await e.t.db.query(
        `SELECT (SELECT count(*) FROM access_grants WHERE status IN ('PENDING', 'REMOVING'))::int AS open`,
      );
      return rows[0].open === 0;
    },
    30_000,
    'the engine to settle',
  );
  await expectInvariant({ ...e, worker: { runOnce: async () => 0 } as never });
}
