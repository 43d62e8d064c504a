import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { MAIL_QUEUE, MailService } from '@app/mail';
import { startTestApp, TestApp } from '../harness/test-app';
import { startSmtpServer, type FakeSmtpServer } from '../fakes/smtp-server';
import { inTransaction, jobsOf, uniqueQueue } from './job-helpers';

/**
 * The queue needs nothing but SQL the embedded database also speaks (FOR UPDATE SKIP LOCKED, jsonb,
 * make_interval): why it is rows in our own tables and not pg-boss. A file of its own, because
 * PGlite is one instance per process.
 */
describe('jobs and mail on embedded PGlite', () => {
  let dataDir: string;
  let smtp: FakeSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'entryguard-pglite-jobs-'));
    smtp = await startSmtpServer();
    t = await startTestApp({ DATABASE_URL: undefined, DATA_DIR: dataDir, MIGRATIONS_RUN: 'true', SMTP_URL: smtp.url });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('queues a mail in a transaction, sends it over SMTP, and records it done', async () => {
    expect(t.config.databaseUrl).toBeUndefined();
    const id = await inTransaction(t, () =>
      t.app.get(MailService).send({ to: 'someone@acme.example', subject: 'On PGlite', text: 'Embedded and delivered' }),
    );
    expect(await jobsOf(t).runOnce(MAIL_QUEUE)).toBe(1);
    const [mail] = await smtp.waitForMail(1);
    expect(mail.parsed.subject).toBe('On PGlite');
    const rows = await t.app.get(DataSource).query(`SELECT status, attempts, payload FROM jobs WHERE id = $1`, [id]);
    expect(rows).toEqual([{ status: 'DONE', attempts: 1, payload: {} }]);
  });

  it('retries and rolls back there as on PostgreSQL', async () => {
    const queue = uniqueQueue();
    jobsOf(t).process(
      queue,
      async () => {
        throw new Error('not yet');
      },
      { concurrency: 2, leaseSeconds: 30 },
    );
    await expect(
      inTransaction(t, async () => {
        await jobsOf(t).enqueue(queue, { dropped: true });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const id = await inTransaction(t, () => jobsOf(t).enqueue(queue, { kept: true }));
    expect(await jobsOf(t).runOnce(queue)).toBe(1);
    const rows = await t.app.get(DataSource).query(`SELECT id, status, attempts, last_error FROM jobs WHERE queue = $1`, [queue]);
    expect(rows).toEqual([{ id, status: 'PENDING', attempts: 1, last_error: 'not yet' }]);
  });
});
