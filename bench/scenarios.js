'use strict';
// What is measured, in the order it runs. Reads run first (against the service, then the
// baseline, back to back) so both see the same data; writes come after, since they change it.
const { insertCredentials } = require('./seed');

/** Round-robin over ids with one counter shared by every connection: spreads rows and cache hits. */
function cycle(ids, toRequest) {
  let i = 0;
  return () => toRequest(ids[i++ % ids.length]);
}

const is = (status) => (s) => s === status;

function scenarios(ctx) {
  const big = ctx.data.orgs.big;
  let postCount = 0; // shared by warm-up and measured run: every name is used once
  return [
    {
      name: 'GET /credentials/{id}',
      baseline: true,
      probe: `/api/v1/credentials/${big.credentialIds[0]}`,
      next: () => cycle(big.credentialIds, (id) => ({ method: 'GET', path: `/api/v1/credentials/${id}` })),
      expected: is(200),
    },
    {
      // The whole organization in one response (1,000 rows with a count each): big by design.
      name: 'GET /credentials',
      baseline: true,
      probe: '/api/v1/credentials',
      next: () => () => ({ method: 'GET', path: '/api/v1/credentials' }),
      expected: is(200),
    },
    {
      name: 'GET /resources?credentialId=',
      baseline: true,
      probe: `/api/v1/resources?credentialId=${big.credentialIds[0]}`,
      next: () => cycle(big.credentialIds, (id) => ({ method: 'GET', path: `/api/v1/resources?credentialId=${id}` })),
      expected: is(200),
    },
    {
      // Encrypts, inserts and audits in one transaction. Names are unique per request.
      name: 'POST /credentials',
      next: () => () => ({
        method: 'POST',
        path: '/api/v1/credentials',
        body: {
          name: `bench-post-${ctx.stamp}-${postCount++}`,
          provider: 'AWS',
          credentialType: 'ACCESS_KEY',
          credentialData: { accessKeyId: 'AKIAEXAMPLE0000001', secretAccessKey: 'x' },
        },
      }),
      expected: is(201),
    },
    {
      // Every seeded credential has resources: the refusal is the correct, expected answer.
      name: 'DELETE /credentials/{id} in use',
      next: () => cycle(big.credentialIds, (id) => ({ method: 'DELETE', path: `/api/v1/credentials/${id}` })),
      expected: (status, body) => status === 400 && String(body).includes('CREDENTIAL_IN_USE'),
    },
    {
      // Each id deleted exactly once, so the run is a fixed number of requests (`amount`), sized
      // from the refusal path's rate (same route, similar work) to last about one run duration.
      name: 'DELETE /credentials/{id} unused',
      warmup: false,
      prepare: async (previous) => {
        const inUse = previous.find((r) => r.scenario === 'DELETE /credentials/{id} in use' && r.target === 'service');
        const rate = inUse && inUse.result.errors === 0 ? inUse.result.rps : 200;
        const amount = Math.max(ctx.connections * 4, Math.min(50_000, Math.ceil(rate * ctx.duration)));
        // Extra ids: each autocannon connection builds its next request before it knows it is done.
        const ids = await insertCredentials(ctx.pool, ctx.cipher, big.orgId, amount + ctx.connections * 2, `bench-del-${ctx.stamp}`);
        return { amount, next: cycle(ids, (id) => ({ method: 'DELETE', path: `/api/v1/credentials/${id}` })) };
      },
      expected: is(204),
    },
    {
      // Last, so the audit log holds every write above.
      name: 'GET /audit-logs',
      next: () => () => ({ method: 'GET', path: '/api/v1/audit-logs' }),
      expected: is(200),
    },
  ];
}

module.exports = { scenarios };
