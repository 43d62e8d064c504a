import { randomBytes } from 'node:crypto';
import { MAIL_QUEUE, MailService } from '@app/mail';
import { startTestApp, TestApp } from '../harness/test-app';
import { freePort, startSmtpServer, type FakeSmtpServer } from '../fakes/smtp-server';
import { inTransaction, jobRow, jobsOf, makeDue, waitUntil } from './job-helpers';

const FROM = 'EntryGuard Tests <no-reply@entryguard.test>';

function invitation(to: string) {
  const token = randomBytes(32).toString('base64url');
  const link = `http://localhost:3000/set-password?token=${token}`;
  return {
    token,
    link,
    message: {
      to,
      subject: 'You are invited to EntryGuard',
      text: `Set your password: ${link}`,
      html: `<p>Set your password: <a href="${link}">${link}</a></p>`,
    },
  };
}

function recipient(): string {
  return `user-${randomBytes(4).toString('hex')}@acme.example`;
}

/** Mail over real SMTP (decisions §9): the `smtp-server` package on loopback, mails read back with mailparser. */
describe('mail over SMTP', () => {
  let smtp: FakeSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpServer({ rejectRecipient: (address) => address.startsWith('nobody-') });
    t = await startTestApp({ SMTP_URL: smtp.url, MAIL_FROM: FROM });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('delivers a mail queued in a committed transaction, with subject, text and HTML', async () => {
    const to = recipient();
    const { message, link } = invitation(to);
    const id = await inTransaction(t, () => t.app.get(MailService).send(message));
    // Queued, not sent: sending is the worker's business, never the request's.
    expect(smtp.received.filter((mail) => mail.to.includes(to))).toEqual([]);

    expect(await jobsOf(t).runOnce(MAIL_QUEUE)).toBeGreaterThanOrEqual(1);
    const mail = (await smtp.waitForMail(1)).find((received) => received.to.includes(to));
    expect(mail).toBeDefined();
    expect(mail!.from).toBe('no-reply@entryguard.test');
    expect(mail!.parsed.subject).toBe(message.subject);
    expect(mail!.parsed.text?.trim()).toBe(message.text);
    expect(mail!.parsed.html).toContain(`<a href="${link}">`);
    expect(mail!.parsed.from?.value).toEqual([{ name: 'EntryGuard Tests', address: 'no-reply@entryguard.test' }]);
    expect(mail!.parsed.messageId).toBe(`<${id}@entryguard.test>`);
    // Sent, and nothing of it kept.
    expect(await jobRow(t.db, id)).toMatchObject({ status: 'DONE', attempts: 1, payload: {} });
  });

  it('queues nothing when the transaction that sent the mail rolls back', async () => {
    const to = recipient();
    let id = '';
    await expect(
      inTransaction(t, async () => {
        id = await t.app.get(MailService).send(invitation(to).message);
        throw new Error('the invitation could not be saved');
      }),
    ).rejects.toThrow('could not be saved');
    expect(await jobRow(t.db, id)).toBeUndefined();
  });

  it('stores the mail sealed: neither the link nor the address is readable in the jobs table, nor in the logs', async () => {
    const to = recipient();
    const { message, token } = invitation(to);
    const id = await inTransaction(t, () => t.app.get(MailService).send(message));
    const search = async () =>
      (await t.db.query(`SELECT count(*)::int AS n FROM jobs j WHERE j::text LIKE $1 OR j::text LIKE $2`, [`%${token}%`, `%${to}%`]))
        .rows[0].n;
    expect(await search()).toBe(0);
    const queued = await jobRow(t.db, id);
    expect(Object.keys(queued!.payload)).toEqual(['sealed']);
    expect(
      Buffer.from(
        String((queued!.payload as { sealed: string }).sealed)
          .split('.')
          .pop()!,
        'base64',
      ).toString('latin1'),
    ).not.toContain(token);

    await jobsOf(t).runOnce(MAIL_QUEUE);
    await waitUntil(async () => smtp.received.some((mail) => mail.to.includes(to)), 10_000, 'the mail');
    expect(smtp.received.find((mail) => mail.to.includes(to))!.parsed.text).toContain(token);
    expect(await search()).toBe(0);
    const logs = t.logs.join('');
    expect(logs).toContain(`mail job ${id} sent to a recipient at acme.example`);
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(to);
  });

  it('fails a mail the server refuses for good (550) at once, and keeps no address in the error', async () => {
    const to = `nobody-${randomBytes(4).toString('hex')}@acme.example`;
    const id = await inTransaction(t, () => t.app.get(MailService).send(invitation(to).message));
    await jobsOf(t).runOnce(MAIL_QUEUE);
    const row = await jobRow(t.db, id);
    expect(row).toMatchObject({ status: 'FAILED', attempts: 1, payload: {} });
    expect(row!.last_error).toMatch(/^SMTP delivery failed \(.*550.*\)$/);
    expect(row!.last_error).not.toContain(to);
  });
});

describe('mail while the SMTP server is down', () => {
  it('retries in the background with backoff and delivers once the server is up again (same port)', async () => {
    const port = await freePort();
    // Polling every second, as a deployment would (every JOBS_POLL_SECONDS).
    const t = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: FROM, JOBS_POLL_SECONDS: '1' });
    let smtp: FakeSmtpServer | undefined;
    try {
      const to = recipient();
      const { message, token } = invitation(to);
      const started = Date.now();
      const id = await inTransaction(t, () => t.app.get(MailService).send(message));
      // The caller never waits for the mail server.
      expect(Date.now() - started).toBeLessThan(1_000);
      jobsOf(t).start(MAIL_QUEUE);

      // attempts counts at claim time; the failure is recorded when the attempt ends.
      await waitUntil(async () => Boolean((await jobRow(t.db, id))?.last_error), 10_000, 'a first failed attempt');
      const failed = await jobRow(t.db, id);
      expect(failed).toMatchObject({ status: 'PENDING', attempts: 1 });
      expect(failed!.last_error).toMatch(/^SMTP delivery failed \(.*ECONNREFUSED.*\)$/);
      expect(failed!.run_at.getTime()).toBeGreaterThan(Date.now());
      expect(Object.keys(failed!.payload)).toEqual(['sealed']);

      smtp = await startSmtpServer({ port });
      const [mail] = await smtp.waitForMail(1, 20_000);
      expect(mail.to).toEqual([to]);
      expect(mail.parsed.text).toContain(token);
      await waitUntil(async () => (await jobRow(t.db, id))?.status === 'DONE', 5_000, 'the job done');
      expect(await jobRow(t.db, id)).toMatchObject({ status: 'DONE', attempts: 2, payload: {} });
      const logs = t.logs.join('');
      expect(logs).toContain(`job ${id} attempt 1/30 failed, retrying in`);
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(to);
    } finally {
      await t.close();
      await smtp?.close();
    }
  });

  it('after a failed attempt, a due retry goes out on the next round (time travel instead of waiting)', async () => {
    const port = await freePort();
    const t = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: FROM });
    let smtp: FakeSmtpServer | undefined;
    try {
      const id = await inTransaction(t, () => t.app.get(MailService).send(invitation(recipient()).message));
      await jobsOf(t).runOnce(MAIL_QUEUE);
      expect(await jobRow(t.db, id)).toMatchObject({ status: 'PENDING', attempts: 1 });
      smtp = await startSmtpServer({ port });
      await makeDue(t.db, id);
      await jobsOf(t).runOnce(MAIL_QUEUE);
      expect(await jobRow(t.db, id)).toMatchObject({ status: 'DONE', attempts: 2 });
      expect(smtp.received).toHaveLength(1);
    } finally {
      await t.close();
      await smtp?.close();
    }
  });
});
