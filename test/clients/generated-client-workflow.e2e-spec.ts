import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import { startAwsFakeServer, type AwsFakeServer } from '../fakes/aws-fake-server';
import { startSmtpServer, type FakeSmtpServer } from '../fakes/smtp-server';
import { ISO_UTC } from '../harness/contract';
import { startTestAppOnOwnDatabase, type TestApp } from '../harness/test-app';
import type { components, paths } from './generated/entryguard-api';

/**
 * The second milestone end to end through the client generated from the committed openapi.json
 * (openapi-typescript types, openapi-fetch): people (invite a member, who reads the link from a
 * real SMTP server and chooses a password; a role with a resource and the member in it) and
 * sessions driven by an API key (X-API-Key, sessions:write + sessions:read): start, the engine
 * makes it ACTIVE on the AWS fake, extend, stop, CANCELLED and the rule gone. The engine and the
 * mail worker run as in production (JOBS_ENABLED, polled every second); the test polls the API.
 */
type Schemas = components['schemas'];

const REGION = 'eu-west-1';
const APP_URL = 'http://app.entryguard.test';
const KEYS = { accessKeyId: `AKIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`, secretAccessKey: `secret-${randomUUID()}` };
const GROUP = `sg-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
const ADDRESS = '203.0.113.77';

/** Polls until `done` holds (the engine works in the background), failing with the last value after `ms`. */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('generated client: people and sessions (openapi-fetch, typed by openapi.json)', () => {
  let t: TestApp;
  let aws: AwsFakeServer;
  let smtp: FakeSmtpServer;
  let origin: string;
  let anonymous: Client<paths>;
  let admin: Client<paths>;
  let resourceId: string;

  beforeAll(async () => {
    aws = await startAwsFakeServer({
      accounts: { [KEYS.accessKeyId]: { secretAccessKey: KEYS.secretAccessKey, accountId: '123456789012' } },
      securityGroups: { [REGION]: [{ groupId: GROUP }] },
    });
    smtp = await startSmtpServer();
    // Its own database: mail and engine jobs in the shared one would be claimed by other specs' workers.
    t = await startTestAppOnOwnDatabase(
      { AWS_ENDPOINT_URL: aws.url, SMTP_URL: smtp.url, APP_URL, JOBS_ENABLED: 'true', JOBS_POLL_SECONDS: '1' },
      'entryguard_client',
    );
    origin = new URL(t.baseUrl).origin;
    anonymous = createClient<paths>({ baseUrl: origin });
    const suffix = randomUUID().slice(0, 8);
    const registered = await anonymous.POST('/api/v1/auth/register', {
      body: { organizationName: `Client People ${suffix}`, email: `admin-${suffix}@example.test`, password: 'Correct horse battery 1' },
    });
    expect(registered.response.status).toBe(201);
    admin = createClient<paths>({ baseUrl: origin, headers: { Authorization: `Bearer ${registered.data!.accessToken}` } });

    const credential = await admin.POST('/api/v1/credentials', {
      body: { name: 'AWS Production', provider: 'AWS', credentialType: 'ACCESS_KEY', credentialData: KEYS },
    });
    expect(credential.response.status).toBe(201);
    const resource = await admin.POST('/api/v1/resources', {
      body: {
        name: 'Bastion SSH',
        credentialId: credential.data!.id,
        provider: 'AWS',
        resourceType: 'SECURITY_GROUP',
        resourceIdentifier: GROUP,
        region: REGION,
        config: { protocol: 'tcp', port: 22 },
      },
    });
    expect(resource.response.status).toBe(201);
    resourceId = resource.data!.id;
    // Verified against the fake: active, so sessions reach it (§13).
    const verified = await admin.POST('/api/v1/resources/{id}/verify', { params: { path: { id: resourceId } } });
    expect(verified.data?.isActive).toBe(true);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await aws?.close();
  });

  it('invites a member by mail, who sets a password and signs in; a role gives them the resource', async () => {
    const email = `grace-${randomUUID().slice(0, 8)}@example.test`;
    // isOrgAdmin is optional (default false), yet openapi-typescript's defaultNonNullable makes the generated request type require it.
    const invited = await admin.POST('/api/v1/users', { body: { email, name: 'Grace Hopper', isOrgAdmin: false } });
    expect(invited.response.status).toBe(201);
    const user: Schemas['UserDto'] = invited.data!;
    expect(user).toMatchObject({ email, name: 'Grace Hopper', isOrgAdmin: false, invitationPending: true, roleNames: [] });
    expect(invited.response.headers.get('location')).toBe(`/api/v1/users/${user.id}`);

    // The link arrives by SMTP; the web app would post its token with the chosen password.
    const [mail] = await smtp.waitForMail(1);
    expect(mail.to).toEqual([email]);
    const inviteToken = new RegExp(`${APP_URL.replace(/\./g, '\\.')}/set-password\\?token=([A-Za-z0-9_-]+)`).exec(
      mail.parsed.text ?? '',
    )?.[1];
    expect(inviteToken).toBeDefined();
    const accepted = await anonymous.POST('/api/v1/auth/set-password', {
      body: { inviteToken: inviteToken!, password: 'Choose a good one 1' },
    });
    expect(accepted.response.status).toBe(200);
    expect(accepted.data).toMatchObject({ tokenType: 'Bearer', user: { id: user.id, email, isOrgAdmin: false } });
    const spent = await anonymous.POST('/api/v1/auth/set-password', {
      body: { inviteToken: inviteToken!, password: 'Choose a good one 1' },
    });
    expect(spent.response.status).toBe(400);
    expect(spent.error?.error).toBe('INVALID_TOKEN');

    const role = await admin.POST('/api/v1/roles', { body: { name: 'Developers', maxSessionDurationHours: 4 } });
    expect(role.response.status).toBe(201);
    const roleId = role.data!.id;
    const assignUser = await admin.POST('/api/v1/roles/{id}/users/{userId}', { params: { path: { id: roleId, userId: user.id } } });
    expect(assignUser.data).toEqual({ message: 'User assigned to role successfully' });
    const assignResource = await admin.POST('/api/v1/roles/{id}/resources/{resourceId}', { params: { path: { id: roleId, resourceId } } });
    expect(assignResource.data).toEqual({ message: 'Resource assigned to role successfully' });
    const again = await admin.POST('/api/v1/roles/{id}/users/{userId}', { params: { path: { id: roleId, userId: user.id } } });
    expect(again.response.status).toBe(409);
    expect(again.error?.error).toBe('ALREADY_ASSIGNED');

    const now = await admin.GET('/api/v1/users/{id}', { params: { path: { id: user.id } } });
    expect(now.data).toMatchObject({ invitationPending: false, isActive: true, roleNames: ['Developers'] });
    expect((await admin.GET('/api/v1/roles/{id}', { params: { path: { id: roleId } } })).data).toMatchObject({
      userIds: [user.id],
      resourceIds: [resourceId],
      maxSessionDurationHours: 4,
    });

    // The member, on their own token, reaches their sessions and nothing an admin has.
    const member = createClient<paths>({ baseUrl: origin, headers: { Authorization: `Bearer ${accepted.data!.accessToken}` } });
    expect((await member.GET('/api/v1/sessions')).data).toEqual([]);
    const forbidden = await member.GET('/api/v1/users');
    expect(forbidden.response.status).toBe(403);
    expect(forbidden.error?.error).toBe('FORBIDDEN');
  });

  it('runs a session with an API key: start, ACTIVE on the firewall, extend, stop, CANCELLED and the rule gone', async () => {
    const created = await admin.POST('/api/v1/api-keys', { body: { name: 'CI pipeline', scopes: ['sessions:write', 'sessions:read'] } });
    expect(created.response.status).toBe(201);
    const apiKey: Schemas['CreatedApiKeyDto'] = created.data!;
    expect(apiKey.plainTextKey).toMatch(/^egk_live_[0-9A-Za-z]{43}$/);
    const key = createClient<paths>({ baseUrl: origin, headers: { 'X-API-Key': apiKey.plainTextKey } });

    const body: Schemas['CreateSessionDto'] = { durationHours: 1, ipv4Address: ADDRESS, resourceIds: [resourceId] };
    const idempotencyKey = randomUUID();
    const started = await key.POST('/api/v1/sessions', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body });
    expect(started.response.status).toBe(201);
    const session: Schemas['SessionDto'] = started.data!;
    expect(session).toMatchObject({ status: 'PENDING', ipv4Address: ADDRESS, ipv6Address: null, endedAt: null });
    expect(session.resourceIps).toEqual([
      expect.objectContaining({ resourceId, resourceName: 'Bastion SSH', ipVersion: 4, status: 'PENDING' }),
    ]);
    expect(started.response.headers.get('location')).toBe(`/api/v1/sessions/${session.id}`);
    // The same key and body again: the first answer, nothing new started.
    const replay = await key.POST('/api/v1/sessions', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body });
    expect(replay.data?.id).toBe(session.id);

    const read = () => key.GET('/api/v1/sessions/{id}', { params: { path: { id: session.id } } }).then((r) => r.data!);
    const active = await until('session', read, (s) => s.status !== 'PENDING');
    expect(active.status).toBe('ACTIVE');
    expect(active.resourceIps[0]).toMatchObject({ status: 'APPLIED', appliedAt: expect.stringMatching(ISO_UTC) });
    expect(aws.state.ingress(REGION, GROUP)).toEqual([
      expect.objectContaining({
        cidr: `${ADDRESS}/32`,
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        description: `EntryGuard session ${session.id}`,
      }),
    ]);

    const extended = await key.POST('/api/v1/sessions/{id}/extend', { params: { path: { id: session.id } }, body: { additionalHours: 1 } });
    expect(extended.response.status).toBe(200);
    expect(Date.parse(extended.data!.expiresAt) - Date.parse(active.expiresAt)).toBe(3600_000);

    const stopped = await key.POST('/api/v1/sessions/{id}/stop', { params: { path: { id: session.id } } });
    expect(stopped.response.status).toBe(200);
    expect(stopped.data).toMatchObject({ endedReason: 'MANUAL', endedAt: expect.stringMatching(ISO_UTC) });
    expect(['EXPIRING', 'CANCELLED']).toContain(stopped.data!.status);
    const ended = await until('stopped session', read, (s) => s.status !== 'EXPIRING');
    expect(ended.status).toBe('CANCELLED');
    expect(ended.resourceIps[0]).toMatchObject({ status: 'REMOVED', removedAt: expect.stringMatching(ISO_UTC) });
    expect(aws.state.ingress(REGION, GROUP)).toEqual([]);
    const late = await key.POST('/api/v1/sessions/{id}/stop', { params: { path: { id: session.id } } });
    expect(late.response.status).toBe(400);
    expect(late.error?.error).toBe('SESSION_NOT_ACTIVE');

    // The key reaches nothing else, and its listing holds this session; the trail names the key by prefix.
    const users = await key.GET('/api/v1/users');
    expect(users.response.status).toBe(403);
    expect((await key.GET('/api/v1/sessions')).data?.map((s) => s.id)).toEqual([session.id]);
    const audit = await admin.GET('/api/v1/audit-logs', { params: { query: { resourceId: session.id } } });
    const trail = audit.data!.content.map((row) => [row.eventType, row.result, row.details?.apiKeyPrefix]);
    expect(trail).toEqual(
      expect.arrayContaining([
        ['SESSION_START', 'SUCCESS', apiKey.keyPrefix],
        ['SESSION_EXTEND', 'SUCCESS', apiKey.keyPrefix],
        ['SESSION_STOP', 'SUCCESS', apiKey.keyPrefix],
      ]),
    );
  });
});
