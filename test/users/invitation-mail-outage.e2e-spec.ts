import { registerOrganization } from '../harness/factories';
import { startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';
import { freePort, startSmtpServer, type FakeSmtpServer } from '../fakes/smtp-server';
import { APP_URL, GOOD_PASSWORD, mailsTo, tokenOf, uniqueEmail } from './users-harness';

jest.setTimeout(60_000);

/** Issue 13: a mail server that is down at first never fails or delays an invitation, and the mail arrives later. */
describe('an invitation while the mail server is down', () => {
  let t: TestApp;
  let smtp: FakeSmtpServer | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort(); // nothing listens here yet
    t = await startTestAppOnOwnDatabase(
      { SMTP_URL: `smtp://127.0.0.1:${port}`, APP_URL, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1' },
      'entryguard_users',
    );
  });
  afterAll(async () => {
    await t.close();
    await smtp?.close();
  });

  it('is 201 at once; the mail is retried and arrives after the server comes up, and its link works', async () => {
    const org = await registerOrganization(t, 'Mail Outage');
    const email = uniqueEmail('outage');
    const created = await org.admin.post('/users', { email });
    expect(created.status).toBe(201);

    // The worker tried and failed: the job waits for its retry, nothing is lost.
    const attempted = async () =>
      (await t.db.query(`SELECT status, attempts FROM jobs WHERE queue = 'mail' ORDER BY created_at DESC LIMIT 1`)).rows[0];
    for (let i = 0; i < 50 && (await attempted())?.attempts < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await attempted()).toMatchObject({ status: 'PENDING', attempts: 1 });

    smtp = await startSmtpServer({ port });
    // Skip the backoff's wait rather than sleep through it.
    await t.db.query(`UPDATE jobs SET run_at = now() WHERE queue = 'mail' AND status = 'PENDING'`);
    const [mail] = await mailsTo(smtp, email);
    const accepted = await org.anonymous.post('/auth/set-password', { inviteToken: tokenOf(mail), password: GOOD_PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.body.user.email).toBe(email);
  });
});
