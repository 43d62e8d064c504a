import { randomUUID } from 'node:crypto';
import { ApiClient } from '../harness/api-client';
import { TestOrganization } from '../harness/factories';
import { startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';
import { ReceivedMail, startSmtpServer, type FakeSmtpServer } from '../fakes/smtp-server';

export const APP_URL = 'http://app.entryguard.test';

/** What every user in the API looks like (§9). */
export const USER_KEYS = [
  'createdAt',
  'email',
  'id',
  'invitationPending',
  'isActive',
  'isOrgAdmin',
  'lastLoginAt',
  'mfaEnabled',
  'name',
  'roleNames',
  'updatedAt',
];

/** A password every default policy accepts (upper, lower, digit, 8+). */
export const GOOD_PASSWORD = 'Invited member 1';

export interface UsersTestApp {
  t: TestApp;
  smtp: FakeSmtpServer;
  close(): Promise<void>;
}

/**
 * The app on a database of its own, sending mail to a real SMTP server on loopback (jobs on, polled
 * each second). Its own database, because mail jobs in the shared one would be claimed (and sent
 * elsewhere) by other specs' workers, and theirs by ours.
 */
export async function startUsersApp(env: Record<string, string | undefined> = {}): Promise<UsersTestApp> {
  const smtp = await startSmtpServer();
  let t: TestApp;
  try {
    t = await startTestAppOnOwnDatabase(
      { SMTP_URL: smtp.url, APP_URL, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', ...env },
      'entryguard_users',
    );
  } catch (error) {
    await smtp.close();
    throw error;
  }
  return {
    t,
    smtp,
    async close() {
      await t.close();
      await smtp.close();
    },
  };
}

export function uniqueEmail(prefix = 'invitee'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
}

/** The mails to one address, once there are at least `count` of them. */
export async function mailsTo(smtp: FakeSmtpServer, address: string, count = 1, timeoutMs = 15_000): Promise<ReceivedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = smtp.received.filter((mail) => mail.to.includes(address));
    if (mails.length >= count) {
      return mails;
    }
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} mail(s) to ${address} within ${timeoutMs} ms, got ${mails.length}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The token of the set-password link in a mail's plain text. */
export function tokenOf(mail: ReceivedMail): string {
  const match = new RegExp(`${APP_URL.replace(/\./g, '\\.')}/set-password\\?token=([A-Za-z0-9_-]+)`).exec(mail.parsed.text ?? '');
  if (!match) {
    throw new Error(`no set-password link in: ${mail.parsed.text}`);
  }
  return match[1];
}

/** Invites `email` as the organization's admin and returns the new user and the token of its mail. */
export async function invite(
  smtp: FakeSmtpServer,
  org: TestOrganization,
  body: { email?: string; name?: string; isOrgAdmin?: boolean } = {},
): Promise<{ user: Record<string, any>; token: string; email: string }> {
  const email = body.email ?? uniqueEmail();
  const created = await org.admin.post('/users', { ...body, email });
  if (created.status !== 201) {
    throw new Error(`invite failed: ${created.status} ${created.text}`);
  }
  const [mail] = await mailsTo(smtp, email.toLowerCase());
  return { user: created.body, token: tokenOf(mail), email: email.toLowerCase() };
}

/** A member who joined through an invitation, signed in. */
export async function joinedMember(
  smtp: FakeSmtpServer,
  org: TestOrganization,
  body: { name?: string; isOrgAdmin?: boolean } = {},
): Promise<{ id: string; email: string; client: ApiClient; refreshToken: string }> {
  const { user, token, email } = await invite(smtp, org, body);
  const accepted = await org.anonymous.post('/auth/set-password', { inviteToken: token, password: GOOD_PASSWORD });
  if (accepted.status !== 200) {
    throw new Error(`set-password failed: ${accepted.status} ${accepted.text}`);
  }
  return { id: user.id, email, client: org.anonymous.as(accepted.body.accessToken), refreshToken: accepted.body.refreshToken };
}

/** Operations the served OpenAPI document says need ORG_ADMIN (its description says so). */
export async function adminOperations(t: TestApp): Promise<Array<{ method: string; path: string; operationId: string }>> {
  const doc = (await (await fetch(`${new URL(t.baseUrl).origin}/api/docs-json`)).json()) as {
    paths: Record<string, Record<string, { operationId: string; description?: string }>>;
  };
  const out: Array<{ method: string; path: string; operationId: string }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (/Requires ORG_ADMIN/.test(op.description ?? '')) {
        out.push({ method: method.toUpperCase(), path: path.replace(/^\/api\/v1/, ''), operationId: op.operationId });
      }
    }
  }
  return out;
}
