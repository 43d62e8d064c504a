'use strict';
// Bulk seeding straight into PostgreSQL (the API would take minutes for 100k rows). Rows are
// real: credentials carry ciphertext from the app's own cipher, bound to their row, and users
// carry an argon2id hash with the app's parameters, so login and decryption would both work.
const { randomUUID } = require('node:crypto');
const argon2 = require('argon2');

// Same parameters as libs/auth/src/password-hasher.ts.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const DUMMY_AWS_SECRET = { accessKeyId: 'AKIAEXAMPLE0000001', secretAccessKey: 'bench-not-a-real-secret' };
const CHUNK = 2000;

function hashPassword(password) {
  return argon2.hash(password, ARGON2_OPTIONS);
}

async function insertOrganization(pool, { slug, name, email, passwordHash }) {
  const orgId = randomUUID();
  const userId = randomUUID();
  await pool.query(`INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $3)`, [orgId, name, slug]);
  await pool.query(`INSERT INTO users (id, organization_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5, 'ORG_ADMIN')`, [
    userId,
    orgId,
    email,
    'Bench Admin',
    passwordHash,
  ]);
  return { orgId, userId, slug, email };
}

/**
 * Encrypts per row in JS (each ciphertext is bound to its own organization and credential id),
 * then inserts a chunk at a time through unnest() of parameter arrays: one round trip per chunk.
 * created_at is spread a second apart so list order is deterministic.
 */
async function insertCredentials(pool, cipher, orgId, count, namePrefix) {
  const ids = [];
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const cols = { id: [], name: [], ct: [], iv: [], tag: [], kv: [], age: [] };
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const sealed = cipher.encrypt(DUMMY_AWS_SECRET, { organizationId: orgId, credentialId: id });
      cols.id.push(id);
      cols.name.push(`${namePrefix}-${String(start + i).padStart(6, '0')}`);
      cols.ct.push(sealed.ciphertext);
      cols.iv.push(sealed.iv);
      cols.tag.push(sealed.authTag);
      cols.kv.push(sealed.keyVersion);
      cols.age.push(count - (start + i));
      ids.push(id);
    }
    await pool.query(
      `INSERT INTO credentials (id, organization_id, name, provider, credential_type, ciphertext, iv, auth_tag, key_version,
                                created_at, updated_at)
       SELECT u.id, $1, u.name, 'AWS', 'ACCESS_KEY', u.ct, u.iv, u.tag, u.kv,
              now() - u.age * interval '1 second', now() - u.age * interval '1 second'
       FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[], $7::int[], $8::int[])
            AS u(id, name, ct, iv, tag, kv, age)`,
      [orgId, cols.id, cols.name, cols.ct, cols.iv, cols.tag, cols.kv, cols.age],
    );
  }
  return ids;
}

/**
 * `total` resources spread round-robin over every credential the organization has now, in one
 * INSERT ... SELECT over generate_series. Identifiers are unique within the organization
 * ('sg-' + 17 hex digits of the row number), as uq_resources_identity requires.
 */
async function insertResources(pool, orgId, total) {
  if (total <= 0) return;
  await pool.query(
    `WITH c AS (
       SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS k, count(*) OVER ()::int AS n
       FROM credentials WHERE organization_id = $1
     )
     INSERT INTO resources (id, organization_id, credential_id, name, provider, resource_type, resource_identifier,
                            region, config, is_active, created_at, updated_at)
     SELECT gen_random_uuid(), $1, c.id, 'bench-sg-' || g, 'AWS', 'SECURITY_GROUP', 'sg-' || lpad(to_hex(g), 17, '0'),
            'eu-west-1', '{"protocol":"tcp","port":22}'::jsonb, true,
            now() - g * interval '1 millisecond', now() - g * interval '1 millisecond'
     FROM generate_series(0, $2::int - 1) AS g
     JOIN c ON c.k = g % c.n`,
    [orgId, total],
  );
}

/**
 * The data set: one big organization, a few small ones (so queries must really filter by
 * organization), and an empty one for the delete-latency comparison.
 */
async function seed(pool, cipher, layout, password) {
  const passwordHash = await hashPassword(password);
  const email = 'admin@bench.example';
  const orgs = {};

  const makeOrg = async (key, slug, credentials, resources) => {
    const org = await insertOrganization(pool, { slug, name: `Bench ${slug}`, email, passwordHash });
    org.credentialIds = await insertCredentials(pool, cipher, org.orgId, credentials, `${slug}-cred`);
    await insertResources(pool, org.orgId, resources);
    org.resourceCount = resources;
    orgs[key] = org;
  };

  await makeOrg('big', 'bench-big', layout.big.credentials, layout.big.resources);
  for (let i = 1; i <= layout.small.count; i++) {
    await makeOrg(`small${i}`, `bench-small-${i}`, layout.small.credentials, layout.small.resources);
  }
  await makeOrg('empty', 'bench-empty', 0, 0);

  // Steady state, as autovacuum would leave it: statistics for the planner, and a visibility
  // map so count(*) over resources can be an index-only scan.
  await pool.query('VACUUM (ANALYZE) organizations, users, credentials, resources');
  return { email, orgs };
}

module.exports = { seed, insertCredentials, hashPassword };
