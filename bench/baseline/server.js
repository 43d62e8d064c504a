'use strict';
// The baseline: bare Fastify + pg, doing per request what the service does at the database --
// verify the HS256 access token (same issuer/audience/algorithm), run the same per-request user
// check, run the same SQL, shape the same JSON -- and nothing else (no NestJS, no TypeORM, no
// CLS, no guards/pipes/interceptors, no helmet, no request logging, no rate limiting, no audit).
// The gap between the two is therefore framework and middleware overhead.
//
// Env: PORT, DATABASE_URL, JWT_SECRET, DB_POOL_SIZE (default 20).
const Fastify = require('fastify');
const jwt = require('jsonwebtoken');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE || 20) });
// A KeyObject made once, as the service does (access-token.verifier.ts): with a plain string,
// jsonwebtoken 9 first tries createPublicKey() on it, ~0.35 ms of CPU per call.
const SECRET = require('node:crypto').createSecretKey(Buffer.from(process.env.JWT_SECRET, 'utf8'));
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// --- SQL, copied from the service (keep in sync) --------------------------------------------
// libs/auth/src/users/user.repository.ts findActiveRole: runs on every authenticated request, with
// whether the user must set up MFA first (§11: the organization requires it and it is off).
const SQL_USER_CHECK = `
  SELECT u.role, u.email, u.mfa_enabled_at IS NULL AND coalesce(s.mfa_required, false) AS mfa_setup_required
  FROM users u LEFT JOIN organization_settings s ON s.organization_id = u.organization_id
  WHERE u.organization_id = $1 AND u.id = $2 AND u.is_active`;
// apps/api/src/credentials/credentials.repository.ts SELECT_CREDENTIAL
const SELECT_CREDENTIAL = `
  SELECT c.id, c.organization_id, c.name, c.provider, c.credential_type, c.is_valid, c.last_verified_at,
         c.verification_error, c.created_at, c.updated_at,
         (SELECT count(*)::int FROM resources r WHERE r.organization_id = c.organization_id AND r.credential_id = c.id) AS resource_count
  FROM credentials c`;
const SQL_CREDENTIAL_BY_ID = `${SELECT_CREDENTIAL} WHERE c.organization_id = $1 AND c.id = $2`;
const SQL_CREDENTIAL_LIST = `${SELECT_CREDENTIAL} WHERE c.organization_id = $1 ORDER BY c.created_at DESC, c.id DESC`;
// libs/resources/src/resources.repository.ts SELECT_RESOURCE + list(organizationId, { credentialId })
const SQL_RESOURCES_BY_CREDENTIAL = `
  SELECT r.id, r.organization_id, r.credential_id, c.name AS credential_name, r.name, r.provider, r.resource_type,
         r.resource_identifier, r.region, r.config, r.is_active, r.last_verified_at, r.verification_error,
         r.created_at, r.updated_at
  FROM resources r JOIN credentials c ON c.organization_id = r.organization_id AND c.id = r.credential_id
  WHERE r.organization_id = $1 AND r.credential_id = $2 ORDER BY r.created_at DESC, r.id DESC`;

// --- JSON shaping, as the service's mappers do -----------------------------------------------
// libs/common/src/http/iso-time.ts: ISO-8601 UTC, whole seconds, built from the UTC fields.
const twoDigits = (n) => (n < 10 ? `0${n}` : `${n}`);
function toIsoUtc(date) {
  if (date == null) return null;
  const value = typeof date === 'string' ? new Date(date) : date;
  const year = value.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return (
    `${year}-${twoDigits(value.getUTCMonth() + 1)}-${twoDigits(value.getUTCDate())}` +
    `T${twoDigits(value.getUTCHours())}:${twoDigits(value.getUTCMinutes())}:${twoDigits(value.getUTCSeconds())}Z`
  );
}

// apps/api/src/credentials/credential.mapper.ts
function toCredentialDto(row) {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    credentialType: row.credential_type,
    isValid: row.is_valid,
    lastVerifiedAt: toIsoUtc(row.last_verified_at),
    verificationError: row.verification_error,
    resourceCount: row.resource_count,
    createdAt: toIsoUtc(row.created_at),
    updatedAt: toIsoUtc(row.updated_at),
  };
}

// libs/resources/src/resources.repository.ts toResourceDto
function toResourceDto(row) {
  return {
    id: row.id,
    name: row.name,
    credentialId: row.credential_id,
    credentialName: row.credential_name,
    provider: row.provider,
    resourceType: row.resource_type,
    resourceIdentifier: row.resource_identifier,
    region: row.region,
    config: row.config,
    isActive: row.is_active,
    lastVerifiedAt: toIsoUtc(row.last_verified_at),
    verificationError: row.verification_error,
    createdAt: toIsoUtc(row.created_at),
    updatedAt: toIsoUtc(row.updated_at),
  };
}

// --- auth: the same checks as libs/auth/src/guards/access-token.verifier.ts ---------------------------
class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function authenticate(request) {
  const match = BEARER.exec(request.headers.authorization || '');
  let payload;
  try {
    if (!match) throw new Error('no bearer token');
    payload = jwt.verify(match[1], SECRET, { algorithms: ['HS256'], issuer: 'entryguard', audience: 'entryguard-api' });
  } catch {
    throw new HttpError(401, 'UNAUTHORIZED', 'Authentication required');
  }
  if (typeof payload.exp !== 'number' || !UUID.test(payload.sub ?? '') || !UUID.test(payload.org ?? '')) {
    throw new HttpError(401, 'UNAUTHORIZED', 'Authentication required');
  }
  const { rows } = await pool.query(SQL_USER_CHECK, [payload.org, payload.sub]);
  if (!rows[0]) throw new HttpError(401, 'UNAUTHORIZED', 'Authentication required');
  // libs/auth/src/guards/mfa-setup.guard.ts: none of these routes is open during MFA setup.
  if (rows[0].mfa_setup_required) throw new HttpError(403, 'FORBIDDEN', 'Your organization requires MFA: set it up first');
  if (rows[0].role !== 'ORG_ADMIN') throw new HttpError(403, 'FORBIDDEN', 'This action requires the ORG_ADMIN role');
  return { organizationId: payload.org, userId: payload.sub };
}

function requireUuid(value, field) {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new HttpError(400, 'VALIDATION_ERROR', `${field} must be a UUID`);
  }
  return value;
}

const app = Fastify({ logger: false });

app.setErrorHandler((error, _request, reply) => {
  const status = error instanceof HttpError ? error.status : 500;
  const code = error instanceof HttpError ? error.code : 'INTERNAL_ERROR';
  reply.status(status).send({ error: code, message: error.message, timestamp: toIsoUtc(new Date()) });
});

app.get('/api/v1/health/ready', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

app.get('/api/v1/credentials', async (request) => {
  const principal = await authenticate(request);
  const { rows } = await pool.query(SQL_CREDENTIAL_LIST, [principal.organizationId]);
  return rows.map(toCredentialDto);
});

app.get('/api/v1/credentials/:id', async (request) => {
  const principal = await authenticate(request);
  const id = requireUuid(request.params.id, 'id');
  const { rows } = await pool.query(SQL_CREDENTIAL_BY_ID, [principal.organizationId, id]);
  if (!rows[0]) throw new HttpError(404, 'CREDENTIAL_NOT_FOUND', `Credential with ID ${id} not found`);
  return toCredentialDto(rows[0]);
});

app.get('/api/v1/resources', async (request) => {
  const principal = await authenticate(request);
  const credentialId = requireUuid(request.query.credentialId, 'credentialId');
  const { rows } = await pool.query(SQL_RESOURCES_BY_CREDENTIAL, [principal.organizationId, credentialId]);
  return rows.map(toResourceDto);
});

async function shutdown() {
  await app.close();
  await pool.end();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

app.listen({ port: Number(process.env.PORT || 3100), host: '127.0.0.1' }).catch((error) => {
  process.stderr.write(`baseline failed to start: ${error.stack}\n`);
  process.exit(1);
});
