import { createServer as createHttpServer } from 'node:http';
import { APISIX_DEFAULT_ADMIN_KEY, ApisixRouteAdapter, resolveProvidersOptions } from '@app/providers';
import { startApisixFakeServer } from '../fakes/apisix-fake-server';
import { ADMIN_KEY, expectCleanReason, freePort, route, rule, useApisixAdapter } from './apisix-adapter.fixture';
import { recordOutcomes } from './outcome-recorder';

// The adapter calls undici's fetch (with its connect-time address check); spy on that export.
const undici = require('undici') as typeof import('undici');

// Whitelist edits in batches, faults and listRules are in apisix-route.rules.e2e-spec.ts.
const ctx = useApisixAdapter();
const secret = ctx.secret;
const outcomes = ctx.outcomes;

describe('verifyCredential', () => {
  it('accepts a working admin key', async () => {
    expect(await ctx.adapter.verifyCredential(secret())).toEqual({ ok: true, detail: 'APISIX accepted the admin key.' });
    expect(ctx.fake.state.requests).toEqual([{ method: 'GET', path: '/apisix/admin/routes', status: 200, authorized: true }]);
  });

  it('reports a wrong key as INVALID_CREDENTIALS', async () => {
    const outcome = await ctx.adapter.verifyCredential(secret({ adminKey: 'wrong-key-000000000000' }));
    expect(outcome).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'APISIX refused the admin key (HTTP 401).' });
    expect(ctx.fake.state.requests[0]).toMatchObject({ authorized: false, status: 401 });
  });

  it("flags APISIX's well-known default key as UNSAFE without sending it", async () => {
    const fetchSpy = jest.spyOn(undici, 'fetch');
    const outcome = await ctx.adapter.verifyCredential(secret({ adminKey: APISIX_DEFAULT_ADMIN_KEY }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason:
        "This gateway uses APISIX's well-known default admin key; change it in APISIX's config (deployment.admin.admin_key) and save the new key here.",
    });
    expectCleanReason(outcome);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('does not follow a redirect', async () => {
    const elsewhere = await startApisixFakeServer({ adminKey: ADMIN_KEY });
    try {
      ctx.fake.state.redirectTo = `${elsewhere.url}/apisix/admin/routes`;
      const outcome = await ctx.adapter.verifyCredential(secret());
      expect(outcome).toEqual({
        ok: false,
        kind: 'PROVIDER_ERROR',
        reason: 'The APISIX admin URL answered with a redirect (HTTP 307); EntryGuard follows no redirects, so give the final admin URL.',
      });
      expect(ctx.fake.state.requests).toHaveLength(1);
      expect(elsewhere.state.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('reports a slow gateway as TIMEOUT', async () => {
    ctx.fake.state.delayMs = 1000;
    const slow = recordOutcomes(
      new ApisixRouteAdapter(resolveProvidersOptions({ timeoutMs: 150, allowedNetworks: ['127.0.0.0/8'] })),
      outcomes,
    );
    const outcome = await slow.verifyCredential(secret());
    expect(outcome).toEqual({ ok: false, kind: 'TIMEOUT', reason: 'APISIX did not answer within 150 ms.' });
  });

  it('reports a refused connection as UNREACHABLE', async () => {
    const outcome = await ctx.adapter.verifyCredential(secret({ adminUrl: `http://127.0.0.1:${await freePort()}` }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNREACHABLE',
      reason: 'Could not reach the APISIX Admin API: the connection was refused.',
    });
  });
});

describe('outbound policy (§18): the admin URL may lead only to public addresses, or networks the operator allows', () => {
  // No allowed networks: the fake on loopback is out of bounds. Nothing here leaves the machine:
  // refused literals are never dialled, and host names go to a stub resolver.
  const strict = (resolveHost?: (host: string) => Promise<Array<{ address: string; family: number }>>) =>
    recordOutcomes(new ApisixRouteAdapter(resolveProvidersOptions({ timeoutMs: 1000, resolveHost })), outcomes);

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /link-local \(cloud metadata\) address/],
    ['http://[::ffff:169.254.169.254]:9180', /link-local \(cloud metadata\), embedded in an IPv6 address/],
    ['http://[2002:a9fe:a9fe::1]:9180', /link-local \(cloud metadata\), embedded in an IPv6 address/],
    ['http://[::ffff:0:a9fe:a9fe]:9180', /link-local \(cloud metadata\), embedded in an IPv6 address/],
    ['http://[64:ff9b::a9fe:a9fe]:9180', /embedded in an IPv6 address/],
    ['http://[fe80::1]:9180', /link-local address/],
    ['http://[fd00:ec2::254]/', /unique local address/],
    ['http://0.0.0.0:9180', /this network address/],
    ['http://10.0.0.1:9180', /private network address/],
    ['http://192.168.1.1:9180', /private network address/],
    ['http://100.64.0.1:9180', /CGNAT/],
    ['http://[::1]:9180', /loopback address/],
    ['http://0x7f.1:9180', /loopback address/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata service \(metadata\.google\.internal\)/],
    ['file:///etc/passwd', /must use http or https/],
  ])('refuses %s as UNSAFE without making a request', async (adminUrl, reason) => {
    const fetchSpy = jest.spyOn(undici, 'fetch');
    const outcome = await strict().verifyCredential(secret({ adminUrl }));
    expect(outcome).toMatchObject({ ok: false, kind: 'UNSAFE' });
    expect(!outcome.ok && outcome.reason).toMatch(reason);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('refuses the loopback fake itself, and says nothing about what the name resolved to', async () => {
    const port = new URL(ctx.fake.url).port;
    const resolver = jest.fn(async () => [{ address: '127.0.0.1', family: 4 }]);
    const outcome = await strict(resolver).applyRules(secret({ adminUrl: `http://gateway.example.test:${port}` }), route('admin'), [
      rule('203.0.113.7/32'),
    ]);
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason:
        'The APISIX admin URL leads to a loopback address, which EntryGuard does not call unless the operator allows that network (PROVIDER_ALLOWED_NETWORKS).',
    });
    expect(resolver).toHaveBeenCalledWith('gateway.example.test');
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('calls a self-hosted gateway on a network the operator allowed, by name', async () => {
    const port = new URL(ctx.fake.url).port;
    const resolver = jest.fn(async () => [{ address: '127.0.0.1', family: 4 }]);
    const allowed = recordOutcomes(
      new ApisixRouteAdapter(resolveProvidersOptions({ timeoutMs: 1000, allowedNetworks: ['127.0.0.0/8'], resolveHost: resolver })),
      outcomes,
    );
    expect(await allowed.verifyCredential(secret({ adminUrl: `http://apisix.corp.test:${port}/` }))).toEqual({
      ok: true,
      detail: 'APISIX accepted the admin key.',
    });
    // Once before the call, once when connecting.
    expect(resolver).toHaveBeenCalledTimes(2);
    expect(ctx.fake.state.requests).toHaveLength(1);
  });

  it('keeps a path prefix of the admin URL', async () => {
    const fetchSpy = jest.spyOn(undici, 'fetch').mockResolvedValue(undici.Response.json({ total: 0, list: [] }));
    await ctx.adapter.verifyCredential(secret({ adminUrl: 'http://127.0.0.1:9180/gateway/' }));
    expect(String(fetchSpy.mock.calls[0][0])).toBe('http://127.0.0.1:9180/gateway/apisix/admin/routes');
  });

  it("echoes only an APISIX-shaped message, without URLs, and nothing of another server's body", async () => {
    const server = createHttpServer((request, response) => {
      if (request.url?.includes('apisix-like')) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error_msg: 'invalid configuration, see http://10.0.0.7:2379/v3/kv for details' }));
      } else {
        response.writeHead(400, { 'content-type': 'text/html' });
        response.end('<html>Internal admin panel: db password hunter2, http://10.0.0.7/</html>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const apisixLike = await ctx.adapter.verifyCredential(secret({ adminUrl: `http://127.0.0.1:${port}/apisix-like` }));
      expect(apisixLike).toEqual({
        ok: false,
        kind: 'PROVIDER_ERROR',
        reason: 'APISIX rejected the request (HTTP 400): invalid configuration, see [url] for details',
      });
      const other = await ctx.adapter.verifyCredential(secret({ adminUrl: `http://127.0.0.1:${port}/other` }));
      expect(other).toEqual({ ok: false, kind: 'PROVIDER_ERROR', reason: 'APISIX rejected the request (HTTP 400).' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('DNS rebinding: the addresses are checked again when the connection is made', () => {
  it('a name that answered "public" for the check and "loopback" at connect time is refused there, and nothing connects', async () => {
    const port = new URL(ctx.fake.url).port;
    const answers = ['8.8.8.8', '127.0.0.1'];
    const resolver = jest.fn(async () => [{ address: answers.shift() ?? '127.0.0.1', family: 4 }]);
    const strict = recordOutcomes(new ApisixRouteAdapter(resolveProvidersOptions({ timeoutMs: 1000, resolveHost: resolver })), outcomes);
    const outcome = await strict.verifyCredential(secret({ adminUrl: `http://rebinding.example.test:${port}` }));
    expect(outcome).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason: 'The APISIX admin host now resolves to an address EntryGuard does not call (outbound policy).',
    });
    expect(resolver).toHaveBeenCalledTimes(2);
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('an allowed network does not let a name rebind to the metadata address', async () => {
    const port = new URL(ctx.fake.url).port;
    const answers = ['127.0.0.1', '169.254.169.254'];
    const resolver = jest.fn(async () => [{ address: answers.shift() ?? '169.254.169.254', family: 4 }]);
    const allowed = recordOutcomes(
      new ApisixRouteAdapter(resolveProvidersOptions({ timeoutMs: 1000, allowedNetworks: ['127.0.0.0/8'], resolveHost: resolver })),
      outcomes,
    );
    const outcome = await allowed.verifyCredential(secret({ adminUrl: `http://rebinding.example.test:${port}` }));
    expect(outcome).toMatchObject({ ok: false, kind: 'UNSAFE' });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });
});

describe('verifyResource', () => {
  it('finds an existing route', async () => {
    expect(await ctx.adapter.verifyResource(secret(), route('admin'))).toEqual({ ok: true, detail: 'Route admin exists.' });
    expect(ctx.fake.state.requests).toMatchObject([{ method: 'GET', path: '/apisix/admin/routes/admin', status: 200 }]);
  });

  it('reports a missing route as NOT_FOUND', async () => {
    expect(await ctx.adapter.verifyResource(secret(), route('nope'))).toEqual({
      ok: false,
      kind: 'NOT_FOUND',
      reason: 'Route nope was not found on the APISIX gateway.',
    });
  });

  it('refuses a route id that would escape the routes path', async () => {
    const outcome = await ctx.adapter.verifyResource(secret(), route('..'));
    expect(outcome).toEqual({ ok: false, kind: 'NOT_FOUND', reason: '".." is not a valid APISIX route id.' });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });
});
