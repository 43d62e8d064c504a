import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiResponse, receivedBodies } from '../harness/api-client';
import { createMember, registerOrganization, TestOrganization } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { startPrivateApp } from './security-harness';

jest.setTimeout(60_000);

/**
 * Secret canaries: unique values put into every secret field, through every path that carries
 * them (create, rotation, refusals of all kinds, verification against providers that echo what
 * they receive). None may come back out: not in a response, a log line, an audit row, or any
 * stored column but the ciphertext, and not even there in the clear.
 */
const canaries: string[] = [];
function canary(): string {
  const value = `CNRY${randomBytes(16).toString('hex')}`;
  canaries.push(value);
  return value;
}
const pem = (inner: string) => `-----BEGIN PRIVATE KEY-----\n${inner}\n-----END PRIVATE KEY-----\n`;

/**
 * The secret as a provider might echo it. With `cut`, a second copy sits where the app's
 * 200-character cut of a provider message leaves only its first part.
 */
function echoed(secret: string, cut: boolean): string {
  const head = `key ${secret} rejected; `;
  return cut ? `${head}${'.'.repeat(180 - head.length - 1)} ${secret} (end)` : `${head}try another`;
}

/** Plays AWS (STS and EC2) and the APISIX Admin API, and echoes the secrets it receives into its errors. */
interface EchoServer {
  url: string;
  seen: string[];
  cut: boolean;
  close(): Promise<void>;
}
async function startEchoServer(): Promise<EchoServer> {
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => answer(req, res, body));
  });
  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string') {
      seen.push(apiKey);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error_msg: echoed(apiKey, echo.cut) }));
      return;
    }
    const token = String(req.headers['x-amz-security-token'] ?? 'none');
    seen.push(token);
    const message = echoed(token, echo.cut);
    const sts = new URLSearchParams(body).get('Action') === 'GetCallerIdentity';
    const xml = sts
      ? `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`
      : `<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>${message}</Message></Error></Errors><RequestID>r-2</RequestID></Response>`;
    res.writeHead(400, { 'content-type': 'text/xml' }).end(xml);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const echo: EchoServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    cut: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return echo;
}

describe('security: secret canaries', () => {
  let t: TestApp;
  let echo: EchoServer;
  let org: TestOrganization;

  beforeAll(async () => {
    echo = await startEchoServer();
    t = await startPrivateApp({ AWS_ENDPOINT_URL: echo.url });
    org = await registerOrganization(t, 'Canary');
  });
  afterAll(async () => {
    await t?.close();
    await echo?.close();
  });

  const aws = (secretAccessKey: unknown, sessionToken?: unknown) => ({
    accessKeyId: 'AKIACANARY0000000001',
    secretAccessKey,
    ...(sessionToken !== undefined ? { sessionToken } : {}),
  });
  const azure = (clientSecret: unknown) => ({
    tenantId: '8a4c4a3e-2f7e-4a40-9a52-5d2b3f0c1e11',
    clientId: '0b1d7a5c-3e8f-4c2a-8d1e-6f4a2b9c0d12',
    clientSecret,
    subscriptionId: '5c2e9b1a-7d4f-4e3b-9a8c-1f0e2d3c4b13',
  });
  const gcp = (privateKey: unknown) => ({
    type: 'service_account',
    project_id: 'canary-1',
    private_key: privateKey,
    client_email: 'sa@canary-1.iam.gserviceaccount.com',
  });
  const apisix = (adminKey: unknown) => ({ adminUrl: echo.url, adminKey });
  let n = 0;
  const body = (provider: string, credentialType: string, credentialData: unknown, extra: Record<string, unknown> = {}) => ({
    name: `Canary ${provider} ${++n}`,
    provider,
    credentialType,
    credentialData,
    ...extra,
  });

  function expectStatus(response: ApiResponse, status: number): void {
    expect({ status: response.status, text: response.text.slice(0, 300) }).toEqual({ status, text: expect.any(String) });
  }

  it('secrets go in through create, rotation and verification, and error paths of every kind', async () => {
    const a = org.admin;
    // Create one credential per provider.
    const created = {
      aws: await a.post('/credentials', body('AWS', 'ACCESS_KEY', aws(canary(), canary()))),
      apisix: await a.post('/credentials', body('APISIX', 'ADMIN_KEY', apisix(canary()))),
      azure: await a.post('/credentials', body('AZURE', 'SERVICE_PRINCIPAL', azure(canary()))),
      gcp: await a.post('/credentials', body('GCP', 'SERVICE_ACCOUNT', gcp(pem(canary())))),
    };
    for (const response of Object.values(created)) expectStatus(response, 201);
    const ids = Object.fromEntries(Object.entries(created).map(([k, r]) => [k, r.body.id as string]));
    const awsResource = await a.post('/resources', {
      name: 'Canary SG',
      credentialId: ids.aws,
      provider: 'AWS',
      resourceType: 'SECURITY_GROUP',
      resourceIdentifier: 'sg-0123456789abcdef0',
      region: 'eu-west-1',
      config: { protocol: 'tcp', port: 22 },
    });
    const apisixResource = await a.post('/resources', {
      name: 'Canary route',
      credentialId: ids.apisix,
      provider: 'APISIX',
      resourceType: 'ROUTE',
      resourceIdentifier: 'canary-route',
    });
    expectStatus(awsResource, 201);
    expectStatus(apisixResource, 201);

    // Verification with the first secrets: the fake providers echo them back in their errors.
    const verifyAll = async () => {
      for (const id of Object.values(ids)) expectStatus(await a.post(`/credentials/${id}/verify`), 200);
      expectStatus(await a.post(`/resources/${awsResource.body.id}/verify`), 400);
      expectStatus(await a.post(`/resources/${apisixResource.body.id}/verify`), 400);
    };
    await verifyAll();

    // Rotation in place, then verification again.
    expectStatus(await a.patch(`/credentials/${ids.aws}`, { credentialData: aws(canary(), canary()) }), 200);
    expectStatus(await a.patch(`/credentials/${ids.apisix}`, { name: 'Canary APISIX rotated', credentialData: apisix(canary()) }), 200);
    expectStatus(await a.patch(`/credentials/${ids.azure}`, { credentialData: azure(canary()) }), 200);
    expectStatus(await a.patch(`/credentials/${ids.gcp}`, { credentialData: gcp(pem(canary())) }), 200);
    await verifyAll();

    // Refusals that carry a secret: unknown fields, wrong types, over-long values, taken names,
    // provider mismatches, an unknown id, a member, the wrong media type, broken JSON, too large.
    const refusals: Array<[number, () => Promise<ApiResponse>]> = [
      [400, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', { ...aws(canary()), extra: canary() }))],
      [400, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', aws(canary()), { note: canary() }))],
      [400, () => a.post('/credentials', body('AZURE', 'SERVICE_PRINCIPAL', { ...azure(canary()), password: canary() }))],
      [400, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', aws([canary()], { token: canary() })))],
      [400, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', canary()))],
      [400, () => a.post('/credentials', body('APISIX', 'ADMIN_KEY', apisix({ key: canary() })))],
      [400, () => a.post('/credentials', body('GCP', 'SERVICE_ACCOUNT', gcp(12345), { private_key: pem(canary()) }))],
      [400, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', aws(canary() + 'x'.repeat(300))))],
      [400, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', aws('ok', canary() + 'y'.repeat(4100))))],
      [400, () => a.post('/credentials', body('AZURE', 'SERVICE_PRINCIPAL', azure(canary() + 'z'.repeat(600))))],
      [400, () => a.post('/credentials', body('APISIX', 'ADMIN_KEY', apisix(canary() + 'k'.repeat(600))))],
      [400, () => a.post('/credentials', body('GCP', 'SERVICE_ACCOUNT', gcp(pem(canary() + 'p'.repeat(9000)))))],
      [409, () => a.post('/credentials', { ...body('AWS', 'ACCESS_KEY', aws(canary(), canary())), name: created.aws.body.name })],
      [400, () => a.post('/credentials', body('AZURE', 'SERVICE_PRINCIPAL', aws(canary(), canary())))],
      [400, () => a.post('/credentials', body('AWS', 'ADMIN_KEY', aws(canary())))],
      [400, () => a.post('/credentials', body('APISIX', 'ADMIN_KEY', gcp(pem(canary()))))],
      [400, () => a.patch(`/credentials/${ids.aws}`, { credentialData: azure(canary()) })],
      [400, () => a.patch(`/credentials/${ids.azure}`, { credentialData: { ...azure(canary()), secretAccessKey: canary() } })],
      [400, () => a.patch(`/credentials/${ids.apisix}`, { provider: 'AWS', credentialData: aws(canary()) })],
      [404, () => a.patch('/credentials/3b241101-e2bb-4255-8caf-4136c566a962', { credentialData: aws(canary(), canary()) })],
      [415, () => a.post('/credentials', JSON.stringify(body('AWS', 'ACCESS_KEY', aws(canary()))), { 'content-type': 'text/plain' })],
      [400, () => a.post('/credentials', `{"name":"x","provider":"AWS","credentialData":{"secretAccessKey":"${canary()}"`)],
      [400, () => a.post('/credentials', `{"credentialData":{"secretAccessKey":"${canary()}"}, oops}`)],
      [413, () => a.post('/credentials', body('AWS', 'ACCESS_KEY', aws(canary()), { padding: 'p'.repeat(70_000) }))],
      [400, () => org.anonymous.post('/auth/register', { organizationName: 'Canary Co', email: 'not-an-email', password: canary() })],
      [401, () => org.anonymous.post('/auth/login', { organizationSlug: org.slug, email: org.email, password: canary() })],
      [401, () => org.anonymous.post('/auth/refresh', { refreshToken: canary() })],
    ];
    for (const [status, send] of refusals) expectStatus(await send(), status);
    const member = await createMember(t, org);
    expectStatus(await member.post('/credentials', body('AWS', 'ACCESS_KEY', aws(canary(), canary()))), 403);
    expectStatus(await member.patch(`/credentials/${ids.aws}`, { credentialData: aws(canary(), canary()) }), 403);

    // A password is a secret too: register with one, then sign in with it.
    const password = canary();
    const registered = await org.anonymous.post('/auth/register', {
      organizationName: `Canary Pw ${n}`,
      email: 'pw@example.test',
      password,
    });
    expectStatus(registered, 201);
    expectStatus(
      await org.anonymous.post('/auth/login', {
        organizationSlug: registered.body.user.organizationSlug,
        email: 'pw@example.test',
        password,
      }),
      200,
    );

    // The verification paths were really exercised: the fakes received the secrets they echo.
    expect(echo.seen.filter((value) => canaries.includes(value)).length).toBeGreaterThanOrEqual(4);
    // Reads of everything that exists, after all of the above.
    for (const id of Object.values(ids)) expectStatus(await a.get(`/credentials/${id}`), 200);
    expectStatus(await a.get('/credentials'), 200);
    expectStatus(await a.get('/resources'), 200);
    expectStatus(await a.get('/audit-logs?size=100'), 200);
  });

  it('no canary appears in any response body, log line, audit row or stored column', async () => {
    expect(canaries.length).toBeGreaterThan(40);
    // A canary's first 12 characters (32 random bits) are enough to count as a leak: a cut-off secret leaks too.
    const hits = (texts: string[]) => canaries.filter((c) => texts.some((text) => text.includes(c.slice(0, 12))));
    expect(receivedBodies.length).toBeGreaterThan(40);
    expect(hits(receivedBodies)).toEqual([]);
    expect(t.logs.length).toBeGreaterThan(40);
    expect(hits(t.logs)).toEqual([]);

    const audit = (await t.db.query('SELECT (audit_logs.*)::text AS row FROM audit_logs')).rows.map((r) => r.row);
    expect(audit.length).toBeGreaterThan(30);
    expect(hits(audit)).toEqual([]);

    // Every stored column of every table, the credentials' ciphertext aside (checked below).
    const stored: string[] = [];
    for (const table of ['organizations', 'users', 'refresh_tokens', 'resources']) {
      stored.push(...(await t.db.query(`SELECT (x.*)::text AS row FROM ${table} x`)).rows.map((r) => r.row));
    }
    stored.push(...(await t.db.query(`SELECT (to_jsonb(c) - 'ciphertext')::text AS row FROM credentials c`)).rows.map((r) => r.row));
    expect(hits(stored)).toEqual([]);

    // The ciphertext holds the secrets, but never in the clear.
    const { rows } = await t.db.query('SELECT id, ciphertext, iv, auth_tag FROM credentials');
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const raw = rows.flatMap((r) =>
      [r.ciphertext, r.iv, r.auth_tag].flatMap((b: Buffer) => [
        b.toString('latin1'),
        b.toString('utf8'),
        b.toString('hex'),
        b.toString('base64'),
      ]),
    );
    expect(hits(raw)).toEqual([]);
    const canaryHex = canaries.map((c) => Buffer.from(c.slice(0, 12)).toString('hex'));
    expect(canaryHex.filter((hex) => raw.some((text) => text.includes(hex)))).toEqual([]);
  });

  // Regression: a provider message cut at 200 characters could end in the first characters of an
  // echoed secret; withoutSecrets() now also drops a cut-off secret prefix.
  it('a secret echoed where the provider message is cut off does not leak in part', async () => {
    const partial = [`CNRY${randomBytes(16).toString('hex')}`, `CNRY${randomBytes(16).toString('hex')}`];
    echo.cut = true;
    try {
      const awsCredential = await org.admin.post('/credentials', body('AWS', 'ACCESS_KEY', aws('cut-secret-1', partial[0])));
      const apisixCredential = await org.admin.post('/credentials', body('APISIX', 'ADMIN_KEY', apisix(partial[1])));
      const responses = [
        await org.admin.post(`/credentials/${awsCredential.body.id}/verify`),
        await org.admin.post(`/credentials/${apisixCredential.body.id}/verify`),
      ];
      expect(echo.seen).toEqual(expect.arrayContaining(partial));
      const stored = (await t.db.query(`SELECT coalesce(verification_error, '') AS e FROM credentials`)).rows.map((r) => r.e);
      const audit = (await t.db.query('SELECT (audit_logs.*)::text AS row FROM audit_logs')).rows.map((r) => r.row);
      const texts = [...responses.map((r) => r.text), ...stored, ...audit, ...t.logs];
      expect(partial.filter((secret) => texts.some((text) => text.includes(secret.slice(0, 12))))).toEqual([]);
    } finally {
      echo.cut = false;
    }
  });
});
