'use strict';
// One organization for the engine, built through the API as a customer would (register, one AWS
// and one APISIX credential the fakes know, security groups and routes as resources, one role per
// member), except two shortcuts the tests take too: resources are marked active in SQL (as a
// verified one is), and members are inserted in SQL with the app's argon2id hash, then log in.
const { randomBytes, randomUUID } = require('node:crypto');

const { hashPassword } = require('../seed');
const { must, mapLimit } = require('./http');

const REGION = 'eu-west-1';
const APISIX_ADMIN_KEY = 'bench-apisix-admin-key-0001';
/** One port per security group: one AWS rule per address (the fakes' keys, firewall-state.ts). */
const AWS_CONFIG = { protocol: 'tcp', port: 22 };

const hex = (n) => randomBytes(n).toString('hex');

/**
 * @param layout { awsResources, apisixResources, members, resourcesPerMember, admins? }
 * @returns { orgId, slug, admin: { token }, members: [{ userId, email, token, resourceIds }], resources: [{ id, provider, name }] }
 */
async function setupOrganization({ baseUrl, pool, fakes, layout, label = 'Engine' }) {
  const password = `Bench-${hex(8)}-Aa1`;
  const email = `admin-${hex(4)}@bench.example`;
  const registered = await must(
    baseUrl,
    null,
    'POST',
    '/auth/register',
    {
      organizationName: `${label} ${hex(3)}`,
      email,
      password,
      name: 'Bench Admin',
    },
    201,
  );
  const admin = { token: registered.accessToken, email, userId: registered.user.id };
  const orgId = registered.user.organizationId;
  const slug = registered.user.organizationSlug;

  const keys = { accessKeyId: `AKIA${hex(6).toUpperCase()}`, secretAccessKey: `bench-${hex(16)}` };
  await fakes.putAccount(keys.accessKeyId, { secretAccessKey: keys.secretAccessKey, accountId: '123456789012' });
  const awsCredential = await must(
    baseUrl,
    admin.token,
    'POST',
    '/credentials',
    {
      name: `AWS ${hex(3)}`,
      provider: 'AWS',
      credentialType: 'ACCESS_KEY',
      credentialData: keys,
    },
    201,
  );
  let apisixCredential = null;
  if (layout.apisixResources > 0) {
    apisixCredential = await must(
      baseUrl,
      admin.token,
      'POST',
      '/credentials',
      {
        name: `APISIX ${hex(3)}`,
        provider: 'APISIX',
        credentialType: 'ADMIN_KEY',
        credentialData: { adminUrl: fakes.apisix, adminKey: APISIX_ADMIN_KEY },
      },
      201,
    );
  }

  const specs = [
    ...Array.from({ length: layout.awsResources }, (_, i) => ({ provider: 'AWS', i })),
    ...Array.from({ length: layout.apisixResources }, (_, i) => ({ provider: 'APISIX', i })),
  ];
  const resources = await mapLimit(specs, 8, async ({ provider, i }) => {
    if (provider === 'AWS') {
      const groupId = `sg-${hex(9).slice(0, 17)}`;
      await fakes.putGroup(REGION, { groupId });
      const created = await must(
        baseUrl,
        admin.token,
        'POST',
        '/resources',
        {
          name: `SG ${String(i).padStart(3, '0')} ${hex(2)}`,
          credentialId: awsCredential.id,
          provider: 'AWS',
          resourceType: 'SECURITY_GROUP',
          resourceIdentifier: groupId,
          region: REGION,
          config: AWS_CONFIG,
        },
        201,
      );
      return { id: created.id, provider, name: created.name };
    }
    const routeId = `route-${hex(4)}`;
    await fakes.putRoute(routeId, { uri: `/internal/${i}/*`, upstream: { type: 'roundrobin', nodes: { '127.0.0.1:9': 1 } } });
    const created = await must(
      baseUrl,
      admin.token,
      'POST',
      '/resources',
      {
        name: `Route ${String(i).padStart(3, '0')} ${hex(2)}`,
        credentialId: apisixCredential.id,
        provider: 'APISIX',
        resourceType: 'ROUTE',
        resourceIdentifier: routeId,
      },
      201,
    );
    return { id: created.id, provider, name: created.name };
  });
  // The service verifies new credentials and resources in the background (provider calls of their
  // own): let that finish, so that the figures count the engine's calls only.
  await waitVerified(pool, orgId, 90_000);
  await pool.query(`UPDATE resources SET is_active = true WHERE organization_id = $1`, [orgId]);

  const memberPassword = `member-${hex(8)}`;
  const hash = await hashPassword(memberPassword);
  const members = [];
  for (let m = 0; m < layout.members; m++) {
    const memberEmail = `member-${String(m).padStart(3, '0')}-${hex(3)}@bench.example`;
    const { rows } = await pool.query(
      `INSERT INTO users (organization_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, 'USER') RETURNING id`,
      [orgId, memberEmail, `Member ${m}`, hash],
    );
    members.push({ index: m, userId: rows[0].id, email: memberEmail, resourceIds: pick(resources, layout, m) });
  }
  await mapLimit(members, 4, async (member) => {
    const login = await must(
      baseUrl,
      null,
      'POST',
      '/auth/login',
      { organizationSlug: slug, email: member.email, password: memberPassword },
      200,
    );
    member.token = login.accessToken;
    const role = await must(baseUrl, admin.token, 'POST', '/roles', { name: `Role ${member.index} ${hex(2)}` }, 201);
    await must(baseUrl, admin.token, 'POST', `/roles/${role.id}/users/${member.userId}`, undefined, 200);
    for (const id of member.resourceIds) await must(baseUrl, admin.token, 'POST', `/roles/${role.id}/resources/${id}`, undefined, 200);
  });
  return { orgId, slug, admin, members, resources };
}

async function waitVerified(pool, orgId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query(
      `SELECT (SELECT count(*) FROM resources WHERE organization_id = $1 AND last_verified_at IS NULL)
            + (SELECT count(*) FROM credentials WHERE organization_id = $1 AND last_verified_at IS NULL) AS n`,
      [orgId],
    );
    if (Number(rows[0].n) === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Member m reaches `resourcesPerMember` resources: consecutive AWS groups, shifted per member so
 * that every group is reached by about the same number of members, plus one APISIX route (round
 * robin) when there are routes.
 */
function pick(resources, layout, m) {
  const aws = resources.filter((r) => r.provider === 'AWS');
  const routes = resources.filter((r) => r.provider === 'APISIX');
  const wantAws = Math.min(aws.length, layout.resourcesPerMember - (routes.length > 0 ? 1 : 0));
  const stride = Math.max(1, Math.floor(aws.length / Math.max(1, layout.members)) || 1);
  const first = (m * Math.max(stride, wantAws)) % Math.max(1, aws.length);
  const chosen = Array.from({ length: wantAws }, (_, k) => aws[(first + k) % aws.length].id);
  if (routes.length > 0) chosen.push(routes[m % routes.length].id);
  return [...new Set(chosen)];
}

module.exports = { setupOrganization, REGION, APISIX_ADMIN_KEY, randomUUID };
