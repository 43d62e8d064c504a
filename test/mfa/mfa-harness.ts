import { createHmac, randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { TotpService } from '../../libs/auth/src/mfa/totp.service';
import { ApiClient, ApiResponse } from '../harness/api-client';
import { registerOrganization, TestOrganization } from '../harness/factories';
import { startTestApp, TestApp } from '../harness/test-app';

/**
 * The tests' own RFC 6238 (TOTP over RFC 4226's HOTP), on node:crypto: not the service's library,
 * so a code the service accepts proves it speaks the standard. rfc6238.spec.ts checks this
 * implementation against the RFC's own test vectors (appendix B).
 */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const character of clean) {
    const index = BASE32.indexOf(character);
    if (index < 0) {
      throw new Error(`not Base32: ${character}`);
    }
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits. */
export function hotp(key: Buffer, counter: number, digits = 6, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor((time - T0) / X), T0 = 0. */
export function totp(key: Buffer, timeSeconds: number, digits = 6, period = 30, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  return hotp(key, Math.floor(timeSeconds / period), digits, algorithm);
}

/** The 6-digit code of a Base32 secret at a time step (SHA-1, 30 s: what §11 uses). */
export function codeAt(secret: string, step: number): string {
  return hotp(base32Decode(secret), step);
}

/**
 * The service's TOTP clock, pinned: codes are judged at a time the test chooses (a step's first
 * or last second), never raced against the wall clock. Steps only move forward, so a new code
 * never collides with one a user already spent.
 */
export class PinnedClock {
  private spy: jest.SpyInstance<number, []>;
  step: number;

  constructor(t: TestApp) {
    this.step = Math.floor(Date.now() / 1000 / 30);
    this.spy = jest.spyOn(t.app.get(TotpService), 'nowSeconds');
    this.set(this.step);
  }

  /** The clock at `secondInStep` (0..29) of `step`. */
  set(step: number, secondInStep = 15): void {
    this.step = step;
    this.spy.mockReturnValue(step * 30 + secondInStep);
  }

  /** One step later (at its middle); the new step. */
  tick(): number {
    this.set(this.step + 1);
    return this.step;
  }

  restore(): void {
    this.spy.mockRestore();
  }
}

export const PASSWORD = 'Mfa password 1';

export interface MfaUser {
  id: string;
  email: string;
  password: string;
}

/** A user of `org` written into the table (role USER unless told), with PASSWORD. */
export async function createUser(t: TestApp, org: TestOrganization, role: 'USER' | 'ORG_ADMIN' = 'USER'): Promise<MfaUser> {
  const email = `mfa-${randomUUID().slice(0, 8)}@example.test`;
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const { rows } = await t.db.query(
    `INSERT INTO users (organization_id, email, name, password_hash, role, password_changed_at) VALUES ($1, $2, 'Mia Mfa', $3, $4, now()) RETURNING id`,
    [org.id, email, hash, role],
  );
  return { id: rows[0].id, email, password: PASSWORD };
}

export function login(org: TestOrganization, user: MfaUser): Promise<ApiResponse> {
  return org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: user.email, password: user.password });
}

/** A plain sign-in (no MFA on yet): a client with the access token, and the refresh token. */
export async function signIn(org: TestOrganization, user: MfaUser): Promise<{ client: ApiClient; refreshToken: string; body: any }> {
  const response = await login(org, user);
  if (response.status !== 200 || !response.body.accessToken) {
    throw new Error(`login failed: ${response.status} ${response.text}`);
  }
  return { client: org.anonymous.as(response.body.accessToken), refreshToken: response.body.refreshToken, body: response.body };
}

/** setup + confirm at the clock's next step: MFA on. */
export async function enableMfa(client: ApiClient, clock: PinnedClock): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await client.post('/mfa/setup');
  if (setup.status !== 200) {
    throw new Error(`setup failed: ${setup.status} ${setup.text}`);
  }
  const secret: string = setup.body.secret;
  const confirm = await client.post('/mfa/setup/confirm', { secret, code: codeAt(secret, clock.tick()) });
  if (confirm.status !== 200) {
    throw new Error(`confirm failed: ${confirm.status} ${confirm.text}`);
  }
  return { secret, recoveryCodes: confirm.body.recoveryCodes };
}

export interface MfaMember extends MfaUser {
  client: ApiClient;
  secret: string;
  recoveryCodes: string[];
}

/** A new user of `org` with MFA on, and a client signed in before MFA was turned on. */
export async function memberWithMfa(
  t: TestApp,
  org: TestOrganization,
  clock: PinnedClock,
  role: 'USER' | 'ORG_ADMIN' = 'USER',
): Promise<MfaMember> {
  const user = await createUser(t, org, role);
  const { client } = await signIn(org, user);
  return { ...user, client, ...(await enableMfa(client, clock)) };
}

/** The login's challenge token; fails unless the login answered the MFA challenge. */
export async function challenge(org: TestOrganization, user: MfaUser): Promise<string> {
  const response = await login(org, user);
  if (response.status !== 200 || response.body.mfaRequired !== true) {
    throw new Error(`expected an MFA challenge: ${response.status} ${response.text}`);
  }
  return response.body.mfaChallengeToken;
}

export function verify(org: TestOrganization, mfaChallengeToken: string, code: string): Promise<ApiResponse> {
  return org.anonymous.post('/auth/verify-mfa', { mfaChallengeToken, code });
}

export async function setMfaRequired(org: TestOrganization, mfaRequired: boolean): Promise<void> {
  const response = await org.admin.patch('/organization/settings', { mfaRequired });
  if (response.status !== 200) {
    throw new Error(`settings update failed: ${response.status} ${response.text}`);
  }
}

export async function auditOf(t: TestApp, userId: string, eventType: string): Promise<Array<Record<string, any>>> {
  const { rows } = await t.db.query(
    `SELECT event_type, result, error_code, error_message, actor_email, resource_id, details FROM audit_logs
     WHERE resource_id = $1 AND event_type = $2 ORDER BY created_at, id`,
    [userId, eventType],
  );
  return rows;
}

export interface MfaSuite {
  t: TestApp;
  org: TestOrganization;
  clock: PinnedClock;
}

/**
 * The spec file's app, organization and pinned clock, started before its tests and closed after:
 * `ready` gets them once they are up (and may prepare more before the first test).
 */
export function mfaSuite(organizationName: string, ready: (suite: MfaSuite) => void | Promise<void>): void {
  let suite: MfaSuite | undefined;
  beforeAll(async () => {
    const t = await startTestApp();
    suite = { t, clock: new PinnedClock(t), org: await registerOrganization(t, organizationName) };
    await ready(suite);
  });
  afterAll(async () => {
    suite?.clock.restore();
    await suite?.t.close();
  });
}
