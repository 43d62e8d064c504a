import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { ApiClient } from '../harness/api-client';
import { ServiceProcess } from '../harness/service-process';
import { createFreshDatabase, dropDatabase } from '../harness/test-database';
import { AwsFakeServer, startAwsFakeServer } from '../fakes/aws-fake-server';
import { diffFirewallState, firewallState } from '../fakes/firewall-state';
import { neededStateIn, REGION } from './engine-harness';

jest.setTimeout(240_000);

const ENGINE_ENV = { JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1', ENGINE_LEASE_SECONDS: '4' };

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Real instances on one database (§13 "Scale out"): an instance killed with SIGKILL in the middle
 * of a provider call is replaced by another within the lease, and two instances starting and
 * stopping sessions at once apply no rule twice and leave none behind.
 */
describe('sessions engine: several instances', () => {
  let database: { name: string; url: string };
  let db: Pool;
  let aws: AwsFakeServer;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createFreshDatabase('entryguard_engine_multi');
    db = new Pool({ connectionString: database.url, max: 3 });
    aws = await startAwsFakeServer({});
  });
  afterAll(async () => {
    await Promise.all(running.map((service) => service.kill()));
    await db?.end();
    await aws?.close();
    if (database) await dropDatabase(database.name);
  });

  async function instance(): Promise<ServiceProcess> {
    const service = await ServiceProcess.start({ ...ENGINE_ENV, DATABASE_URL: database.url, AWS_ENDPOINT_URL: aws.url });
    running.push(service);
    return service;
  }

  /** An organization with `count` security groups, through the given instance. */
  async function organization(base: string, count: number): Promise<{ admin: ApiClient; resources: string[] }> {
    const anonymous = new ApiClient(base);
    const registered = await anonymous.post('/auth/register', {
      organizationName: `Multi ${randomUUID().slice(0, 6)}`,
      email: `admin-${randomUUID().slice(0, 6)}@example.test`,
      password: 'Correct horse battery 1',
      name: 'Ada',
    });
    expect(registered.status).toBe(201);
    const admin = anonymous.as(registered.body.accessToken);
    const keys = { accessKeyId: `AKIA${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`, secretAccessKey: `s-${randomUUID()}` };
    aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '123456789012' });
    const credential = await admin.post('/credentials', {
      name: `AWS ${randomUUID()}`,
      provider: 'AWS',
      credentialType: 'ACCESS_KEY',
      credentialData: keys,
    });
    expect(credential.status).toBe(201);
    const resources: string[] = [];
    for (let i = 0; i < count; i++) {
      const groupId = `sg-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
      aws.state.addSecurityGroup(REGION, { groupId });
      const created = await admin.post('/resources', {
        name: `SG ${i} ${randomUUID().slice(0, 6)}`,
        credentialId: credential.body.id,
        provider: 'AWS',
        resourceType: 'SECURITY_GROUP',
        resourceIdentifier: groupId,
        region: REGION,
        config: { protocol: 'tcp', port: 22 },
      });
      expect(created.status).toBe(201);
      resources.push(created.body.id);
    }
    await db.query(`UPDATE resources SET is_active = true WHERE id = ANY($1)`, [resources]);
    return { admin, resources };
  }

  /** Waits until no work is left (nothing pending or being removed), then checks the invariant. */
  async function expectSettledInvariant(timeoutMs = 40_000): Promise<void> {
    await eventually(
      async () => {
        const { rows } = await db.query(
          `SELECT (SELECT count(*) FROM access_grants WHERE status IN ('PENDING', 'REMOVING'))::int
                + (SELECT count(*) FROM sessions WHERE status IN ('PENDING', 'EXPIRING'))::int AS open`,
        );
        return rows[0].open === 0 ? true : undefined;
      },
      timeoutMs,
      'the engine to settle',
    );
    const diff = diffFirewallState(firewallState({ aws: aws.state }), await neededStateIn(db));
    expect(diff).toEqual({ missing: [], extra: [] });
  }

  it('an instance killed with SIGKILL mid-call is replaced: another finishes the apply after the lease', async () => {
    const first = await instance();
    const { admin, resources } = await organization(first.baseUrl, 1);
    aws.state.delayMs = 2_500;
    const before = aws.state.faults.callCount('AuthorizeSecurityGroupIngress');
    const started = await admin.post('/sessions', { ipv4Address: '203.0.113.90', resourceIds: resources });
    expect(started.status).toBe(201);
    await eventually(
      async () => (aws.state.faults.callCount('AuthorizeSecurityGroupIngress') > before ? true : undefined),
      10_000,
      'the call',
    );
    await first.kill();
    const second = await instance();
    aws.state.delayMs = 0;
    const adminOnSecond = new ApiClient(second.baseUrl).as(admin.token as string);
    const active = await eventually(
      async () => {
        const found = await adminOnSecond.get(`/sessions/${started.body.id}`);
        return found.body.status === 'ACTIVE' ? found.body : undefined;
      },
      30_000,
      'ACTIVE on the second instance',
    );
    expect(active.resourceIps[0].status).toBe('APPLIED');
    expect(second.output).not.toMatch(/"level":50/);
    expect((await adminOnSecond.post(`/sessions/${started.body.id}/stop`)).status).toBe(200);
    await expectSettledInvariant();
  });

  it('two instances start and stop sessions at once: no rule applied twice, none left behind', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    const { admin, resources } = await organization(a.baseUrl, 4);
    const token = admin.token as string;
    const onA = new ApiClient(a.baseUrl).as(token);
    const onB = new ApiClient(b.baseUrl).as(token);
    aws.state.delayMs = 30;
    const duplicatesBefore = aws.state.requests.filter((r) => r.errorCode === 'InvalidPermission.Duplicate').length;
    // 24 sessions over 6 addresses (so rules are shared), started half on each instance.
    const started = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? onA : onB).post('/sessions', { ipv4Address: `198.51.100.${10 + (i % 6)}`, resourceIds: resources }),
      ),
    );
    expect(started.map((s) => s.status)).toEqual(Array(24).fill(201));
    // Stop every other one, on the instance that did not start it, while the engine is applying.
    await Promise.all(started.filter((_, i) => i % 2 === 0).map((s, i) => (i % 2 ? onB : onA).post(`/sessions/${s.body.id}/stop`)));
    await expectSettledInvariant();
    const duplicates = aws.state.requests.filter((r) => r.errorCode === 'InvalidPermission.Duplicate').length - duplicatesBefore;
    expect(duplicates).toBe(0);
    // Then stop the rest: every rule goes.
    await Promise.all(started.filter((_, i) => i % 2 === 1).map((s) => onB.post(`/sessions/${s.body.id}/stop`)));
    await expectSettledInvariant();
    expect(firewallState({ aws: aws.state }).size).toBe(0);
    aws.state.delayMs = 0;
  });
});
