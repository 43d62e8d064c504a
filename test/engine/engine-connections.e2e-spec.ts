import { DataSource } from 'typeorm';
import { inBackgroundLane, isBackgroundLane } from '@app/common';
import { lanedPg, prepared } from '@app/database';
import { testDatabaseUrl } from '../harness/test-app';
import { EngineOrg, EngineTest, engineSuite, REGION, securityGroup, sessionOf } from './engine-harness';

describe('sessions engine: connections of its own', () => {
  let e: EngineTest;
  let org: EngineOrg;
  engineSuite({ DB_POOL_SIZE: '2', DB_BACKGROUND_POOL_SIZE: '2' }, (ready, readyOrg) => {
    e = ready;
    org = readyOrg;
  });

  it('the engine works while requests hold every request connection: background work has connections of its own', async () => {
    const sg = await securityGroup(e, org);
    const started = await org.admin.post('/sessions', { ipv4Address: '198.51.100.61', resourceIds: [sg.id] });
    expect(started.status).toBe(201);
    // DB_POOL_SIZE=2: two transactions of requests, open, hold the whole request pool.
    const dataSource = e.t.app.get(DataSource);
    const held = [dataSource.createQueryRunner(), dataSource.createQueryRunner()];
    for (const runner of held) {
      await runner.connect();
      await runner.startTransaction();
    }
    try {
      expect(await e.worker.runOnce()).toBeGreaterThan(0);
      expect(e.aws.state.group(REGION, sg.groupId)!.ingress.map((rule) => rule.cidr)).toEqual(['198.51.100.61/32']);
    } finally {
      for (const runner of held) {
        await runner.rollbackTransaction();
        await runner.release();
      }
    }
    expect((await sessionOf(org.admin, started.body.id)).status).toBe('ACTIVE');
    await org.admin.post(`/sessions/${started.body.id}/stop`);
  });
});

describe('LanedPool: a pool for requests and one for background work', () => {
  const Pool = lanedPg(1, () => false).Pool;
  let inBackground = false;
  const LanePool = lanedPg(1, () => inBackground).Pool;

  it('a statement in the background lane gets a connection while the request pool is used up, and the other way round', async () => {
    const pool = new (lanedPg(1, isBackgroundLane).Pool)({ connectionString: testDatabaseUrl(), max: 1 });
    try {
      const request = await pool.connect();
      // The request pool has one connection and it is taken; the background lane is not held up.
      expect((await inBackgroundLane(() => pool.query('SELECT 1 AS one'))).rows).toEqual([{ one: 1 }]);
      let answered = false;
      const waiting = pool.query('SELECT 2 AS two').then((result) => {
        answered = true;
        return result.rows;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(answered).toBe(false);
      request.release();
      expect(await waiting).toEqual([{ two: 2 }]);
    } finally {
      await pool.end();
    }
  });

  it('the lane is asked at each connect, and end() ends both pools, by promise or by callback', async () => {
    const laned = new LanePool({ connectionString: testDatabaseUrl(), max: 1 });
    inBackground = true;
    await laned.query('SELECT 1');
    inBackground = false;
    await laned.query('SELECT 1');
    const inner = laned as unknown as { background: { totalCount: number }; totalCount: number };
    expect([inner.totalCount, inner.background.totalCount]).toEqual([1, 1]);
    await new Promise<void>((resolve, reject) => laned.end((error?: Error) => (error ? reject(error) : resolve())));
    expect([inner.totalCount, inner.background.totalCount]).toEqual([0, 0]);
    const plain = new Pool({ connectionString: testDatabaseUrl(), max: 1 });
    await plain.query('SELECT 1');
    await plain.end();
    expect((plain as unknown as { ended: boolean }).ended).toBe(true);
  });

  it('with prepared statements on, a statement marked prepared() is prepared once per connection; others, and pools with them off, are not', async () => {
    const marked = prepared('SELECT $1::int + 1 AS next /* prepared-statements spec */');
    const on = new (lanedPg(1, () => false, true).Pool)({ connectionString: testDatabaseUrl(), max: 1 });
    const off = new (lanedPg(1, () => false, false).Pool)({ connectionString: testDatabaseUrl(), max: 1 });
    const preparedOn = async (pool: Pick<typeof on, 'query'>) =>
      (await pool.query(`SELECT statement FROM pg_prepared_statements`)).rows.map((row: { statement: string }) => row.statement);
    try {
      expect((await on.query(marked, [1])).rows).toEqual([{ next: 2 }]);
      expect((await on.query(marked, [41])).rows).toEqual([{ next: 42 }]);
      await on.query('SELECT $1::int AS unmarked', [1]);
      expect(await preparedOn(on)).toEqual([marked]);
      expect((await off.query(marked, [1])).rows).toEqual([{ next: 2 }]);
      expect(await preparedOn(off)).toEqual([]);
    } finally {
      await on.end();
      await off.end();
    }
  });
});
