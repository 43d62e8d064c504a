import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { FirewallSyncWorker, SessionExpiryJob } from '@app/access';
import { ApiClient } from '../harness/api-client';
import { awsResourceBody, createMember, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';
import { ApisixFakeServer, startApisixFakeServer } from '../fakes/apisix-fake-server';
import { AwsFakeServer, startAwsFakeServer } from '../fakes/aws-fake-server';
import { diffFirewallState, expectedFirewallState, firewallState, FirewallState } from '../fakes/firewall-state';
import { pollUntil } from '../harness/poll';

export const REGION = 'eu-west-1';

export interface EngineTest {
  t: TestApp;
  aws: AwsFakeServer;
  apisix: ApisixFakeServer;
  worker: FirewallSyncWorker;
  expiry: SessionExpiryJob;
  /** Rules seeded before the test that EntryGuard must leave alone (stale addresses). */
  baseline: FirewallState;
  close(): Promise<void>;
}

export async function startEngineTest(env: Record<string, string> = {}): Promise<EngineTest> {
  const aws = await startAwsFakeServer({});
  const apisix = await startApisixFakeServer({});
  // A database of its own: the engine works every firewall of its database, and another spec's
  // firewalls live in other fakes.
  const t = await startTestAppOnOwnDatabase({ AWS_ENDPOINT_URL: aws.url, ...env }, 'entryguard_engine');
  return {
    t,
    aws,
    apisix,
    worker: t.app.get(FirewallSyncWorker),
    expiry: t.app.get(SessionExpiryJob),
    baseline: new Map(),
    async close() {
      if (process.env.ENGINE_DEBUG) console.log(t.logs.filter((line) => /"level":(40|50)/.test(line)).join('\n'));
      await t.close();
      await aws.close();
      await apisix.close();
    },
  };
}

/**
 * The usual suite: an engine test app and one organization before all tests, the invariant after
 * each, everything closed after all. `ready` hands them to the spec's variables.
 */
export function engineSuite(env: Record<string, string>, ready: (e: EngineTest, org: EngineOrg) => void): void {
  let e: EngineTest | undefined;
  beforeAll(async () => {
    e = await startEngineTest(env);
    ready(e, await engineOrg(e));
  });
  afterAll(async () => {
    await e?.close();
  });
  afterEach(async () => {
    e!.aws.state.faults.clearThrottle();
    e!.aws.state.delayMs = 0;
    await expectInvariant(e!);
  });
}

export interface EngineOrg extends TestOrganization {
  credentialId: string;
  apisixCredentialId: string;
}

/** An organization with an AWS credential the fake knows and an APISIX credential for the fake gateway. */
export async function engineOrg(e: EngineTest): Promise<EngineOrg> {
  const org = await registerOrganization(e.t, 'Engine');
  const keys = {
    accessKeyId: `AKIA${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`,
    secretAccessKey: `secret-${randomUUID()}`,
  };
  e.aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '123456789012' });
  const credential = await org.admin.post('/credentials', {
    name: uniqueName('AWS'),
    provider: 'AWS',
    credentialType: 'ACCESS_KEY',
    credentialData: keys,
  });
  expect(credential.status).toBe(201);
  const apisix = await org.admin.post('/credentials', {
    name: uniqueName('APISIX'),
    provider: 'APISIX',
    credentialType: 'ADMIN_KEY',
    credentialData: { adminUrl: e.apisix.url, adminKey: e.apisix.state.adminKey },
  });
  expect(apisix.status).toBe(201);
  return { ...org, credentialId: credential.body.id, apisixCredentialId: apisix.body.id };
}

/** A security group in the fake and its resource, active (as a verified one is). */
export async function securityGroup(
  e: EngineTest,
  org: EngineOrg,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; groupId: string }> {
  const body = awsResourceBody(org.credentialId, { region: REGION, ...overrides });
  if (overrides.inFake !== false) e.aws.state.addSecurityGroup(REGION, { groupId: body.resourceIdentifier as string });
  delete (body as Record<string, unknown>).inFake;
  const created = await org.admin.post('/resources', body);
  expect(created.status).toBe(201);
  await e.t.db.query(`UPDATE resources SET is_active = true WHERE id = $1`, [created.body.id]);
  return { id: created.body.id, groupId: body.resourceIdentifier as string };
}

/** An APISIX route in the fake and its resource, active. */
export async function apisixRoute(e: EngineTest, org: EngineOrg): Promise<{ id: string; routeId: string }> {
  const routeId = `route-${randomUUID().slice(0, 8)}`;
  e.apisix.state.setRoute(routeId, { uri: '/internal/*', upstream: { type: 'roundrobin', nodes: { '127.0.0.1:9': 1 } } });
  const created = await org.admin.post('/resources', {
    name: uniqueName('Route'),
    credentialId: org.apisixCredentialId,
    provider: 'APISIX',
    resourceType: 'ROUTE',
    resourceIdentifier: routeId,
  });
  expect(created.status).toBe(201);
  await e.t.db.query(`UPDATE resources SET is_active = true WHERE id = $1`, [created.body.id]);
  return { id: created.body.id, routeId };
}

/** A member in a role that reaches these resources. */
export async function memberWith(
  e: EngineTest,
  org: EngineOrg,
  resourceIds: string[],
  maxSessionDurationHours?: number,
): Promise<ApiClient> {
  const member = await createMember(e.t, org);
  const me = await member.get('/auth/me');
  const role = await org.admin.post('/roles', {
    name: uniqueName('Role'),
    ...(maxSessionDurationHours ? { maxSessionDurationHours } : {}),
  });
  expect(role.status).toBe(201);
  expect((await org.admin.post(`/roles/${role.body.id}/users/${me.body.id}`)).status).toBe(200);
  for (const id of resourceIds) expect((await org.admin.post(`/roles/${role.body.id}/resources/${id}`)).status).toBe(200);
  return member;
}

/** Runs the engine until no firewall has work due now (retries scheduled later are not waited for). */
export async function drain(e: EngineTest, rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const worked = await e.worker.runOnce();
    if (worked === 0) return;
  }
  throw new Error('the engine still had work after 30 rounds');
}

/** Makes every scheduled retry due now, so a test need not wait out a backoff. */
export async function retriesDueNow(e: EngineTest): Promise<void> {
  await e.t.db.query(`UPDATE access_grants SET next_attempt_at = now() WHERE status IN ('PENDING', 'REMOVING')`);
  await e.t.db.query(`UPDATE resource_sync SET due_at = now() WHERE due_at IS NOT NULL`);
}

/** What live holders need: for every grant with a holder, its resource's target and address. */
export async function neededState(e: EngineTest): Promise<FirewallState> {
  return neededStateIn(e.t.db, e.baseline);
}

export async function neededStateIn(db: Pick<Pool, 'query'>, baseline: FirewallState = new Map()): Promise<FirewallState> {
  const { rows } = await db.query(
    `SELECT r.provider, r.resource_identifier, r.region, r.config, g.cidr FROM access_grants g JOIN resources r ON r.id = g.resource_id
     WHERE EXISTS (SELECT 1 FROM session_rules s WHERE s.grant_id = g.id AND s.holds)
        OR EXISTS (SELECT 1 FROM static_ip_rule_resources t WHERE t.grant_id = g.id AND t.holds)`,
  );
  return expectedFirewallState(
    rows.map((row) => ({
      target: { provider: row.provider, resourceIdentifier: row.resource_identifier, region: row.region, config: row.config },
      cidrs: [row.cidr],
    })),
    baseline,
  );
}

/**
 * The engine's invariant: once its due work is done, the fakes hold exactly the rules that live
 * holders need (plus the baseline nobody of ours touches). No firewall left open, none missing.
 */
export async function expectInvariant(e: EngineTest): Promise<void> {
  await drain(e);
  const diff = diffFirewallState(firewallState({ aws: e.aws.state, apisix: e.apisix.state }), await neededState(e));
  expect(diff).toEqual({ missing: [], extra: [] });
}

export async function sessionOf(client: ApiClient, id: string): Promise<Record<string, any>> {
  const found = await client.get(`/sessions/${id}`);
  expect(found.status).toBe(200);
  return found.body;
}

/** Whether, within `ms`, a statement containing `fragment` (an outcome function, say) was seen waiting for a row lock. */
export function seenWaitingForLock(e: EngineTest, fragment: string, ms = 3_000): Promise<boolean> {
  return pollUntil(async () => {
    const { rows } = await e.t.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
      [fragment],
    );
    return rows[0].n > 0;
  }, ms);
}
