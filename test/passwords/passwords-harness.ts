import { randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { ApiClient, ApiResponse } from '../harness/api-client';
import { TestOrganization } from '../harness/factories';
import { startTestAppOnOwnDatabase, TestApp } from '../harness/test-app';
import { ReceivedMail, startSmtpServer, type FakeSmtpServer } from '../fakes/smtp-server';

export const APP_URL = 'http://app.entryguard.test';

/** Passwords the default policy accepts (upper, lower, digit, 8 or more characters). */
export const PASSWORD = 'Original secret 1';
export const NEW_PASSWORD = 'Brand new secret 2';

export interface PasswordsTestApp {
  t: TestApp;
  smtp: FakeSmtpServer;
  close(): Promise<void>;
}

/**
 * The app on a database of its own, with mail over real SMTP on loopback (jobs on, polled each
 * second): mail jobs in the shared database would be claimed, and sent elsewhere, by other
 * specs' workers. Forgot-password limits are generous unless a spec sets them.
 */
export async function startPasswordsApp(env: Record<string, string | undefined> = {}): Promise<PasswordsTestApp> {
  const smtp = await startSmtpServer();
  let t: TestApp;
  try {
    t = await startTestAppOnOwnDatabase(
      { SMTP_URL: smtp.url, APP_URL, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1', RATE_LIMIT_FORGOT_PASSWORD_PER_HOUR: '100000', ...env },
      'entryguard_passwords',
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

/** The app's own argon2id cost (password-hasher.ts): cheaper than the library's default, and what the app stores. */
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

/**
 * A user of `org` written straight into the table (its state chosen by the test): role USER, the
 * default password unless told, set `passwordAgeDays` ago.
 */
export async function createUser(
  t: TestApp,
  org: TestOrganization,
  options: { password?: string; isActive?: boolean; invitationPending?: boolean; passwordAgeDays?: number } = {},
): Promise<TestUser> {
  const email = `user-${randomUUID().slice(0, 8)}@example.test`;
  const password = options.password ?? PASSWORD;
  const hash = options.invitationPending ? null : await argon2.hash(password, HASH_OPTIONS);
  const { rows } = await t.db.query(
    `INSERT INTO users (organization_id, email, name, password_hash, role, is_active, invitation_pending, password_changed_at)
     VALUES ($1, $2, 'Pat Password', $3, 'USER', $4, $5, now() - make_interval(days => $6)) RETURNING id`,
    [org.id, email, hash, options.isActive ?? true, options.invitationPending ?? false, options.passwordAgeDays ?? 0],
  );
  return { id: rows[0].id, email, password };
}

export function login(org: TestOrganization, user: { email: string; password: string }): Promise<ApiResponse> {
  return org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: user.email, password: user.password });
}

/** Signs in and returns a client with its tokens; fails the test on anything but a plain sign-in. */
export async function signIn(org: TestOrganization, user: { email: string; password: string }) {
  const response = await login(org, user);
  if (response.status !== 200 || !response.body.accessToken) {
    throw new Error(`login failed: ${response.status} ${response.text}`);
  }
  return {
    client: org.anonymous.as(response.body.accessToken as string),
    accessToken: response.body.accessToken as string,
    refreshToken: response.body.refreshToken as string,
  };
}

export async function setPolicy(org: TestOrganization, settings: Record<string, unknown>): Promise<void> {
  const response = await org.admin.patch('/organization/settings', settings);
  if (response.status !== 200) {
    throw new Error(`settings update failed: ${response.status} ${response.text}`);
  }
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

/** The link of a reset mail's plain text, and its token. */
export function resetLinkOf(mail: ReceivedMail): { link: string; token: string } {
  const match = new RegExp(`${APP_URL.replace(/\./g, '\\.')}/reset-password\\?token=([A-Za-z0-9_-]+)`).exec(mail.parsed.text ?? '');
  if (!match) {
    throw new Error(`no reset-password link in: ${mail.parsed.text}`);
  }
  return { link: match[0], token: match[1] };
}

/** Asks for a reset mail for `email` and returns its token once the mail has arrived. */
export async function requestReset(app: PasswordsTestApp, org: TestOrganization, email: string): Promise<string> {
  const before = app.smtp.received.filter((mail) => mail.to.includes(email)).length;
  const response = await org.anonymous.post('/auth/forgot-password', { organizationSlug: org.slug, email });
  if (response.status !== 204) {
    throw new Error(`forgot-password failed: ${response.status} ${response.text}`);
  }
  const mails = await mailsTo(app.smtp, email, before + 1);
  return resetLinkOf(mails[mails.length - 1]).token;
}

/** Refresh tokens of the user that still work (neither rotated nor revoked). */
export async function liveRefreshTokens(t: TestApp, userId: string): Promise<number> {
  const { rows } = await t.db.query(
    `SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > now()`,
    [userId],
  );
  return rows[0].n;
}

export async function passwordChangedAt(t: TestApp, userId: string): Promise<Date> {
  const { rows } = await t.db.query(`SELECT password_changed_at FROM users WHERE id = $1`, [userId]);
  return rows[0].password_changed_at;
}

export function refresh(anonymous: ApiClient, refreshToken: string): Promise<ApiResponse> {
  return anonymous.post('/auth/refresh', { refreshToken });
}

/** The details of a 400, as `field: message` lines, sorted. */
export function detailLines(response: ApiResponse): string[] {
  return (response.body.details as Array<{ field: string; message: string }>).map((d) => `${d.field}: ${d.message}`).sort();
}
