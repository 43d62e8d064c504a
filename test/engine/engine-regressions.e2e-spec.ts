import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { inBackgroundLane } from '@app/common';
import { FirewallLock } from '../../libs/access/src/engine/firewall-lock';
import { pollUntil } from '../harness/poll';
import { FirewallSyncRepository } from '../../libs/access/src/engine/firewall-sync.repository';
import {
  drain,
  EngineOrg,
  EngineTest,
  engineSuite,
  expectInvariant,
  REGION,
  securityGroup,
  seenWaitingForLock,
  sessionOf,
} from './engine-harness';

/** Whether every advisory lock is let go within 2 s (an unlock runs after its caller goes on). */
function advisoryLocksLetGo(e: EngineTest): Promise<boolean> {
  return pollUntil(
    async () => (await e.t.db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows[0].n === 0,
    2_000,
  );
}

/**
 * Defects the soak found (bench/soak), each with the test that shows it fixed; and the shortcuts
 * of the engine's write paths that fixes and speed-ups brought, each with the test that holds it.
 */
describe('sessions engine: soak findings and regressions', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({}, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('soak finding 1: a session whose rule is handed over to a new holder while being removed ends (not EXPIRING forever)', async () => {
    const sg = await securityGroup(e, org);
    const first = await org.admin.post('/sessions', { ipv4Address: '198.51.100.77', resourceIds: [sg.id] });
    await drain(e);
    expect((await org.admin.post(`/sessions/${first.body.id}/stop`)).body.status).toBe('EXPIRING');
    // Before the engine removed the rule, someone needs it again: it stays, and the first session is done.
    const second = await org.admin.post('/sessions', { ipv4Address: '198.51.100.77', resourceIds: [sg.id] });
    expect(second.status).toBe(201);
    const ended = await sessionOf(org.admin, first.body.id);
    expect(ended.status).toBe('CANCELLED');
    expect(ended.resourceIps[0].status).toBe('REMOVED');
    await drain(e);
    expect((await sessionOf(org.admin, second.body.id)).status).toBe('ACTIVE');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((r) => r.cidr)).toEqual(['198.51.100.77/32']);
    await org.admin.post(`/sessions/${second.body.id}/stop`);
  });

  it('soak finding 3: a static rule created and deleted while the engine works leaves no rule open (40 rounds)', async () => {
    const sg = await securityGroup(e, org);
    e.aws.state.delayMs = 20;
    for (let round = 0; round < 40; round++) {
      const created = await org.admin.post('/static-ip-rules', {
        label: `r${round}`,
        ipAddress: `192.0.2.${round + 1}`,
        resourceIds: [sg.id],
      });
      expect(created.status).toBe(201);
      await Promise.all([e.worker.runOnce(), org.admin.delete(`/static-ip-rules/${created.body.id}`)]);
    }
    e.aws.state.delayMs = 0;
    await expectInvariant(e);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
  });

  it('a credential rotated in place is used for the removals that follow (§13); the old keys are never used again', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.88', resourceIds: [sg.id] });
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    const oldKeyId = e.aws.state.requests.filter((r) => r.action === 'AuthorizeSecurityGroupIngress').at(-1)!.accessKeyId!;
    const rotated = { accessKeyId: `AKIAROTATED${Date.now().toString().slice(-9)}`, secretAccessKey: 'rotated-secret-0001' };
    e.aws.state.addAccount(rotated.accessKeyId, { secretAccessKey: rotated.secretAccessKey, accountId: '123456789012' });
    expect((await org.admin.patch(`/credentials/${org.credentialId}`, { credentialData: rotated })).status).toBe(200);
    // The old key dies at AWS: a removal with it would fail and leave the rule open.
    e.aws.state.addAccount(oldKeyId, { ...e.aws.state.accounts.get(oldKeyId)!, status: 'Inactive' });
    const before = e.aws.state.requests.length;
    expect((await org.admin.post(`/sessions/${started.body.id}/stop`)).status).toBe(200);
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('CANCELLED');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
    const revokes = e.aws.state.requests.slice(before).filter((r) => r.action === 'RevokeSecurityGroupIngress');
    expect(revokes.map((r) => [r.accessKeyId, r.status])).toEqual([[rotated.accessKeyId, 200]]);
  });

  it('a firewall whose credential cannot be opened: its rules fail with PROVIDER_ERROR and nothing reaches the provider', async () => {
    const keys = { accessKeyId: `AKIABROKEN${Date.now().toString().slice(-10)}`, secretAccessKey: 'broken-secret-0001' };
    e.aws.state.addAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '123456789012' });
    const credential = await org.admin.post('/credentials', {
      name: `Broken ${Date.now()}`,
      provider: 'AWS',
      credentialType: 'ACCESS_KEY',
      credentialData: keys,
    });
    expect(credential.status).toBe(201);
    const sg = await securityGroup(e, org, { credentialId: credential.body.id });
    // Sealed with a key this service no longer has (the tag no longer matches).
    await e.t.db.query(`UPDATE credentials SET auth_tag = decode(repeat('00', 16), 'hex') WHERE id = $1`, [credential.body.id]);
    const before = e.aws.state.requests.length;
    const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.97', resourceIds: [sg.id] });
    expect(started.status).toBe(201);
    await drain(e);
    const failed = await sessionOf(org.admin, started.body.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.resourceIps[0]).toMatchObject({ status: 'FAILED', errorMessage: 'The credential of this resource could not be used' });
    expect(e.aws.state.requests.slice(before).filter((r) => r.accessKeyId === keys.accessKeyId)).toEqual([]);
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress).toEqual([]);
  });

  it('a database error while reading the credential is not blamed on it: the rules stay PENDING and are applied once it reads again', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.98', resourceIds: [sg.id] });
    expect(started.status).toBe(201);
    await e.t.db.query(`ALTER TABLE credentials RENAME TO credentials_away`);
    try {
      // The sync fails (the running engine logs it and goes on); nothing is recorded against the rules.
      await expect(e.worker.runOnce()).rejects.toThrow(/credentials/);
    } finally {
      await e.t.db.query(`ALTER TABLE credentials_away RENAME TO credentials`);
    }
    const waiting = await sessionOf(org.admin, started.body.id);
    expect(waiting.status).toBe('PENDING');
    expect(waiting.resourceIps[0]).toMatchObject({ status: 'PENDING', errorMessage: null });
    await drain(e);
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((rule) => rule.cidr)).toEqual(['198.51.100.98/32']);
    await org.admin.post(`/sessions/${started.body.id}/stop`);
  });

  it('a holder that takes a grant while its apply is out is applied with it, also when the outcome waits for that holder to commit', async () => {
    const sg = await securityGroup(e, org);
    const first = await org.admin.post('/sessions', { ipv4Address: '198.51.100.95', resourceIds: [sg.id] });
    // The second start holds the grant's lock a while after taking it (as a slow transaction would),
    // so that the first call's outcome has to wait for it.
    await e.t.db.query(
      `CREATE FUNCTION slow_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.6); RETURN NULL; END $$`,
    );
    await e.t.db.query(
      // A start inserts its rules already holding their grants (one statement with the grants' locks).
      `CREATE TRIGGER slow_hold AFTER INSERT OR UPDATE OF holds ON session_rules FOR EACH ROW WHEN (NEW.ip_address = '198.51.100.95' AND NEW.holds)
       EXECUTE FUNCTION slow_hold()`,
    );
    e.aws.state.delayMs = 200;
    const watching = seenWaitingForLock(e, 'engine_grants_applied');
    try {
      const [, second] = await Promise.all([
        e.worker.runOnce(),
        new Promise<{ status: number; body: { id: string } }>((resolve) =>
          setTimeout(() => resolve(org.admin.post('/sessions', { ipv4Address: '198.51.100.95', resourceIds: [sg.id] })), 50),
        ),
      ]);
      expect(second.status).toBe(201);
      // The first call's outcome did wait for the second start's lock on the grant.
      expect(await watching).toBe(true);
      await drain(e);
      expect((await sessionOf(org.admin, first.body.id)).status).toBe('ACTIVE');
      const joined = await sessionOf(org.admin, second.body.id);
      expect(joined.status).toBe('ACTIVE');
      expect(joined.resourceIps[0].status).toBe('APPLIED');
    } finally {
      e.aws.state.delayMs = 0;
      await e.t.db.query(`DROP TRIGGER slow_hold ON session_rules`);
      await e.t.db.query(`DROP FUNCTION slow_hold()`);
    }
    const live = await org.admin.get('/sessions');
    for (const session of live.body.filter((s: { status: string }) => s.status === 'ACTIVE')) {
      await org.admin.post(`/sessions/${session.id}/stop`);
    }
    await drain(e);
    await expectInvariant(e);
  });

  it('edits of one APISIX route wait for each other (each on a connection of its own, as two instances would); other routes do not wait', async () => {
    const lock = e.t.app.get(FirewallLock);
    const secret = { provider: 'APISIX', data: { adminUrl: 'http://127.0.0.1:9/', adminKey: 'k' } } as never;
    const route = (id: string) =>
      ({ provider: 'APISIX', resourceType: 'ROUTE', resourceIdentifier: id, region: null, config: {} }) as never;
    const spans: Array<{ name: string; from: number; to: number }> = [];
    const edit = (name: string, id: string, fail = false) =>
      lock.around(secret, route(id), async () => {
        const from = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 150));
        spans.push({ name, from, to: Date.now() });
        if (fail) throw new Error('the edit failed');
      });
    const results = await Promise.allSettled([edit('a1', 'route-a', true), edit('a2', 'route-a'), edit('b', 'route-b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const [a1, a2] = ['a1', 'a2'].map((name) => spans.find((span) => span.name === name)!).sort((x, y) => x.from - y.from);
    // One after the other on route-a, even though the first one failed (its lock was let go).
    expect(a2.from).toBeGreaterThanOrEqual(a1.to);
    // route-b ran beside the first edit of route-a.
    const b = spans.find((span) => span.name === 'b')!;
    expect(b.from).toBeLessThan(a1.to);
    // Each lock is let go right after its edit (without holding up the caller), also after a failed edit.
    expect(await advisoryLocksLetGo(e)).toBe(true);
  });

  it('a route lock whose unlock fails goes with its connection, which is closed, not pooled', async () => {
    const lock = e.t.app.get(FirewallLock);
    const secret = { provider: 'APISIX', data: { adminUrl: 'http://127.0.0.1:9180', adminKey: 'k' } } as never;
    const target = { provider: 'APISIX', resourceType: 'ROUTE', resourceIdentifier: 'route-unlock', region: null, config: {} } as never;
    const original = PostgresQueryRunner.prototype.query;
    let unlocks = 0;
    const unlock = jest.spyOn(PostgresQueryRunner.prototype, 'query').mockImplementation(function (this: PostgresQueryRunner, ...args) {
      if (String(args[0]).includes('pg_advisory_unlock')) {
        unlocks += 1;
        return Promise.reject(new Error('connection lost'));
      }
      return original.apply(this, args);
    });
    try {
      await inBackgroundLane(() => lock.around(secret, target, async () => 'edited'));
    } finally {
      unlock.mockRestore();
    }
    expect(unlocks).toBe(1);
    expect(await advisoryLocksLetGo(e)).toBe(true);
  });

  it('soak finding 4: a claim whose lease ran out and was taken over can neither renew nor release it', async () => {
    const sg = await securityGroup(e, org);
    await org.admin.post('/static-ip-rules', { label: 'lease', ipAddress: '192.0.2.250', resourceIds: [sg.id] });
    const repository = e.t.app.get(FirewallSyncRepository);
    const [stale] = await repository.claim(10, 30);
    expect(stale.resourceId).toBe(sg.id);
    // Its instance stalls past the lease; another instance takes the firewall.
    await e.t.db.query(`UPDATE resource_sync SET leased_until = now() - interval '1 second' WHERE resource_id = $1`, [sg.id]);
    const [fresh] = await repository.claim(10, 30);
    expect(fresh.resourceId).toBe(sg.id);
    expect(await repository.renew(stale, 30)).toBe(false);
    await repository.release(stale, null);
    const { rows } = await e.t.db.query(`SELECT leased_until FROM resource_sync WHERE resource_id = $1`, [sg.id]);
    expect(rows[0].leased_until.getTime()).toBe(fresh.leasedUntil.getTime());
    expect(await repository.renew(fresh, 30)).toBe(true);
    await repository.release(fresh, null);
    await drain(e);
    const rules = await org.admin.get('/static-ip-rules');
    await Promise.all(rules.body.map((rule: { id: string }) => org.admin.delete(`/static-ip-rules/${rule.id}`)));
  });

  describe("a sync's last write lets its claim go", () => {
    const syncRow = async (id: string) =>
      (await e.t.db.query(`SELECT leased_until, due_at, due_at <= now() AS due FROM resource_sync WHERE resource_id = $1`, [id])).rows[0];

    it('applied rules and the release in one write: nothing left due when nothing came meanwhile; due again when a start came during the call', async () => {
      const sg = await securityGroup(e, org);
      const first = await org.admin.post('/sessions', { ipv4Address: '198.51.100.93', resourceIds: [sg.id] });
      await e.worker.runOnce();
      expect((await sessionOf(org.admin, first.body.id)).status).toBe('ACTIVE');
      expect(await syncRow(sg.id)).toMatchObject({ leased_until: null, due_at: null });

      // A start while the provider call is out: its rule was not in this call, so the firewall is due again at once.
      const other = await org.admin.post('/sessions', { ipv4Address: '198.51.100.94', resourceIds: [sg.id] });
      e.aws.state.delayMs = 400;
      let third: { body: { id: string } } | undefined;
      const starting = new Promise<void>((resolve) =>
        setTimeout(() => {
          void org.admin.post('/sessions', { ipv4Address: '198.51.100.95', resourceIds: [sg.id] }).then((answer) => {
            third = answer;
            resolve();
          });
        }, 150),
      );
      await Promise.all([e.worker.runOnce(), starting]);
      e.aws.state.delayMs = 0;
      expect((await sessionOf(org.admin, other.body.id)).status).toBe('ACTIVE');
      expect((await sessionOf(org.admin, third!.body.id)).status).toBe('PENDING');
      expect(await syncRow(sg.id)).toMatchObject({ leased_until: null, due: true });
      // Due since that rule has waited (not since the call ended): claims take the longest-waiting work first.
      const [{ waiting_since: waitingSince }] = (
        await e.t.db.query(
          `SELECT min(g.next_attempt_at) AS waiting_since FROM access_grants g WHERE g.resource_id = $1 AND g.status = 'PENDING'`,
          [sg.id],
        )
      ).rows;
      expect((await syncRow(sg.id)).due_at.getTime()).toBe(waitingSince.getTime());
      await drain(e);
      expect((await sessionOf(org.admin, third!.body.id)).status).toBe('ACTIVE');
      for (const id of [first.body.id, other.body.id, third!.body.id]) await org.admin.post(`/sessions/${id}/stop`);
      await drain(e);
    });

    it("a claim comes with its firewall's work, skipping a grant another transaction holds; the firewall stays due for that one", async () => {
      const sg = await securityGroup(e, org);
      const free = await org.admin.post('/sessions', { ipv4Address: '198.51.100.101', resourceIds: [sg.id] });
      const held = await org.admin.post('/sessions', { ipv4Address: '198.51.100.102', resourceIds: [sg.id] });
      const repository = e.t.app.get(FirewallSyncRepository);
      const holder = await e.t.db.connect();
      try {
        // As a stop or a start sharing the rule would, between its lock and its commit.
        await holder.query('BEGIN');
        await holder.query(`SELECT id FROM access_grants WHERE resource_id = $1 AND cidr = '198.51.100.102/32' FOR UPDATE`, [sg.id]);
        const claims = await repository.claim(10, 30);
        const mine = claims.find((claim) => claim.resourceId === sg.id)!;
        expect(mine.work!.apply.map((grant) => grant.cidr)).toEqual(['198.51.100.101/32']);
        expect(mine.work!.remove).toEqual([]);
        await holder.query('COMMIT');
        for (const claim of claims) await repository.release(claim, null);
      } finally {
        holder.release();
      }
      expect(await syncRow(sg.id)).toMatchObject({ leased_until: null, due: true });
      await drain(e);
      expect((await sessionOf(org.admin, free.body.id)).status).toBe('ACTIVE');
      expect((await sessionOf(org.admin, held.body.id)).status).toBe('ACTIVE');
      for (const id of [free.body.id, held.body.id]) await org.admin.post(`/sessions/${id}/stop`);
      await drain(e);
    });

    it('a lease taken over during the call: the outcome is written, the other claim keeps the firewall', async () => {
      const sg = await securityGroup(e, org);
      const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.96', resourceIds: [sg.id] });
      e.aws.state.delayMs = 400;
      const stolen = new Promise<void>((resolve) =>
        setTimeout(() => {
          void e.t.db
            .query(
              `UPDATE resource_sync SET leased_until = date_trunc('milliseconds', now() + interval '1 minute') WHERE resource_id = $1`,
              [sg.id],
            )
            .then(() => resolve());
        }, 150),
      );
      await Promise.all([e.worker.runOnce(), stolen]);
      e.aws.state.delayMs = 0;
      expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
      const row = await syncRow(sg.id);
      expect(row.leased_until.getTime()).toBeGreaterThan(Date.now() + 30_000);
      await e.t.db.query(`UPDATE resource_sync SET leased_until = NULL WHERE resource_id = $1`, [sg.id]);
      await org.admin.post(`/sessions/${started.body.id}/stop`);
      await drain(e);
    });
  });
});

describe('sessions engine: soak findings, with a short lease', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({ ENGINE_LEASE_SECONDS: '2' }, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('soak finding 5: a claim renews its lease before a provider call once a third of it has run; one taken over meanwhile makes no call', async () => {
    const sg = await securityGroup(e, org);
    const first = await org.admin.post('/sessions', { ipv4Address: '198.51.100.91', resourceIds: [sg.id] });
    await drain(e);
    // Work of both kinds on one firewall: a removal (first call), then an apply (second call).
    expect((await org.admin.post(`/sessions/${first.body.id}/stop`)).status).toBe(200);
    const second = await org.admin.post('/sessions', { ipv4Address: '198.51.100.92', resourceIds: [sg.id] });
    const authorizes = () => e.aws.state.requests.filter((r) => r.action === 'AuthorizeSecurityGroupIngress').length;
    const before = authorizes();
    e.aws.state.delayMs = 900;
    // While the removal is out (longer than a third of the 2-second lease), another instance takes the firewall.
    const stolen = new Promise<void>((resolve) =>
      setTimeout(() => {
        void e.t.db
          .query(`UPDATE resource_sync SET leased_until = now() + interval '1 minute' WHERE resource_id = $1`, [sg.id])
          .then(() => resolve());
      }, 300),
    );
    await Promise.all([e.worker.runOnce(), stolen]);
    e.aws.state.delayMs = 0;
    expect(authorizes()).toBe(before);
    expect((await sessionOf(org.admin, second.body.id)).status).toBe('PENDING');
    // The other instance would finish it; here the lease is given back and this one does.
    await e.t.db.query(`UPDATE resource_sync SET leased_until = NULL, due_at = now() WHERE resource_id = $1`, [sg.id]);
    await drain(e);
    expect((await sessionOf(org.admin, second.body.id)).status).toBe('ACTIVE');
    expect((await sessionOf(org.admin, first.body.id)).status).toBe('CANCELLED');
    expect((await org.admin.post(`/sessions/${second.body.id}/stop`)).status).toBe(200);
    await drain(e);
    await expectInvariant(e);
  });
});
