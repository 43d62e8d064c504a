import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { ApiClient, ApiResponse } from '../harness/api-client';
import { awsCredentialBody, awsResourceBody, createMember, registerOrganization, TestOrganization, uniqueName } from '../harness/factories';
import { TestApp } from '../harness/test-app';
import { pathIdArb, queryArb } from './fuzz-arbitraries';
import { addressArb, idempotencyKeyArb, withField } from './fuzz-network.arbitraries';
import { BodyRoute, fuzzBodyRoute, fuzzChecker, FuzzChecker, keysAre, runs } from './fuzz-checker';
import { randomId, startPrivateApp } from './security-harness';

jest.setTimeout(120_000);

/**
 * Property-based fuzzing of the session and static-rule routes (§13, §14, §16): POST /sessions
 * (with hostile addresses and Idempotency-Keys), extend, the admin list's query, POST
 * /static-ip-rules, the resource-health query, and every path id. Never a 5xx, always the
 * envelope, a refused request changes nothing in the database, and what is accepted is sane: no
 * session for a reserved address, no static rule wider than /8 (IPv4) or /32 (IPv6) or with host
 * bits set, no other organization's rows in a list. Reproduce with FUZZ_SEED=<seed>.
 */
const SESSION_KEYS = [
  'createdAt',
  'endedAt',
  'endedReason',
  'expiresAt',
  'id',
  'ipv4Address',
  'ipv6Address',
  'resourceIps',
  'startedAt',
  'status',
  'userEmail',
  'userId',
  'userName',
];
const RULE_KEYS = ['createdAt', 'createdByEmail', 'id', 'ipAddress', 'label', 'resources', 'status'];
const PAGE_KEYS = ['content', 'number', 'size', 'totalElements', 'totalPages'];

/** §13: addresses a session never opens a firewall to. */
const RESERVED = new BlockList();
for (const [net, bits, family] of [
  ['0.0.0.0', 8, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['255.255.255.255', 32, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
] as const) {
  RESERVED.addSubnet(net, bits, family);
}

/** A network as §16 keeps it: an address or CIDR, at least /8 or /32, no host bits. */
function badNetwork(text: string): string | undefined {
  const [address, bitsText] = text.split('/');
  const version = isIP(address);
  if (!version) return `not an address: ${text}`;
  const width = version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < (version === 4 ? 8 : 32) || bits > width) return `too wide or malformed: ${text}`;
  const value = version === 4 ? ipv4Value(address) : ipv6Value(address);
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  return (value & hostMask) === 0n ? undefined : `host bits set: ${text}`;
}

const ipv4Value = (address: string) => address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(part), 0n);

function ipv6Value(text: string): bigint {
  // An embedded IPv4 tail (::ffff:10.0.0.0) is two groups.
  const address = text.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const n = ipv4Value(v4);
    return `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  });
  const [head, tail = ''] = address.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const groups = address.includes('::')
    ? [...parts(head), ...Array(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)]
    : parts(address);
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

describe('security: fuzzing sessions, static IP rules and resource health', () => {
  let t: TestApp;
  let fuzz: FuzzChecker;
  let org: TestOrganization;
  let outsider: TestOrganization;
  let member: ApiClient;
  let memberId: string;
  let resources: string[];
  let adminSession: string;
  let outsiderSession: string;

  beforeAll(async () => {
    t = await startPrivateApp();
    fuzz = fuzzChecker(t);
    org = await registerOrganization(t, 'Fuzz sessions');
    outsider = await registerOrganization(t, 'Fuzz sessions outsider');
    const seedResources = async (o: TestOrganization, n: number) => {
      const credential = (await o.admin.post('/credentials', awsCredentialBody())).body.id;
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await o.admin.post('/resources', awsResourceBody(credential))).body.id);
      await t.db.query(`UPDATE resources SET is_active = true WHERE id = ANY($1)`, [ids]);
      return ids;
    };
    resources = await seedResources(org, 2);
    const [outsiderResource] = await seedResources(outsider, 1);
    member = await createMember(t, org);
    memberId = (await member.get('/auth/me')).body.id;
    const role = (await org.admin.post('/roles', { name: uniqueName('Role'), maxSessionDurationHours: 8 })).body.id;
    expect((await org.admin.post(`/roles/${role}/users/${memberId}`)).status).toBe(200);
    for (const id of resources) expect((await org.admin.post(`/roles/${role}/resources/${id}`)).status).toBe(200);
    adminSession = (await org.admin.post('/sessions', { ipv4Address: '203.0.113.1', resourceIds: [resources[0]] })).body.id;
    outsiderSession = (await outsider.admin.post('/sessions', { ipv4Address: '203.0.113.2', resourceIds: [outsiderResource] })).body.id;
    expect(
      (await outsider.admin.post('/static-ip-rules', { label: 'Out', ipAddress: '10.0.0.0/8', resourceIds: [outsiderResource] })).status,
    ).toBe(201);
    for (const [o, id] of [
      [org, resources[0]],
      [outsider, outsiderResource],
    ] as const) {
      await t.db.query(
        `INSERT INTO resource_health_events (organization_id, resource_id, resource_name, event_type, message, details)
         VALUES ($1, $2, 'SG', 'VERIFY_FAILED', 'denied', '{}'), ($1, $2, 'SG', 'VERIFY_OK', NULL, '{}')`,
        [o.id, id],
      );
    }
    expect([adminSession, outsiderSession].every(Boolean)).toBe(true);
  });
  afterAll(async () => {
    console.log(
      `fuzzing (sessions, static IP rules, resource health): ${fuzz?.count} requests fuzzed (${fuzz?.statuses()})\n  ${fuzz?.statuses(true)}`,
    );
    await t?.close();
  });

  const idempotencyHeaders = idempotencyKeyArb.map((key): Record<string, string> => (key === undefined ? {} : { 'idempotency-key': key }));
  const sessionValids = () => [
    { durationHours: 2, ipv4Address: '203.0.113.9', resourceIds: [resources[0]] },
    { ipv6Address: '2001:db8::9', resourceIds: resources },
    { durationHours: 1, ipv4Address: '198.51.100.20', ipv6Address: '2001:db8::20' },
  ];
  const ruleValids = () => [
    { label: 'Office', ipAddress: '198.51.100.0/24', resourceIds: [resources[0]] },
    { label: 'Build server', ipAddress: '203.0.113.7', resourceIds: resources },
    { label: 'V6 office', ipAddress: '2001:db8:100::/48', resourceIds: [resources[1]] },
  ];

  const sessionSuccess = (r: ApiResponse) => {
    const problems = keysAre(SESSION_KEYS)(r);
    for (const address of [r.body.ipv4Address, r.body.ipv6Address].filter(Boolean) as string[]) {
      if (RESERVED.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) problems.push(`a session for a reserved address ${address}`);
    }
    if (r.body.resourceIps?.some((ip: { resourceId: string }) => !resources.includes(ip.resourceId))) problems.push('a foreign resource');
    return problems;
  };

  const bodyRoutes = (): BodyRoute[] => [
    {
      label: 'POST /sessions',
      method: 'POST',
      path: () => '/sessions',
      client: () => member,
      numRuns: 200,
      valids: sessionValids(),
      extraBodies: fc.oneof(withField(sessionValids(), 'ipv4Address', addressArb), withField(sessionValids(), 'ipv6Address', addressArb)),
      headers: idempotencyHeaders,
      success: sessionSuccess,
    },
    {
      label: 'POST /sessions/{id}/extend',
      method: 'POST',
      path: () => `/sessions/${adminSession}/extend`,
      client: () => org.admin,
      numRuns: 120,
      valids: [{ additionalHours: 1 }, { additionalHours: 20 }],
      // Live, with its whole allowance ahead, before every run.
      prepare: async () => {
        await t.db.query(`UPDATE sessions SET status = 'ACTIVE', expires_at = started_at + interval '1 hour' WHERE id = $1`, [
          adminSession,
        ]);
        return {};
      },
      success: sessionSuccess,
    },
    {
      label: 'POST /static-ip-rules',
      method: 'POST',
      path: () => '/static-ip-rules',
      client: () => org.admin,
      numRuns: 200,
      valids: ruleValids(),
      extraBodies: withField(ruleValids(), 'ipAddress', addressArb),
      headers: idempotencyHeaders,
      success: (r) => {
        const problem = badNetwork(String(r.body.ipAddress));
        return [...keysAre(RULE_KEYS)(r), ...(problem ? [problem] : [])];
      },
    },
  ];

  it.each(['POST /sessions', 'POST /sessions/{id}/extend', 'POST /static-ip-rules'])('%s: generated bodies', async (label) => {
    await fuzzBodyRoute(
      fuzz,
      bodyRoutes().find((route) => route.label === label)!,
    );
  });

  it("GET /sessions/admin: generated query strings; only this organization's sessions", async () => {
    const statuses = ['PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED', 'active'];
    await fuzz.property(queryArb(['status', 'userId'], [...statuses, memberId]), runs(200), async (query) => {
      await fuzz.check(
        `GET /sessions/admin${query}`,
        () => org.admin.get(`/sessions/admin${query}`),
        (r) =>
          !Array.isArray(r.body)
            ? ['not an array']
            : r.body.some((s: { id: string }) => s.id === outsiderSession)
              ? ["another organization's session"]
              : [],
        undefined,
        'GET /sessions/admin',
      );
    });
  });

  it("GET /resource-health/events: generated query strings; pages within bounds, only this organization's events", async () => {
    await fuzz.property(queryArb(['resourceId', 'page', 'size'], [...resources, randomId()]), runs(200), async (query) => {
      await fuzz.check(
        `GET /resource-health/events${query}`,
        () => org.admin.get(`/resource-health/events${query}`),
        (r) => {
          const page = r.body ?? {};
          const problems = keysAre(PAGE_KEYS)(r);
          if (!Array.isArray(page.content) || page.content.length > page.size) problems.push('bad content');
          if (!Number.isInteger(page.size) || page.size < 1 || page.size > 100 || !Number.isInteger(page.number) || page.number < 0) {
            problems.push('bad paging');
          }
          if (page.content?.some((event: { resourceId: string }) => !resources.includes(event.resourceId)))
            problems.push("another organization's event");
          return problems;
        },
        undefined,
        'GET /resource-health/events',
      );
    });
  });

  const idRoutes: Array<[string, string, unknown]> = [
    ['GET', '/sessions/{id}', undefined],
    ['POST', '/sessions/{id}/stop', undefined],
    ['POST', '/sessions/{id}/extend', { additionalHours: 1 }],
    ['POST', '/sessions/admin/{id}/stop', undefined],
    ['GET', '/static-ip-rules/{id}', undefined],
    ['DELETE', '/static-ip-rules/{id}', undefined],
  ];

  it('path ids: hostile, malformed, long and unknown ids on every session and static-rule route', async () => {
    await fuzz.property(fc.tuple(fc.constantFrom(...idRoutes), pathIdArb), runs(250), async ([[method, template, body], id]) => {
      const path = template.replace('{id}', id);
      await fuzz.check(
        `${method} ${path.slice(0, 300)}`,
        () => org.admin.request(method, path, body),
        (r) =>
          // '.' resolves to the list (GET /sessions/. is GET /sessions); anything else is an unknown id.
          method === 'GET' && Array.isArray(r.body) ? [] : ['an unknown id succeeded'],
        undefined,
        'path ids',
      );
    });
  });

  // Found while fuzzing: a UUID is the same id in either letter case (RFC 4122), and every other
  // route takes one in capitals (sessions, roles, GET/DELETE /resources/{ID}); POST /static-ip-rules
  // compared the ids as strings and answered an existing resource's upper-case id with 404.
  it('POST /static-ip-rules takes a resource id in capitals as that resource, and the same id twice (two cases) as one target', async () => {
    const upper = resources[1].toUpperCase();
    const session = await org.admin.post('/sessions', { ipv4Address: '198.51.100.90', resourceIds: [upper, resources[1]] });
    expect(session.status).toBe(201);
    expect(session.body.resourceIps.map((ip: { resourceId: string }) => ip.resourceId)).toEqual([resources[1]]);
    const alone = await org.admin.post('/static-ip-rules', { label: 'Capitals', ipAddress: '192.0.2.0/24', resourceIds: [upper] });
    expect({ status: alone.status, text: alone.status === 201 ? '' : alone.text }).toEqual({ status: 201, text: '' });
    expect(alone.body.resources.map((r: { resourceId: string }) => r.resourceId)).toEqual([resources[1]]);
    const twice = await org.admin.post('/static-ip-rules', {
      label: 'Twice',
      ipAddress: '192.0.2.0/24',
      resourceIds: [upper, resources[1]],
    });
    expect(twice.status).toBe(201);
    expect(twice.body.resources.map((r: { resourceId: string }) => r.resourceId)).toEqual([resources[1]]);
  });

  it("the outsider's objects survived the fuzzing", async () => {
    expect((await outsider.admin.get(`/sessions/${outsiderSession}`)).body.status).toBe('PENDING');
    expect((await outsider.admin.get('/static-ip-rules')).body).toHaveLength(1);
  });
});
